import { CLASS_NAMES, garmentRegion, TOP_CLASS } from '@fmnist/core';
import { MODEL_LABELS, type ModelName } from '../config.ts';
import type { Current } from '../current.ts';
import type { ExplainScores, Inference, LoadedInfo } from '../inference/client.ts';
import { el, formatMs } from './dom.ts';
import type { PageElements } from './elements.ts';
import { drawInputOverlay, drawPhotoOverlay } from './heatmap.ts';
import { messageOf } from './message.ts';

/** Whether the page should explain `info`'s model: the switch is on and the model has an explanation graph. */
export function explainWanted(ui: PageElements, info: LoadedInfo | undefined): boolean {
  return ui.explain.checked && !ui.explain.disabled && info?.explain !== undefined;
}

/** The class the user asked to explain, or TOP_CLASS (its answer). */
export function askedClass(ui: PageElements): number {
  const asked = Number(ui.explainClass.value);
  return Number.isInteger(asked) ? asked : TOP_CLASS;
}

/**
 * With Explain on, the heatmap of the chosen class (its answer by default)
 * from the model's explanation graph, drawn over the 28x28 input and over
 * the garment's box in the photo. Returns a line for the status, or
 * undefined when Explain is off. `#explanation`'s data attributes and the
 * input canvas's `data-heatmap` (the 784 numbers) are what tests read.
 */
export async function showExplanation(
  ui: PageElements,
  inference: Inference,
  cur: Current,
  name: ModelName,
  info: LoadedInfo | undefined,
): Promise<string | undefined> {
  const box = ui.explanation;
  if (!info || !explainWanted(ui, info)) {
    box.hidden = true;
    box.dataset.state = 'off';
    return undefined;
  }
  try {
    return drawExplanation(ui, cur, name, info, await inference.explain(name, cur.input, askedClass(ui)));
  } catch (err) {
    box.hidden = false;
    box.dataset.state = 'error';
    ui.explainText.textContent = `No explanation: ${messageOf(err)}`;
    return undefined;
  }
}

/** Draws an explanation the page already has (from showExplanation, or from the graph that also gave the answer). */
export function drawExplanation(ui: PageElements, cur: Current, name: ModelName, info: LoadedInfo, e: ExplainScores): string {
  const box = ui.explanation;
  drawInputOverlay(ui.explainInput, cur.prep.pixels, e.heatmap);
  drawPhotoOverlay(ui.explainPhoto, cur.decoded, e.heatmap, garmentRegion(cur.prep.report, cur.decoded));
  ui.explainInput.dataset.heatmap = JSON.stringify(Array.from(e.heatmap));
  const top = e.probabilities.indexOf(Math.max(...e.probabilities));
  const cls = CLASS_NAMES[e.explainedClass] ?? String(e.explainedClass);
  const pct = `${(e.probabilities[e.explainedClass]! * 100).toFixed(1)}%`;
  ui.explainText.textContent =
    e.explainedClass === top
      ? `Why ${cls}? Brighter = pixels that raised ${MODEL_LABELS[name]}'s score for ${cls} (${pct}) most.`
      : `Why not ${cls}? Brighter = pixels that speak most for ${cls} (${pct}); the answer is ${CLASS_NAMES[top]}.`;
  ui.explainText.append(
    el('span', { className: 'note' }, ` (${info.explain?.heatmap === 'gradcam' ? 'Grad-CAM' : 'input-gradient saliency'}, ${formatMs(e.explainMs)})`),
  );
  Object.assign(box.dataset, { state: 'done', model: name, explainedClass: String(e.explainedClass), explainMs: e.explainMs.toFixed(3) });
  box.hidden = false;
  return `explained: ${cls}`;
}
