import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '@fmnist/serve';

/**
 * The real server (packages/serve) on a loopback ephemeral port, serving
 * `siteDir` at `/`. `fullDecode` makes its sharp adapter hand over full-size
 * pixels (no sharp resize), so the working-size shrink runs in core, as in
 * the browser: see the parity test.
 */
export function startDemoServer(opts: { modelsDir: string; siteDir: string; dataDir?: string; fullDecode?: boolean }): Promise<RunningServer> {
  return startServer({
    ...(opts.fullDecode ? { decode: { workingSize: 1 << 20 } } : {}),
    modelsDir: opts.modelsDir,
    staticDir: opts.siteDir,
    dataDir: opts.dataDir ?? join(tmpdir(), 'fmnist-no-data'),
    port: 0,
    host: '127.0.0.1',
    device: 'cpu',
    log: () => {},
  });
}
