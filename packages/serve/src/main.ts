/**
 * Process entry: parse flags/env, load and warm up the models, listen, and
 * shut down gracefully on SIGTERM/SIGINT (stop accepting, finish in-flight
 * work, release sessions, exit).
 */
import { MetadataError } from '@fmnist/core';
import { AdminListenError } from './admin-listener.ts';
import { jemallocToPreload, loadedAllocator, relaunchWith } from './allocator.ts';
import { ConfigError, parseConfig, SERVE_USAGE } from './config.ts';
import { ModelLoadError } from './open-session.ts';
import { type RunningServer, startServer } from './server.ts';

async function main(): Promise<void> {
  const jemalloc = jemallocToPreload(process.env);
  if (jemalloc) await relaunchWith(jemalloc);
  let options: ReturnType<typeof parseConfig>;
  try {
    options = parseConfig(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${SERVE_USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(SERVE_USAGE);
    return;
  }
  const started = performance.now();
  let server: RunningServer;
  try {
    server = await startServer(options);
  } catch (err) {
    if (err instanceof ModelLoadError || err instanceof ConfigError || err instanceof MetadataError) {
      console.error(`cannot start: ${err.message}`);
      process.exit(1);
    }
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      if (err instanceof AdminListenError)
        console.error(`cannot listen on ${options.host}:${options.adminPort} for the admin port (${code}); choose another --admin-port (or off) or --host`);
      else console.error(`cannot listen on ${options.host}:${options.port} (${code}); choose another --port or --host`);
      process.exit(1);
    }
    throw err;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    console.log(`${signal}: finishing ${server.ctx.state.inFlight} in-flight request(s), then exiting`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Printed only once the signal handlers are in place: whoever waits for this line may stop the server at once (a SIGTERM that came before the handlers killed it with 143).
  const models = server.ctx.registry
    .list()
    .map((m) => `${m.name} (${m.provider}, ${m.version})`)
    .join(', ');
  console.log(
    `fmnist serve on ${server.url}${server.adminUrl ? ` (probes and metrics also on ${server.adminUrl})` : ''} in ${Math.round(performance.now() - started)} ms: models ${models}; default ${server.ctx.defaultModel}; allocator ${loadedAllocator()}; data ${options.dataDir}${server.ctx.staticDir ? `; web demo from ${server.ctx.staticDir}` : ''}`,
  );
}

await main();
