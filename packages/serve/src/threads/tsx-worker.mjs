// Worker threads do not inherit tsx's loader under Node 20: register it, then hand piscina
// the TypeScript task module that the pool named in its workerData. A pool of background
// work also names the niceness its threads take first (background-priority.ts).
import { workerData } from 'piscina';
import { register } from 'tsx/esm/api';

register();
if (workerData.niceness) (await import(new URL('./background-priority.ts', import.meta.url).href)).lowerThisThread(workerData.niceness);
export default (await import(workerData.task)).default;
