import { fileURLToPath } from 'node:url';

/** What a pool's threads read at start, beside the task module. */
export interface WorkerSettings {
  /** Niceness the thread takes before its first task (background-priority.ts); 0 = as it is. */
  niceness?: number;
}

/** piscina options that run `task` (a TypeScript module beside this file) through tsx-worker.mjs. */
export function tsxWorker(task: string, settings: WorkerSettings = {}): { filename: string; workerData: { task: string } & WorkerSettings } {
  return {
    filename: fileURLToPath(new URL('./tsx-worker.mjs', import.meta.url)),
    workerData: { task: new URL(task, import.meta.url).href, ...settings },
  };
}
