import { ERROR_STATUS } from './errors.ts';

/**
 * The OpenAPI 3.1 document, hand-written: the routes validate by hand
 * (multipart images, raw bodies, v2 tensors), so a schema library would
 * describe only part of them.
 */
const error = { $ref: '#/components/schemas/Error' };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: error } } });
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const modelParam = { name: 'model', in: 'query', schema: { type: 'string', default: 'cnn' }, description: 'model name (file base name in --models)' };
const topkParam = { name: 'topk', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10, default: 3 } };
const inputParam = { name: 'input', in: 'query', schema: { type: 'boolean' }, description: 'include the 28x28 input the model saw as a PNG data URL' };
const explainParam = { name: 'explain', in: 'query', schema: { type: 'boolean' }, description: 'add an explanation per image: the heatmap of the top class (the map the explanation graph names as its default, e.g. saliency), its overlay, and where the garment is; 409 for a model without an explanation graph (models/explain/<model>.onnx)' };
const explainClassParam = { name: 'explain_class', in: 'query', schema: { oneOf: [{ type: 'integer', minimum: 0, maximum: 9 }, { type: 'string' }] }, description: "also explain this class: index 0-9 or a label, case-insensitive ('Coat'); implies explain=1; one value for every image of a batch" };
const box = { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } };
const imageBody = {
  required: true,
  content: {
    'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' }, model: { type: 'string' }, topk: { type: 'integer' }, explain: { type: 'boolean' }, explain_class: { type: 'string' } } } },
    'image/*': { schema: { type: 'string', format: 'binary' } },
  },
};
const clientErrors = {
  '400': errorResponse('bad request (empty body, bad topk, bad explain_class, too many images, bad tensor)'),
  '404': errorResponse('unknown model'),
  '405': errorResponse('wrong method (see the Allow header)'),
  '408': errorResponse('the body stopped arriving (upload cut off)'),
  '409': errorResponse('explain=1 for a model without an explanation graph (no_explanation; the message names the models that have one)'),
  '413': errorResponse('body over the size limit'),
  '415': errorResponse('not an image / unsupported content type'),
  '422': errorResponse('corrupt or truncated image, over the decode budget (pixels by format, side, aspect ratio, PNG chunks), or a batch over its summed budget'),
  '503': errorResponse('a queue or the upload budget is full (Retry-After), or shutting down'),
};

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'Fashion-MNIST serve', version: '0.1.0', description: 'Classifies clothing photos with ONNX models (onnxruntime-node). Errors are always `{error: {code, message}}`.' },
  paths: {
    '/classify': { post: { summary: 'Classify one image', parameters: [modelParam, topkParam, inputParam, explainParam, explainClassParam], requestBody: imageBody, responses: { '200': json({ $ref: '#/components/schemas/Classification' }), ...clientErrors } } },
    '/classify/batch': { post: { summary: 'Classify several images (repeat the `image` field), answered in order', parameters: [modelParam, topkParam, inputParam, explainParam, explainClassParam], requestBody: imageBody, responses: { '200': json({ type: 'object', properties: { model: { type: 'object' }, results: { type: 'array', items: { oneOf: [{ $ref: '#/components/schemas/Classification' }, error] } } } }), ...clientErrors } } },
    '/evaluate': {
      post: {
        summary: 'Evaluate a model on the Fashion-MNIST test set (or an uploaded IDX pair); `Accept: text/event-stream` or `?stream=1` streams progress',
        parameters: [modelParam, { name: 'stream', in: 'query', schema: { type: 'boolean' } }],
        requestBody: { required: false, content: { 'multipart/form-data': { schema: { type: 'object', properties: { images: { type: 'string', format: 'binary' }, labels: { type: 'string', format: 'binary' } } } } } },
        responses: { '200': json({ type: 'object', description: 'accuracy, macro, perClass, confusion, seconds, imagesPerSecond' }), '409': errorResponse('no data directory'), '400': errorResponse('bad IDX upload'), '404': errorResponse('unknown model'), '413': errorResponse('uploaded dataset over --max-eval-images'), '503': errorResponse('evaluation queue full (Retry-After)') },
      },
    },
    '/samples': { get: { summary: 'Random test-set images as PNG data URLs with labels', parameters: [{ name: 'n', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 64, default: 12 } }, { name: 'seed', in: 'query', schema: { type: 'integer' } }], responses: { '200': json({ type: 'object' }), '409': errorResponse('no data directory') } } },
    '/healthz': { get: { summary: 'Liveness', responses: { '200': json({ type: 'object' }) } } },
    '/readyz': { get: { summary: 'Readiness (models loaded, not shedding load)', responses: { '200': json({ type: 'object' }), '503': errorResponse('not ready, or overloaded (a queue is full)') } } },
    '/models': { get: { summary: 'Loaded models: version, provider, ONNX metadata', responses: { '200': json({ type: 'object' }) } } },
    '/models/{name}': { get: { summary: 'One model', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ type: 'object' }), '404': errorResponse('unknown model') } } },
    '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'text exposition format' } } } },
    '/v2/health/live': { get: { summary: 'KServe v2 liveness', responses: { '200': json({ type: 'object' }) } } },
    '/v2/health/ready': { get: { summary: 'KServe v2 readiness', responses: { '200': json({ type: 'object' }), '503': json({ type: 'object' }) } } },
    '/v2/models/{name}': { get: { summary: 'KServe v2 model metadata', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ type: 'object' }), '404': errorResponse('unknown model') } } },
    '/v2/models/{name}/ready': { get: { summary: 'KServe v2 model readiness', parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': json({ type: 'object' }), '404': errorResponse('unknown model') } } },
    '/v2/models/{name}/infer': {
      post: {
        summary: 'KServe v2 inference (JSON tensors): input `input` FP32 [N,1,28,28] in [0,1]. Explanation graphs are models named `<model>-explain` (GET /models lists them): inputs `input` and `class` INT64 [N] (0-9, or -1 for the top class); outputs logits, probabilities, explained_class (INT64), heatmap, gradcam (CNN), saliency FP32 [N,28,28], input_gradient FP32 [N,1,28,28]',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: { '200': json({ type: 'object' }), '400': errorResponse('wrong tensor name, shape or datatype, or values not finite as FP32'), '404': errorResponse('unknown model'), '413': errorResponse('JSON body over --max-json-mb'), '422': errorResponse('the outputs overflowed (non-finite)') },
      },
    },
  },
  components: {
    schemas: {
      Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', enum: Object.keys(ERROR_STATUS) }, message: { type: 'string' } } } } },
      Classification: {
        type: 'object',
        properties: {
          model: { type: 'object', properties: { name: { type: 'string' }, version: { type: 'string' }, provider: { type: 'string' } } },
          predictions: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, name: { type: 'string' }, probability: { type: 'number' } } } },
          uncertain: { type: 'boolean', description: 'Calibrated models only (the default, cnn-photo): the top probability is under the threshold in the model metadata (calibration.uncertain_threshold), so the answer is likely wrong or the photo shows something no class fits' },
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
          model: { type: 'object', description: 'the explanation graph: its v2 model name (<model>-explain) and version', properties: { name: { type: 'string' }, version: { type: 'string' } } },
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
                heatmap: { type: 'array', minItems: 28, maxItems: 28, items: { type: 'array', minItems: 28, maxItems: 28, items: { type: 'number', minimum: 0, maximum: 1 } }, description: "row y, column x of the 28x28 input; the graph's float32 values exactly" },
                overlay: { type: 'string', description: 'PNG data URL: the 28x28 input in gray, the map blended over it in the cividis colour map' },
              },
            },
          },
          region: {
            type: 'object',
            description: 'where the garment is: the `input` block of each map covers the `photo` box of the upload',
            properties: { input: { ...box, description: 'in the 28x28 input' }, photo: { ...box, description: 'in the uploaded image (after EXIF orientation), fractional' }, photoSize: { type: 'object', properties: { width: { type: 'integer' }, height: { type: 'integer' } } } },
          },
        },
      },
    },
  },
} as const;
