import { DEFAULT_DECODE, type DecodeBudget } from './decode-budget.ts';

/** What one request, and all of them together, may cost. Every field is a flag and an environment variable (LIMIT_FLAGS). */
export interface Limits {
  /** Largest request body in bytes (413 beyond). */
  maxBodyBytes: number;
  /** Largest JSON body (KServe v2 infer, /evaluate options) in bytes (413 beyond). */
  maxJsonBytes: number;
  /** Most images in one POST /classify/batch. */
  maxBatchImages: number;
  /** Summed decode cost of one /classify/batch, in JPEG-equivalent pixels (422 beyond). */
  maxBatchCost: number;
  /** Most images in one v2 infer request. */
  maxInferBatch: number;
  /** Decodes waiting for an image thread; more are shed with 503. */
  decodeQueue: number;
  /** Summed cost of the waiting decodes (JPEG-equivalent pixels); more is shed with 503. */
  decodeQueueCost: number;
  /** Most images in an uploaded /evaluate dataset (checked while inflating). */
  maxEvalImages: number;
  /** Evaluations running at once. */
  evalConcurrency: number;
  /** Evaluations waiting; more are shed with 503. */
  evalQueue: number;
  /** Request bodies being received at once, in bytes (by Content-Length, bodies of 32 kB or less not counted; a chunked body counts as maxBodyBytes); 503 beyond. */
  maxInflightBodyBytes: number;
  /**
   * Bytes of large photo bodies (over 256 kB) the event loop reads per turn, all uploads together
   * (body-pacer.ts): libuv accepts one new connection per turn, so a turn spent copying megabytes
   * keeps every new connection waiting.
   */
  bodyBytesPerTurn: number;
  /**
   * How long a photo upload shed on its headers (shed-before-app.ts) waits for its 503, its body unread:
   * a flood's clients that retry at once then retry once per delay per connection, where an immediate
   * answer let 300 connections make 1,100-2,000 refusals a second, most of the event loop's time. 0: at once.
   */
  shedDelayMs: number;
}

/** Connection hygiene: applied to the Node HTTP server. */
export interface ConnectionLimits {
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request: a 10 MB photo over a 2 Mbit/s uplink takes about 42 s. */
  requestTimeoutMs: number;
  /** A request body that sends nothing for this long is cut off with 408. */
  bodyIdleTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** Concurrent connections; more are refused by the kernel's accept. */
  maxConnections: number;
}

const MB = 1024 * 1024;
const MP = 1_000_000;

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 10 * MB,
  // 256 images of 784 floats as JSON text take about 4.4 MB.
  maxJsonBytes: 6 * MB,
  maxBatchImages: 64,
  // Two 50 MP phone photos, about 2.7 s of one core.
  maxBatchCost: 100 * MP,
  maxInferBatch: 256,
  decodeQueue: 32,
  decodeQueueCost: 100 * MP,
  // The test set's size; raise it to evaluate on the 60,000 training images.
  maxEvalImages: 10_000,
  evalConcurrency: 1,
  evalQueue: 2,
  // Six 10 MB uploads, or 15-30 phone photos: more than two cores decode at once (about 7 photos/s of
  // 12 MP), while 300 stalled uploads can hold (and the event loop read) no more than this between them.
  maxInflightBodyBytes: 64 * MB,
  // bench:abuse case 6 (session 21): /healthz p99 60-91 ms at 64 kB against 108-182 ms at 256 kB and 71-1,048 ms unpaced.
  bodyBytesPerTurn: 64 * 1024,
  // bench:abuse case 4 (session 25): refusals fell from 1,100-2,000 to about 270 a second, photos served
  // during the attack rose from 120-146 to 270-422, the probe's p99 from 109-338 to 72-140 ms. As Retry-After says.
  shedDelayMs: 1000,
};

export const DEFAULT_CONNECTIONS: ConnectionLimits = {
  headersTimeoutMs: 20_000,
  requestTimeoutMs: 120_000,
  bodyIdleTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 1024,
};

type Group = { limits: Limits; decode: DecodeBudget; connections: ConnectionLimits };

/** One numeric flag: its environment variable, its unit (the option is flag value x unit), range and help. */
export interface LimitFlag<G extends keyof Group = keyof Group> {
  flag: string;
  env: string;
  group: G;
  key: keyof Group[G];
  unit: number;
  min: number;
  max: number;
  help: string;
}

const flag = <G extends keyof Group>(
  flag: string,
  env: string,
  group: G,
  key: keyof Group[G],
  unit: number,
  min: number,
  max: number,
  help: string,
): LimitFlag => ({ flag, env, group, key, unit, min, max, help }) as LimitFlag;

