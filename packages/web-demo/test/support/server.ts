import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer } from '@fmnist/serve';

/** The real server (packages/serve) on a loopback ephemeral port, serving `siteDir` at `/`. */
export function startDemoServer(opts: { modelsDir: string; siteDir: string; dataDir?: string }): Promise<RunningServer> {
  return startServer({
    modelsDir: opts.modelsDir,
    staticDir: opts.siteDir,
    dataDir: opts.dataDir ?? join(tmpdir(), 'fmnist-no-data'),
    port: 0,
    host: '127.0.0.1',
    device: 'cpu',
    log: () => {},
  });
}
