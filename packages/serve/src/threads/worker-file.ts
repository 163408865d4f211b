import { fileURLToPath } from 'node:url';

/** piscina options that run `task` (a TypeScript module beside this file) through tsx-worker.mjs. */
export function tsxWorker(task: string): { filename: string; workerData: { task: string } } {
  return { filename: fileURLToPath(new URL('./tsx-worker.mjs', import.meta.url)), workerData: { task: new URL(task, import.meta.url).href } };
}
