import { DEFAULT_MODEL } from '@fmnist/core';
import { ERROR_STATUS } from './errors.ts';
import { HEATMAP_DECIMALS } from './explain-image.ts';

/**
 * The OpenAPI 3.1 document, hand-written: the routes validate by hand
 * (multipart images, raw bodies, v2 tensors, event streams), so a schema
 * library would describe only part of them. test/openapi.test.ts keeps it
 * true: a real request per documented (path, method, status), every answer
 * validated against it, and every route of the app documented.
 */
const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const modelParam = {
  name: 'model',
  in: 'query',
  schema: { type: 'string', default: DEFAULT_MODEL },
  description: `model name (file base name in --models); without it the server's default: ${DEFAULT_MODEL} when present, else the first shipped model it has (GET /models names it as "default")`,
};
const topkParam = { name: 'topk', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10, default: 3 } };
const inputParam = { name: 'input', in: 'query', schema: { type: 'boolean' }, description: 'include the 28x28 input the model saw as a PNG data URL' };
const explainParam = {
  name: 'explain',
  in: 'query',
  schema: { type: 'boolean' },
  description:
    'add an explanation per image: the heatmap of the top class (the map the explanation graph names as its default, e.g. saliency), its overlay, and where the garment is; 409 for a model without an explanation graph (models/explain/<model>.onnx)',
};
const explainClassParam = {
  name: 'explain_class',
  in: 'query',
  schema: { oneOf: [{ type: 'integer', minimum: 0, maximum: 9 }, { type: 'string' }] },
  description: "also explain this class: index 0-9 or a label, case-insensitive ('Coat'); implies explain=1; one value for every image of a batch",
};
const box = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } };
const imageBody = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['image'],
        properties: {
          image: { type: 'string', format: 'binary' },
          model: { type: 'string' },
          topk: { type: 'integer' },
          explain: { type: 'boolean' },
          explain_class: { type: 'string' },
        },
      },
    },
    'image/*': { schema: { type: 'string', format: 'binary' } },
  },
};
const clientErrors = {
  '400': errorResponse('bad request (empty body, bad topk, bad explain_class, too many images)'),
  '404': errorResponse('unknown model'),
  '408': errorResponse('the body stopped arriving (upload cut off)'),
  '409': errorResponse('explain=1 for a model without an explanation graph (no_explanation; the message names the models that have one)'),
  '413': errorResponse('body over the size limit'),
  '415': errorResponse('not an image / unsupported content type'),
  '422': errorResponse(
    'corrupt or truncated image, over the decode budget (pixels by format, side, aspect ratio, PNG chunks), or a batch over its summed budget',
  ),
  '503': errorResponse('a queue or the upload budget is full (Retry-After), or shutting down'),
};
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const versionParam = {
  name: 'version',
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description: 'the one version a model has here (its `versions[0]`); another is 404',
};
// The Open Inference Protocol's own error object, on every /v2 path.
const v2Error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/V2Error' } } } });
const shuttingDown = errorResponse('shutting down');
const v2ShuttingDown = v2Error('shutting down');
const v2Server = {
  get: {
    summary: 'KServe v2 server metadata (the spec names the path `/v2/`, its prose `v2`: both answer)',
    responses: { '200': json({ type: 'object', required: ['name', 'version', 'extensions'] }), '503': v2ShuttingDown },
  },
};
const v2Metadata = (parameters: object[]) => ({
  get: {
    summary: 'KServe v2 model metadata (platform `onnx_onnxv1`), classifiers and `<model>-explain` graphs',
    parameters,
    responses: {
      '200': json({ type: 'object', required: ['name', 'platform', 'inputs', 'outputs'] }),
      '404': v2Error('unknown model or version'),
      '503': v2ShuttingDown,
    },
  },
});
const v2Ready = (parameters: object[]) => ({
  get: {
    summary: 'KServe v2 model readiness',
    parameters,
    responses: { '200': json({ type: 'object', required: ['name', 'ready'] }), '404': v2Error('unknown model or version'), '503': v2ShuttingDown },
  },
});
const v2Infer = (parameters: object[]) => ({
  post: {
    summary:
      'KServe v2 inference (JSON tensors): input `input` FP32 [N,1,28,28] in [0,1]. Explanation graphs are models named `<model>-explain` (GET /models lists them): inputs `input` and `class` INT64 [N] (0-9, or -1 for the top class); outputs logits, probabilities, explained_class (INT64), heatmap, gradcam (CNN), saliency FP32 [N,28,28], input_gradient FP32 [N,1,28,28]',
    parameters,
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['inputs'] } } } },
    responses: {
      '200': json({ type: 'object', required: ['model_name', 'outputs'] }),
      '400': v2Error(
        'not JSON, wrong tensor name, shape or datatype, ragged data, values not finite as FP32, an `id` that is not a string, or a parameter that is not a string, number or boolean',
      ),
      '404': v2Error('unknown model or version'),
      '408': v2Error('the body stopped arriving (upload cut off)'),
      '413': v2Error('JSON body over --max-json-mb, or any body over --max-body-mb'),
      '422': v2Error('the outputs overflowed (non-finite)'),
      '503': v2Error('the upload budget is full (Retry-After), or shutting down'),
    },
  },
});

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Fashion-MNIST serve',
    version: '0.1.0',
    description:
      'Classifies clothing photos with ONNX models (onnxruntime-node). Errors are `{error: {code, message}}`, except on /v2 paths, which answer the Open Inference Protocol\'s `{error: "<message>"}`. Any path answers a method it does not have with 405 and `Allow`, and a fault of the server with 500; the demo\'s static files are served under `/` when built.',
  },
  paths: {
    '/': {
      get: {
        summary: 'The web demo when built, else a JSON pointer to the docs',
        responses: {
          '200': { description: 'OK', content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } } },
          '503': shuttingDown,
        },
      },
    },
    '/classify': {
      post: {
        summary: 'Classify one image',
        parameters: [modelParam, topkParam, inputParam, explainParam, explainClassParam],
        requestBody: imageBody,
        responses: { '200': json({ $ref: '#/components/schemas/Classification' }), ...clientErrors },
      },
    },
    '/classify/batch': {
      post: {
        summary: 'Classify several images (repeat the `image` field), answered in order',
        parameters: [modelParam, topkParam, inputParam, explainParam, explainClassParam],
        requestBody: imageBody,
        responses: {
          '200': json({
            type: 'object',
            properties: { model: { type: 'object' }, results: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/Classification' }, error] } } },
          }),
          ...clientErrors,
        },
      },
    },
    '/evaluate': {
      post: {
        summary: 'Evaluate a model on the Fashion-MNIST test set (or an uploaded IDX pair); `Accept: text/event-stream` or `?stream=1` streams progress',
        parameters: [modelParam, { name: 'stream', in: 'query', schema: { type: 'boolean' } }],
        requestBody: {
          required: false,
          content: {
            'multipart/form-data': {
              schema: { type: 'object', properties: { images: { type: 'string', format: 'binary' }, labels: { type: 'string', format: 'binary' } } },
            },
            'application/json': { schema: { type: 'object', properties: { model: { type: 'string' }, stream: { type: 'string' } } } },
          },
        },
        responses: {
          '200': {
            description: 'OK',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['source', 'accuracy'], description: 'accuracy, macro, perClass, confusion, seconds, imagesPerSecond' },
              },
              'text/event-stream': {
                schema: {
                  type: 'string',
                  description: '`progress` events, then one `result` event (the JSON answer), or an `error` event ({error: {code, message}})',
                },
              },
            },
          },
          '400': errorResponse('bad IDX upload, or only one of its two files'),
          '404': errorResponse('unknown model'),
          '408': errorResponse('the body stopped arriving (upload cut off)'),
          '409': errorResponse('no data directory, and no upload'),
          '413': errorResponse('uploaded dataset over --max-eval-images, or a body over the size limit'),
          '503': errorResponse('evaluation queue or upload budget full (Retry-After), or shutting down'),
        },
      },
    },
    '/samples': {
      get: {
        summary: 'Random test-set images as PNG data URLs with labels',
        parameters: [
          { name: 'n', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 64, default: 12 } },
          { name: 'seed', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: {
          '200': json({ type: 'object', required: ['samples'] }),
          '400': errorResponse('n not 1-64, or seed not a non-negative integer'),
          '409': errorResponse('no data directory'),
          '503': shuttingDown,
        },
      },
    },
    '/healthz': { get: { summary: 'Liveness', responses: { '200': json({ type: 'object' }), '503': shuttingDown } } },
    '/readyz': {
      get: {
        summary: 'Readiness (models loaded, not shedding load)',
        responses: { '200': json({ type: 'object' }), '503': errorResponse('not ready, overloaded (a queue is full) or shutting down') },
      },
    },
    '/models': {
      get: {
        summary:
          'Loaded models: version, provider, ONNX metadata, and `explanation` (v2 name, version, default method, maps, relativeCost, lanes: the sessions that run it side by side) for those with an explanation graph',
        responses: { '200': json({ type: 'object', required: ['default', 'models'] }), '503': shuttingDown },
      },
    },
    '/models/{name}': {
      get: {
        summary: 'One model',
        parameters: [nameParam],
        responses: { '200': json({ type: 'object', required: ['name', 'version'] }), '404': errorResponse('unknown model'), '503': shuttingDown },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { '200': { description: 'text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } }, '503': shuttingDown },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { '200': json({ type: 'object', required: ['openapi', 'paths'] }), '503': shuttingDown } } },
    '/docs': {
      get: {
        summary: 'This document as a page',
        responses: { '200': { description: 'OK', content: { 'text/html': { schema: { type: 'string' } } } }, '503': shuttingDown },
      },
    },
    '/v2': v2Server,
    '/v2/': v2Server,
    '/v2/health/live': { get: { summary: 'KServe v2 liveness', responses: { '200': json({ type: 'object', required: ['live'] }), '503': v2ShuttingDown } } },
    '/v2/health/ready': {
      get: {
        summary: 'KServe v2 readiness',
        responses: { '200': json({ type: 'object', required: ['ready'] }), '503': v2Error('models loading, or shutting down') },
      },
    },
    '/v2/models/{name}': v2Metadata([nameParam]),
    '/v2/models/{name}/versions/{version}': v2Metadata([nameParam, versionParam]),
    '/v2/models/{name}/ready': v2Ready([nameParam]),
    '/v2/models/{name}/versions/{version}/ready': v2Ready([nameParam, versionParam]),
    '/v2/models/{name}/infer': v2Infer([nameParam]),
    '/v2/models/{name}/versions/{version}/infer': v2Infer([nameParam, versionParam]),
  },
  components: {
    schemas: {
      V2Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } }, description: "the Open Inference Protocol's error object" },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { type: 'string' } },
          },
        },
      },
      Classification: {
        type: 'object',
        properties: {
          model: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, provider: { type: 'string' } } },
          predictions: {
            type: 'array',
            items: { type: 'object', properties: { index: { type: 'integer' }, name: { type: 'string' }, probability: { type: 'number' } } },
          },
          uncertain: {
            type: 'boolean',
            description:
              'Calibrated models only (the photo-tuned ones, the default among them): the top probability is under the threshold in the model metadata (calibration.uncertain_threshold), so the answer is likely wrong or the photo shows something no class fits',
          },
          timings: {
            type: 'object',
            properties: {
              decodeMs: { type: 'number' },
              preprocessMs: { type: 'number' },
              inferenceMs: { type: 'number', description: '0 with explain=1: the explanation graph classifies too' },
              explainMs: { type: 'number', description: 'with explain=1: waiting for and running the explanation graph (batched like inference)' },
              overlayMs: { type: 'number', description: 'with explain=1: drawing the overlays and copying the maps' },
            },
          },
          input: { type: 'string', description: 'PNG data URL (with ?input=1)' },
          explanation: { $ref: '#/components/schemas/Explanation' },
        },
      },
      Explanation: {
        type: 'object',
        description: 'With explain=1 or explain_class',
        properties: {
          model: {
            type: 'object',
            description: 'the explanation graph: its v2 model name (<model>-explain) and version',
            properties: { name: { type: 'string' }, version: { type: 'string' } },
          },
          method: { type: 'string', enum: ['saliency', 'gradcam'], description: "the map in `heatmap`, from the graph's metadata (explanation.heatmap)" },
          form: { type: 'string', description: "saliency only: how the input gradient became the map (e.g. 'positive-gradient-x-input')" },
          maps: {
            type: 'array',
            description: 'the top class first; then the explain_class, unless it is the top class',
            items: {
              type: 'object',
              properties: {
                class: { type: 'object', properties: { index: { type: 'integer' }, name: { type: 'string' } } },
                probability: { type: 'number' },
                top: { type: 'boolean' },
                requested: { type: 'boolean' },
                heatmap: {
                  type: 'array',
                  minItems: 28,
                  maxItems: 28,
                  items: { type: 'array', minItems: 28, maxItems: 28, items: { type: 'number', minimum: 0, maximum: 1 } },
                  description: `row y, column x of the 28x28 input; the graph's float32 values rounded to ${HEATMAP_DECIMALS} decimals`,
                },
                overlay: { type: 'string', description: 'PNG data URL: the 28x28 input in gray, the map blended over it in the cividis colour map' },
              },
            },
          },
          region: {
            type: 'object',
            description: 'where the garment is: the `input` block of each map covers the `photo` box of the upload',
            properties: {
              input: { ...box, description: 'in the 28x28 input' },
              photo: { ...box, description: 'in the uploaded image (after EXIF orientation), fractional' },
              photoSize: { type: 'object', properties: { width: { type: 'integer' }, height: { type: 'integer' } } },
            },
          },
        },
      },
    },
  },
} as const;
