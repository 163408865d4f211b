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
const imageBody = {
  required: true,
  content: {
    'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' }, model: { type: 'string' }, topk: { type: 'integer' } } } },
    'image/*': { schema: { type: 'string', format: 'binary' } },
  },
};
const clientErrors = {
  '400': errorResponse('bad request (empty body, bad topk, too many images, bad tensor)'),
  '404': errorResponse('unknown model'),
  '405': errorResponse('wrong method (see the Allow header)'),
  '408': errorResponse('the body stopped arriving (upload cut off)'),
  '413': errorResponse('body over the size limit'),
  '415': errorResponse('not an image / unsupported content type'),
  '422': errorResponse('corrupt or truncated image, over the decode budget (pixels by format, side, aspect ratio, PNG chunks), or a batch over its summed budget'),
  '503': errorResponse('a queue or the upload budget is full (Retry-After), or shutting down'),
};

export const openapi = {
  openapi: '3.1.0',
  info: { title: 'Fashion-MNIST serve', version: '0.1.0', description: 'Classifies clothing photos with ONNX models (onnxruntime-node). Errors are always `{error: {code, message}}`.' },
  paths: {
    '/classify': { post: { summary: 'Classify one image', parameters: [modelParam, topkParam, inputParam], requestBody: imageBody, responses: { '200': json({ $ref: '#/components/schemas/Classification' }), ...clientErrors } } },
    '/classify/batch': { post: { summary: 'Classify several images (repeat the `image` field), answered in order', parameters: [modelParam, topkParam, inputParam], requestBody: imageBody, responses: { '200': json({ type: 'object' }), ...clientErrors } } },
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
        summary: 'KServe v2 inference (JSON tensors): input `input` FP32 [N,1,28,28] in [0,1]',
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
          timings: { type: 'object', properties: { decodeMs: { type: 'number' }, preprocessMs: { type: 'number' }, inferenceMs: { type: 'number' } } },
          input: { type: 'string', description: 'PNG data URL (with ?input=1)' },
        },
      },
    },
  },
} as const;
