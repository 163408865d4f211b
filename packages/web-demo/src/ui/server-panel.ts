import type { ModelName } from '../config.ts';
import type { Current } from '../current.ts';
import type { LoadedInfo } from '../inference/client.ts';
import { el } from './dom.ts';
import type { PageElements } from './elements.ts';
import { messageOf } from './message.ts';
import { serverRow } from './server-compare.ts';

/** Sends the same file to `POST /classify` and sets the server's answer and 28x28 input beside the browser's (`shown`). */
export async function compareWithServer(
  ui: PageElements,
  cur: Current,
  models: readonly ModelName[],
  shown: ReadonlyMap<ModelName, { top1: number; info: LoadedInfo }>,
): Promise<void> {
  ui.compare.disabled = true;
  ui.serverResult.dataset.state = 'busy';
  ui.serverResult.replaceChildren(el('p', {}, 'Asking the server…'));
  try {
    const rows: HTMLElement[] = [];
    for (const name of models) {
      const side = shown.get(name);
      rows.push(await serverRow(cur.blob, cur.prep.pixels, { name, top1: side?.top1, info: side?.info }));
    }
    ui.serverResult.replaceChildren(...rows);
    ui.serverResult.dataset.state = 'done';
  } catch (err) {
    ui.serverResult.replaceChildren(el('p', { className: 'error' }, `Server comparison failed: ${messageOf(err)}`));
    ui.serverResult.dataset.state = 'error';
  } finally {
    ui.compare.disabled = false;
  }
}
