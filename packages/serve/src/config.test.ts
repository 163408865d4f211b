import { join, resolve } from 'node:path';
import { repoRoot } from '@fmnist/core/node';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, SERVE_USAGE } from './config.ts';

describe('parseConfig', () => {
  it('defaults: port 3000, all interfaces, device auto, <repo>/models', () => {
    const o = parseConfig([], {});
    if (o === 'help') throw new Error('unexpected help');
    expect(o.port).toBe(3000);
    expect(o.host).toBe('0.0.0.0');
    expect(o.device).toBe('auto');
    expect(o.modelsDir).toBe(join(repoRoot(), 'models'));
    expect(o.batching).toEqual({ maxBatch: 16, maxDelayMs: 2, maxQueue: 512 });
  });

  it('flags win over environment variables, which win over defaults', () => {
    const env = { PORT: '4000', HOST: '127.0.0.1', DEVICE: 'cpu', FMNIST_DIR: '/fake/fashion-mnist', MAX_BATCH: '8' };
    const fromEnv = parseConfig([], env);
    const fromFlags = parseConfig(['--port', '5000', '--device', 'cuda', '--data-dir', '/other', '--max-batch', '1', '--models', '/m'], env);
    if (fromEnv === 'help' || fromFlags === 'help') throw new Error('unexpected help');
    expect([fromEnv.port, fromEnv.host, fromEnv.device, fromEnv.dataDir, fromEnv.batching?.maxBatch]).toEqual([
      4000,
      '127.0.0.1',
      'cpu',
      '/fake/fashion-mnist',
      8,
    ]);
    expect([fromFlags.port, fromFlags.device, fromFlags.dataDir, fromFlags.batching?.maxBatch, fromFlags.modelsDir]).toEqual([5000, 'cuda', '/other', 1, '/m']);
  });

  it('resolves relative paths against the directory pnpm was started from', () => {
    const root = repoRoot();
    const o = parseConfig(['--models', 'models', '--data-dir', '../shared/fm'], { INIT_CWD: root });
    if (o === 'help') throw new Error('unexpected help');
    expect([o.modelsDir, o.dataDir]).toEqual([join(root, 'models'), resolve(root, '../shared/fm')]);
    const e = parseConfig([], { INIT_CWD: root, FMNIST_DIR: 'data/x' });
    if (e === 'help') throw new Error('unexpected help');
    expect(e.dataDir).toBe(join(root, 'data/x'));
  });

  it('explanation lanes: auto (absent) by default, a number from the flag or EXPLAIN_LANES', () => {
    const auto = parseConfig([], {});
    const fromEnv = parseConfig([], { EXPLAIN_LANES: '3' });
    const fromFlag = parseConfig(['--explain-lanes', '1'], { EXPLAIN_LANES: '3' });
    const explicitAuto = parseConfig(['--explain-lanes', 'auto'], { EXPLAIN_LANES: '3' });
    if (auto === 'help' || fromEnv === 'help' || fromFlag === 'help' || explicitAuto === 'help') throw new Error('unexpected help');
    expect([auto.explainLanes, fromEnv.explainLanes, fromFlag.explainLanes, explicitAuto.explainLanes]).toEqual([undefined, 3, 1, undefined]);
    expect(() => parseConfig(['--explain-lanes', '0'], {})).toThrow(/--explain-lanes/);
    expect(SERVE_USAGE).toContain('--explain-lanes');
  });

  it('background niceness: the server default when absent, 0-19 from the flag or BACKGROUND_NICE', () => {
    const [absent, fromEnv, fromFlag] = [
      parseConfig([], {}),
      parseConfig([], { BACKGROUND_NICE: '0' }),
      parseConfig(['--background-nice', '5'], { BACKGROUND_NICE: '0' }),
    ];
    if (absent === 'help' || fromEnv === 'help' || fromFlag === 'help') throw new Error('unexpected help');
    expect([absent.backgroundNiceness, fromEnv.backgroundNiceness, fromFlag.backgroundNiceness]).toEqual([undefined, 0, 5]);
    expect(() => parseConfig(['--background-nice', '20'], {})).toThrow(/--background-nice must be an integer from 0 to 19/);
    expect(SERVE_USAGE).toContain('--background-nice');
  });

  it('admin port: the main port + 1 by default (any free one beside port 0), a port from the flag or ADMIN_PORT, off, never the main port', () => {
    const read = (argv: string[], env: NodeJS.ProcessEnv) => {
      const o = parseConfig(argv, env);
      if (o === 'help') throw new Error('unexpected help');
      return o.adminPort;
    };
    expect([read([], {}), read(['--port', '8080'], {}), read(['--port', '0'], {})]).toEqual([3001, 8081, 0]);
    expect([read([], { ADMIN_PORT: '9091' }), read(['--admin-port', '9092'], { ADMIN_PORT: '9091' })]).toEqual([9091, 9092]);
    expect([read(['--admin-port', 'off'], {}), read([], { ADMIN_PORT: 'off' })]).toEqual([undefined, undefined]);
    expect(() => parseConfig(['--port', '65535'], {})).toThrow(/the main port \+ 1 is 65536; name a port, or off/);
    expect(() => parseConfig(['--port', '9090', '--admin-port', '9090'], {})).toThrow(/--admin-port must differ from --port/);
    expect(() => parseConfig([], { ADMIN_PORT: '-1' })).toThrow(/--admin-port must be an integer/);
    expect(SERVE_USAGE).toContain('--admin-port');
    const stall = (argv: string[], env: NodeJS.ProcessEnv) => {
      const o = parseConfig(argv, env);
      if (o === 'help') throw new Error('unexpected help');
      return o.adminStallMs;
    };
    expect([stall([], {}), stall([], { STALL_S: '2' }), stall(['--stall-s', '9'], { STALL_S: '2' })]).toEqual([undefined, 2000, 9000]);
    expect(() => parseConfig(['--stall-s', '0'], {})).toThrow(/--stall-s must be an integer from 1 to 600/);
  });

  it('rejects bad values with a message naming the flag', () => {
    expect(() => parseConfig(['--device', 'gpu'], {})).toThrow(ConfigError);
    expect(() => parseConfig(['--port', '70000'], {})).toThrow(/--port/);
    expect(() => parseConfig([], { MAX_QUEUE: 'lots' })).toThrow(/--max-queue/);
    expect(() => parseConfig(['--bogus'], {})).toThrow();
    expect(parseConfig(['--help'], {})).toBe('help');
  });

  it('every limit is a flag and an environment variable, in its own unit; defaults stay with the server', () => {
    const o = parseConfig(['--max-avif-mp', '8', '--body-idle-timeout-s', '30', '--decode-queue', '0'], {
      MAX_BODY_MB: '20',
      MAX_CONNECTIONS: '5000',
      MAX_AVIF_MP: '2',
    });
    if (o === 'help') throw new Error('unexpected help');
    expect(o.decode).toEqual({ maxPixelsAvif: 8_000_000 });
    expect(o.limits).toEqual({ maxBodyBytes: 20 * 1024 * 1024, decodeQueue: 0 });
    expect(o.connections).toEqual({ bodyIdleTimeoutMs: 30_000, maxConnections: 5000 });
    expect(() => parseConfig(['--max-connections', '0'], {})).toThrow(/--max-connections must be an integer from 1/);
    expect(() => parseConfig([], { MAX_EVAL_IMAGES: '1e6' })).toThrow(/--max-eval-images/);
    expect(SERVE_USAGE).toMatch(/--max-avif-mp N .*env MAX_AVIF_MP; default 12\)/);
  });
});
