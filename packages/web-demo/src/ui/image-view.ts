import type { Current } from '../current.ts';
import type { PageElements } from './elements.ts';
import { drawGray, drawWorking } from './pixels.ts';
import { describeSteps } from './steps.ts';

/** Shows the image, its working crop, the 28x28 input and the preprocessing steps; clears the last server comparison. */
export function showImage(ui: PageElements, cur: Current): void {
  ui.result.hidden = false;
  ui.original.src = cur.objectUrl;
  ui.original.alt = `Your image: ${cur.name}`;
  ui.originalCaption.textContent = `Your image (${cur.decoded.width}×${cur.decoded.height})`;
  // Small images (a 28x28 test image) would blur when scaled up smoothly.
  ui.original.classList.toggle('pixelated', Math.max(cur.decoded.width, cur.decoded.height) <= 64);
  drawWorking(ui.working, cur.decoded, cur.prep.report);
  ui.workingCaption.textContent = cur.prep.report.passthrough
    ? 'Already 28×28: no segmentation'
    : `Garment found (${cur.prep.report.working.width}×${cur.prep.report.working.height})`;
  drawGray(ui.input28, cur.prep.pixels);
  ui.stepsText.textContent = describeSteps(cur.prep.report, cur.decoded);
  ui.serverResult.replaceChildren();
  delete ui.serverResult.dataset.state;
}
