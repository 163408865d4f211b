import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LEGACY_MODELS_DIR_ENV, MODELS_DIR_ENV, repoRoot, resolveDataDir, resolveModelsDir, SHIPPED_MODELS, userPath } from '@fmnist/core/node';
import { DEFAULT_MAX_STALL_MS } from './admin-listener.ts';
import { DEFAULT_BATCHING } from './batcher.ts';
import { LANE_MS_PER_IMAGE } from './explain-lanes.ts';
import { flagDefault, LIMIT_FLAGS } from './limits.ts';
import { DEFAULT_BACKGROUND_NICENESS } from './threads/background-priority.ts';
import type { Device } from './session-types.ts';
import type { ServerOptions } from './server.ts';

export const SERVE_USAGE = `Usage: pnpm --filter @fmnist/serve start -- [options]

  --models DIR        folder of *.onnx models (env ${MODELS_DIR_ENV}, or the deprecated ${LEGACY_MODELS_DIR_ENV}; default <repo>/models)
  --port N            port (env PORT; default 3000; 0 = any free port)
  --host HOST         interface to bind (env HOST; default 0.0.0.0)
  --admin-port N|off  a second port, on the same interface, for /healthz, /readyz and /metrics only, served by a
                      thread of its own, for probes that must answer while the main port is flooded (env ADMIN_PORT;
                      default the main port + 1, or any free port when --port is 0; off = none)
  --stall-s N         on the admin port, /healthz and /readyz say 503 once the event loop has not turned for N s
                      (env STALL_S; default ${DEFAULT_MAX_STALL_MS / 1000})
  --device D          auto | cuda | cpu (env DEVICE; default auto: CUDA if it works, else CPU)
  --data-dir DIR      Fashion-MNIST folder for /evaluate and /samples (env FMNIST_DIR; default <repo>/data/fashion-mnist)
  --default-model M   model used when a request names none (default: the first of ${SHIPPED_MODELS.join(', ')} present)
  --max-batch N       dynamic batching: largest batch per session run (env MAX_BATCH; default ${DEFAULT_BATCHING.maxBatch}; 1 = off)
  --max-delay-ms N    dynamic batching: longest wait for a batch to fill (env MAX_DELAY_MS; default ${DEFAULT_BATCHING.maxDelayMs})
  --max-queue N       queued images before 503 + Retry-After (env MAX_QUEUE; default ${DEFAULT_BATCHING.maxQueue})
  --explain-lanes N   sessions per explanation graph, each in a thread of its own (env EXPLAIN_LANES; default auto:
                      more for a graph slower than ${LANE_MS_PER_IMAGE} ms an image on this machine, up to the cores)
  --background-nice N niceness (0-19) of the threads that decode photos and run /evaluate, below the event loop's
                      (env BACKGROUND_NICE; default ${DEFAULT_BACKGROUND_NICENESS}; 0 = the default priority; Linux)
  --static-dir DIR    web demo build served at / (default packages/web-demo/dist, if it exists)
  -h, --help

Limits (each also an environment variable; see the serve README):
${LIMIT_FLAGS.map((f) => `  --${`${f.flag} N`.padEnd(24)}${f.help} (env ${f.env}; default ${flagDefault(f)})`).join('\n')}`;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Flags win over environment variables, which win over defaults. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      models: { type: 'string' },
      port: { type: 'string' },
      'admin-port': { type: 'string' },
      'stall-s': { type: 'string' },
      host: { type: 'string' },
      device: { type: 'string' },
      'data-dir': { type: 'string' },
      'default-model': { type: 'string' },
      'max-batch': { type: 'string' },
      'max-delay-ms': { type: 'string' },
      'max-queue': { type: 'string' },
      ...Object.fromEntries(LIMIT_FLAGS.map((f) => [f.flag, { type: 'string' as const }])),
      'static-dir': { type: 'string' },
      'explain-lanes': { type: 'string' },
      'background-nice': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const root = repoRoot();
  // `pnpm --filter @fmnist/serve start` runs in packages/serve; relative paths mean the directory pnpm was started from.
  const path = (p: string | undefined) => (p === undefined ? undefined : userPath(p, env));
  const device = values.device ?? env.DEVICE ?? 'auto';
  if (device !== 'auto' && device !== 'cuda' && device !== 'cpu') throw new ConfigError(`--device must be auto, cuda or cpu, got '${device}'`);
  const options: ServerOptions = {
    modelsDir: resolveModelsDir(values.models, env),
    port: int('port', values.port ?? env.PORT ?? '3000', 0, 65535),
    host: values.host ?? env.HOST ?? '0.0.0.0',
    device: device as Device,
    dataDir: resolveDataDir(values['data-dir'], env),
    staticDir: path(values['static-dir']) ?? join(root, 'packages', 'web-demo', 'dist'),
    batching: {
      maxBatch: int('max-batch', values['max-batch'] ?? env.MAX_BATCH ?? String(DEFAULT_BATCHING.maxBatch), 1, 1024),
      maxDelayMs: int('max-delay-ms', values['max-delay-ms'] ?? env.MAX_DELAY_MS ?? String(DEFAULT_BATCHING.maxDelayMs), 0, 1000),
      maxQueue: int('max-queue', values['max-queue'] ?? env.MAX_QUEUE ?? String(DEFAULT_BATCHING.maxQueue), 1, 100_000),
    },
    limits: {},
    decode: {},
    connections: {},
  };
  for (const f of LIMIT_FLAGS) {
    const raw = (values as Record<string, string | undefined>)[f.flag] ?? env[f.env];
    if (raw === undefined) continue;
    (options[f.group] as Record<string, number>)[f.key as string] = int(f.flag, raw, f.min, f.max) * f.unit;
  }
  const adminPort = values['admin-port'] ?? env.ADMIN_PORT;
  if (adminPort !== 'off') {
    // As Triton opens its metrics port beside its API port: on unless switched off, next to the main port.
    options.adminPort = adminPort === undefined ? (options.port === 0 ? 0 : options.port + 1) : int('admin-port', adminPort, 0, 65535);
    if (options.adminPort > 65535) throw new ConfigError(`--admin-port: the main port + 1 is ${options.adminPort}; name a port, or off`);
    if (options.adminPort !== 0 && options.adminPort === options.port) throw new ConfigError(`--admin-port must differ from --port (both ${options.port})`);
  }
  const stall = values['stall-s'] ?? env.STALL_S;
  if (stall !== undefined) options.adminStallMs = int('stall-s', stall, 1, 600) * 1000;
  if (values['default-model']) options.defaultModel = values['default-model'];
  const lanes = values['explain-lanes'] ?? env.EXPLAIN_LANES ?? 'auto';
  if (lanes !== 'auto') options.explainLanes = int('explain-lanes', lanes, 1, 64);
  const nice = values['background-nice'] ?? env.BACKGROUND_NICE;
  if (nice !== undefined) options.backgroundNiceness = int('background-nice', nice, 0, 19);
  return options;
}

function int(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}
