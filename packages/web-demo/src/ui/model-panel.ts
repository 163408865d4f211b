import { isUncertain, type Prediction } from '@fmnist/core';
import { BACKEND_LABELS, MODEL_LABELS, type Backend, type ModelName } from '../config.ts';
import type { LoadedInfo } from '../inference/client.ts';
import type { Runtime } from '../inference/protocol.ts';
import { renderBars } from './bars.ts';
import { el, formatMs } from './dom.ts';

/** One model's answer for the image on screen: everything its panel shows. */
export interface ModelAnswer {
  name: ModelName;
  backend: Backend;
  /** Best first. */
  top: Prediction[];
  /** Which file and weights answered. */
  info: LoadedInfo;
  inferenceMs: number;
  runtime: Runtime;
  preprocessMs: number;
  decodeMs: number;
}

/** Which model answered: its name, the file the browser ran and its weights, and the backend. */
function heading(name: ModelName, backend: Backend, info?: LoadedInfo): HTMLHeadingElement {
  const file = info ? ` (${info.file}${info.weights === 'int8' ? ', int8 weights' : ''})` : '';
  return el('h3', {}, `${MODEL_LABELS[name]}${file} · ${BACKEND_LABELS[backend]}`);
}

/**
 * The plain-words warning for an answer under the model's uncertain
 * threshold, decided as the server decides its `uncertain` field.
 */
function uncertainNote(best: Prediction, info: LoadedInfo): HTMLElement | undefined {
  if (!info.calibration || !isUncertain(best.probability, info.calibration)) return undefined;
  const pct = (p: number) => `${Math.round(p * 100)}%`;
  const note = el(
    'p',
    { className: 'uncertain', role: 'note' },
    el('strong', {}, 'Unsure. '),
    `The model gives its answer only ${pct(best.probability)}, under its ${pct(info.calibration.uncertainThreshold)} threshold: the answer is likely wrong, or the image shows something none of the ten classes fits.`,
  );
  return note;
}

/**
 * A model's result panel. `data-model`, `data-backend` and `data-weights`
 * on the panel and `data-index` on the top label are what tests and CSS read.
 */
export function renderModelPanel(a: ModelAnswer): HTMLElement {
  const best = a.top[0]!;
  const label = el('p', { className: 'top-label' }, best.name);
  label.dataset.index = String(best.index);
  const timing = el(
    'p',
    { className: 'timing' },
    `inference ${formatMs(a.inferenceMs)}${a.runtime === 'javascript' ? ' (JavaScript kernels, while onnxruntime-web starts)' : ''} · preprocessing ${formatMs(a.preprocessMs)} · decoding ${formatMs(a.decodeMs)}`,
  );
  timing.dataset.inferenceMs = a.inferenceMs.toFixed(3);
  timing.dataset.runtime = a.runtime;
  const unsure = uncertainNote(best, a.info);
  const panel = el('section', { className: 'model-result' }, heading(a.name, a.backend, a.info), ...(unsure ? [unsure] : []), label, renderBars(a.top), timing);
  panel.dataset.model = a.name;
  panel.dataset.file = a.info.file;
  // Only calibrated models say; for the others the flag does not exist (as in the server's answer).
  if (a.info.calibration) panel.dataset.uncertain = String(unsure !== undefined);
  panel.dataset.backend = a.backend;
  panel.dataset.weights = a.info.weights;
  panel.setAttribute('aria-label', `${MODEL_LABELS[a.name]} prediction: ${best.name}${unsure ? ' (unsure)' : ''}`);
  return panel;
}

export function renderModelError(name: ModelName, backend: Backend, message: string): HTMLElement {
  const panel = el('section', { className: 'model-result' }, heading(name, backend), el('p', { className: 'error' }, message));
  panel.dataset.model = name;
  return panel;
}
