import { classifyOnServer, ServerError, type ServerAnswer } from '../api/server.ts';
import { MODEL_LABELS, TOP_K, type ModelName } from '../config.ts';
import type { LoadedInfo } from '../inference/client.ts';
import { serverModelName } from '../inference/manifest.ts';
import { pixelDifference } from '../parity.ts';
import { el, formatMs } from './dom.ts';
import { grayFromUrl } from './pixels.ts';

/** What the browser showed for one model, to set the server's answer beside. */
export interface BrowserSide {
  name: ModelName;
  /** The browser's top-1 class index, if it answered. */
  top1: number | undefined;
  /** The file and weights the browser ran, so the server is asked for the same weights. */
  info: LoadedInfo | undefined;
}

/**
 * Asks the server for the model file the browser ran (e.g. `cnn.int8`); a
 * server without that file (started on other models) answers with the plain model.
 */
async function askServer(file: Blob, side: BrowserSide): Promise<ServerAnswer> {
  const same = side.info ? serverModelName(side.info) : side.name;
  try {
    return await classifyOnServer(file, same, TOP_K);
  } catch (err) {
    if (same === side.name || !(err instanceof ServerError) || err.status !== 404) throw err;
    return classifyOnServer(file, side.name, TOP_K);
  }
}

/** One row: the server's answer and 28x28 input, whether it agrees, and how far the inputs differ. */
export async function serverRow(file: Blob, browserInput: Uint8Array, side: BrowserSide): Promise<HTMLElement> {
  const answer = await askServer(file, side);
  const server = answer.predictions[0];
  const agree = server !== undefined && side.top1 === server.index;
  const diff = answer.input ? pixelDifference(browserInput, await grayFromUrl(answer.input)) : undefined;
  const img = el('img', { src: answer.input ?? '', alt: `The 28 by 28 input the server's ${side.name} model saw`, className: 'pixelated' });
  img.dataset.role = 'server-input';
  const text = el(
    'p',
    {},
    `Server ${MODEL_LABELS[side.name]} (${answer.model.name}, onnxruntime-node, ${answer.model.provider}): `,
    el('strong', {}, server ? `${server.name} ${(server.probability * 100).toFixed(1)}%` : 'no answer'),
    ' — ',
    el('span', { className: agree ? 'agree' : 'disagree' }, agree ? 'agrees with the browser' : 'differs from the browser'),
    diff ? `; inputs differ by at most ${diff.max} gray levels (mean ${diff.mean.toFixed(2)}).` : '.',
    ` Server time: decode ${formatMs(answer.timings.decodeMs)}, preprocess ${formatMs(answer.timings.preprocessMs)}, inference ${formatMs(answer.timings.inferenceMs)}.`,
  );
  const row = el('div', { className: 'server-row' }, img, text);
  row.dataset.model = side.name;
  row.dataset.serverModel = answer.model.name;
  row.dataset.serverIndex = String(server?.index ?? -1);
  row.dataset.agree = String(agree);
  return row;
}
