import { MODEL_LABELS, MODEL_NAMES, type ModelName } from '../config.ts';
import type { ModelManifest } from '../inference/manifest.ts';
import type { PageElements } from './elements.ts';

/** Disables the models this build lacks (checking `first`, the first it has, if the chosen one is missing). */
export function offerModels(ui: PageElements, manifest: ModelManifest, first: ModelName): void {
  const missing = MODEL_NAMES.filter((m) => !manifest[m]);
  for (const m of missing) {
    const radio = ui.controls.querySelector<HTMLInputElement>(`input[name="model"][value="${m}"]`);
    if (!radio) continue;
    if (radio.checked) ui.controls.querySelector<HTMLInputElement>(`input[name="model"][value="${first}"]`)!.checked = true;
    radio.disabled = true;
  }
  ui.modelNote.textContent = missing.length ? `Not in this build: ${missing.map((m) => MODEL_LABELS[m]).join(', ')}.` : '';
}

/** The Explain switch works for `name` (the first chosen model) when the build has its explanation graph; otherwise it says why not. */
export function offerExplain(ui: PageElements, manifest: ModelManifest, name: ModelName | undefined, available: readonly ModelName[]): void {
  const graph = name ? manifest[name]?.explain : undefined;
  ui.explain.disabled = !graph;
  ui.explainClass.disabled = !graph;
  const others = available.filter((m) => manifest[m]?.explain).map((m) => MODEL_LABELS[m]);
  ui.explainNote.textContent = graph
    ? ''
    : `The ${name ? MODEL_LABELS[name] : ''} model has no explanation graph in this build (models/explain/${name}.onnx)${others.length ? `; ${others.join(' and ')} can explain` : ''}.`;
  ui.explainNote.dataset.reason = graph ? '' : 'no-graph';
}
