/**
 * Builds packages/web-demo/dist when it is missing or older than its
 * sources, core's preprocessing or the models; otherwise does nothing.
 * `pnpm start` runs it before starting the server.
 */
import { ensureBuilt } from './build-state.ts';

const { built } = await ensureBuilt();
if (!built) console.log('web demo build is up to date');
