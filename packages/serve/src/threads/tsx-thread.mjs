// A plain worker thread (not a piscina pool's) running the TypeScript module its workerData names:
// Node 20's workers do not inherit tsx's loader, so register it first.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