export const LIMIT_FLAGS: LimitFlag[] = [
  flag('max-body-mb', 'MAX_BODY_MB', 'limits', 'maxBodyBytes', MB, 1, 1024, 'request body limit in MB (413 beyond)'),
  flag('max-json-mb', 'MAX_JSON_MB', 'limits', 'maxJsonBytes', MB, 1, 1024, 'JSON body limit in MB: v2 infer, /evaluate (413 beyond)'),
  flag('max-batch-images', 'MAX_BATCH_IMAGES', 'limits', 'maxBatchImages', 1, 1, 1024, 'images per /classify/batch (400 beyond)'),
  flag(
    'max-batch-mp',
    'MAX_BATCH_MP',
    'limits',
    'maxBatchCost',
    MP,
    1,
    10_000,
    'summed decode cost of a /classify/batch in JPEG-equivalent megapixels (422 beyond)',
  ),
  flag('max-infer-batch', 'MAX_INFER_BATCH', 'limits', 'maxInferBatch', 1, 1, 4096, 'images per v2 infer request (400 beyond)'),
  flag('decode-queue', 'DECODE_QUEUE', 'limits', 'decodeQueue', 1, 0, 100_000, 'photos waiting for a decoding thread (503 + Retry-After beyond)'),
  flag('decode-queue-mp', 'DECODE_QUEUE_MP', 'limits', 'decodeQueueCost', MP, 1, 100_000, 'their summed cost in JPEG-equivalent megapixels (503 beyond)'),
  flag('max-eval-images', 'MAX_EVAL_IMAGES', 'limits', 'maxEvalImages', 1, 1, 10_000_000, 'images in an uploaded /evaluate dataset (413 beyond)'),
  flag('eval-concurrency', 'EVAL_CONCURRENCY', 'limits', 'evalConcurrency', 1, 1, 64, 'evaluations running at once'),
  flag('eval-queue', 'EVAL_QUEUE', 'limits', 'evalQueue', 1, 0, 1000, 'evaluations waiting (503 + Retry-After beyond)'),
  flag(
    'max-inflight-body-mb',
    'MAX_INFLIGHT_BODY_MB',
    'limits',
    'maxInflightBodyBytes',
    MB,
    1,
    65_536,
    'request bodies over 32 kB being received at once, in MB (503 beyond)',
  ),
  flag(
    'body-kb-per-turn',
    'BODY_KB_PER_TURN',
    'limits',
    'bodyBytesPerTurn',
    1024,
    16,
    1_048_576,
    'kB of photo bodies over 256 kB read per event-loop turn, all uploads together (new connections are accepted one per turn)',
  ),
  flag(
    'shed-delay-ms',
    'SHED_DELAY_MS',
    'limits',
    'shedDelayMs',
    1,
    0,
    2000,
    'ms a photo upload shed on its headers waits for its 503, its body unread (0: at once)',
  ),
  flag('max-pixels-mp', 'MAX_PIXELS_MP', 'decode', 'maxPixels', MP, 1, 1000, 'pixel cap for JPEG, PNG, GIF, TIFF in megapixels (422 beyond)'),
  flag('max-avif-mp', 'MAX_AVIF_MP', 'decode', 'maxPixelsAvif', MP, 1, 1000, 'pixel cap for AVIF/HEIF in megapixels'),
  flag('max-webp-mp', 'MAX_WEBP_MP', 'decode', 'maxPixelsWebp', MP, 1, 1000, 'pixel cap for WebP in megapixels'),
  flag('max-side', 'MAX_SIDE', 'decode', 'maxSide', 1, 64, 1_000_000, 'longest image side in pixels'),
  flag('max-aspect', 'MAX_ASPECT', 'decode', 'maxAspect', 1, 1, 1_000_000, 'aspect ratio beyond which the elongated cap applies'),
  flag('max-elongated-mp', 'MAX_ELONGATED_MP', 'decode', 'maxPixelsExtreme', MP, 1, 1000, 'pixel cap for images more elongated than --max-aspect'),
  flag('max-png-chunks', 'MAX_PNG_CHUNKS', 'decode', 'maxPngChunks', 1, 16, 10_000_000, 'chunks in a PNG'),
  flag('headers-timeout-s', 'HEADERS_TIMEOUT_S', 'connections', 'headersTimeoutMs', 1000, 1, 3600, 'seconds to receive the request headers'),
  flag('request-timeout-s', 'REQUEST_TIMEOUT_S', 'connections', 'requestTimeoutMs', 1000, 1, 3600, 'seconds to receive a whole request (408 beyond)'),
  flag(
    'body-idle-timeout-s',
    'BODY_IDLE_TIMEOUT_S',
    'connections',
    'bodyIdleTimeoutMs',
    1000,
    1,
    3600,
    'a body that sends nothing for this long is cut off with 408',
  ),
  flag('keep-alive-timeout-s', 'KEEP_ALIVE_TIMEOUT_S', 'connections', 'keepAliveTimeoutMs', 1000, 1, 3600, 'idle keep-alive connections are closed after this'),
  flag('max-connections', 'MAX_CONNECTIONS', 'connections', 'maxConnections', 1, 1, 1_000_000, 'concurrent connections'),
];

const LIMIT_DEFAULTS: Group = { limits: DEFAULT_LIMITS, decode: DEFAULT_DECODE, connections: DEFAULT_CONNECTIONS };

/** The flag's default in its own unit (10 for --max-body-mb). */
export function flagDefault(f: LimitFlag): number {
  return (LIMIT_DEFAULTS[f.group] as unknown as Record<string, number>)[f.key as string]! / f.unit;
}
