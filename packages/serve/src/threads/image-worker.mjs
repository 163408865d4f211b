// Worker threads do not inherit tsx's loader under Node 20: register it, then hand piscina the TypeScript task.
import { register } from 'tsx/esm/api';

register();
export default (await import('./image-task.ts')).default;
