// Worker threads do not inherit tsx's loader under Node 20: register it, then hand piscina
// the TypeScript task module that the pool named in its workerData.
import { workerData } from 'piscina';
import { register } from 'tsx/esm/api';

register();
export default (await import(workerData.task)).default;
