import { bytesToInput, preprocessImage, type PreprocessResult, type RawImage } from '@fmnist/core';
import { classifyOnServer, fetchSamples, serverAvailable } from './api/server.ts';
import { BACKEND_LABELS, MODEL_LABELS, MODEL_NAMES, TOP_K, type Backend, type ModelName } from './config.ts';
import { decodeImage } from './image/decode.ts';
import { ImageInputError } from './image/errors.ts';
import { Runtime, webgpuAvailable } from './inference/runtime.ts';
import { topK } from './inference/topk.ts';
import { pixelDifference } from './parity.ts';
import { renderBars } from './ui/bars.ts';
import { el, formatMs } from './ui/dom.ts';
import type { PageElements } from './ui/elements.ts';
import { renderGallery } from './ui/gallery.ts';
import { wireInputs } from './ui/input-sources.ts';
import { drawGray, drawWorking, grayFromUrl } from './ui/pixels.ts';
import { describeSteps } from './ui/steps.ts';

type ModelChoice = ModelName | 'both';

/** The image on screen, kept so a model or backend switch re-runs inference without decoding again. */
interface Current {
  blob: Blob;
  name: string;
  objectUrl: string;
  decoded: RawImage;
  prep: PreprocessResult;
  input: Float32Array;
  decodeMs: number;
  preprocessMs: number;
}

/**
 * The page's controller. `data-state` (loading | ready | busy | done | error)
 * and `data-run` (completed classifications) on <main> say where it is, for
 * people's CSS and for the browser tests alike.
 */
export class App {
  private current: Current | undefined;
  /** Increases with each request; async work for an older one is dropped. */
  private token = 0;
  private runs = 0;

  constructor(
    private readonly ui: PageElements,
    private readonly runtime = new Runtime(),
  ) {}

  async start(): Promise<void> {
    const { ui } = this;
    wireInputs(ui.pick, ui.file, (file) => void this.classifyFile(file, file.name));
    ui.controls.addEventListener('change', () => void this.rerun());
    ui.compare.addEventListener('click', () => void this.compare());
    ui.footer.textContent = `Inference runs in this browser with onnxruntime-web; ${this.runtime.threads} wasm thread(s)${globalThis.crossOriginIsolated ? '' : ' (page not cross-origin isolated: single-threaded)'}.`;

    // Optional server features, probed in parallel with the model warm-up.
    void this.probeServer();
    void this.probeWebGpu();

    this.setState('loading', 'Loading the CNN model…');
    try {
      // Warm-up: fetch the model and build the session before the first image arrives.
      await this.runtime.session('cnn', 'wasm');
      if (this.ui.app.dataset.state === 'loading') this.setState('ready', 'Ready. Drop an image of a garment.');
      // The MLP too, in the background, so switching to it (or to both) is instant; a failure shows when it is picked.
      this.runtime.session('mlp', 'wasm').catch(() => undefined);
    } catch (err) {
      this.fail(err);
    }
  }

  async classifyFile(blob: Blob, name: string): Promise<void> {
    const token = ++this.token;
    this.clearError();
    this.setState('busy', `Reading ${name}…`);
    let decoded: RawImage;
    const t0 = performance.now();
    try {
      decoded = await decodeImage(blob, name);
    } catch (err) {
      if (token === this.token) this.fail(err);
      return;
    }
    const t1 = performance.now();
    const prep = preprocessImage(decoded);
    const t2 = performance.now();
    if (token !== this.token) return;
    if (this.current) URL.revokeObjectURL(this.current.objectUrl);
    this.current = { blob, name, objectUrl: URL.createObjectURL(blob), decoded, prep, input: bytesToInput(prep.pixels), decodeMs: t1 - t0, preprocessMs: t2 - t1 };
    this.showImage(this.current);
    await this.runModels(token);
  }

  private async rerun(): Promise<void> {
    if (!this.current) return;
    const token = ++this.token;
    this.clearError();
    await this.runModels(token);
  }

  private choice(): { models: ModelName[]; backend: Backend } {
    const form = new FormData(this.ui.controls);
    const model = (form.get('model') ?? 'cnn') as ModelChoice;
    const backend = (form.get('backend') ?? 'wasm') as Backend;
    return { models: model === 'both' ? [...MODEL_NAMES] : [model], backend };
  }

  private showImage(cur: Current): void {
    const { ui } = this;
    ui.result.hidden = false;
    ui.original.src = cur.objectUrl;
    ui.original.alt = `Your image: ${cur.name}`;
    ui.originalCaption.textContent = `Your image (${cur.decoded.width}×${cur.decoded.height})`;
    // Small images (a 28x28 test image) would blur when scaled up smoothly.
    ui.original.classList.toggle('pixelated', Math.max(cur.decoded.width, cur.decoded.height) <= 64);
    drawWorking(ui.working, cur.decoded, cur.prep.report);
    ui.workingCaption.textContent = cur.prep.report.passthrough ? 'Already 28×28: no segmentation' : `Garment found (${cur.prep.report.working.width}×${cur.prep.report.working.height})`;
    drawGray(ui.input28, cur.prep.pixels);
    ui.stepsText.textContent = describeSteps(cur.prep.report, cur.decoded);
    ui.serverResult.replaceChildren();
    delete ui.serverResult.dataset.state;
  }

  private async runModels(token: number): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const { models, backend } = this.choice();
    this.setState('busy', `Running ${models.map((m) => MODEL_LABELS[m]).join(' and ')} on ${BACKEND_LABELS[backend]}…`);
    const panels: HTMLElement[] = [];
    const summaries: string[] = [];
    let failed: unknown;
    // One model after the other: in parallel they would share the cores and each timing would be wrong.
    for (const name of models) {
      try {
        const { probabilities, inferenceMs } = await this.runtime.classify(name, backend, cur.input);
        const top = topK(probabilities, TOP_K);
        const best = top[0]!;
        summaries.push(`${MODEL_LABELS[name]}: ${best.name} (${(best.probability * 100).toFixed(1)}%)`);
        panels.push(this.modelPanel(name, backend, top, inferenceMs, cur));
      } catch (err) {
        failed ??= err;
        const panel = el('section', { className: 'model-result' }, el('h3', {}, `${MODEL_LABELS[name]} · ${BACKEND_LABELS[backend]}`), el('p', { className: 'error' }, messageOf(err)));
        panel.dataset.model = name;
        panels.push(panel);
      }
    }
    if (token !== this.token) return;
    this.ui.predictions.replaceChildren(...panels);
    this.runs++;
    this.ui.app.dataset.run = String(this.runs);
    if (failed !== undefined) this.fail(failed);
    else this.setState('done', `${summaries.join(' · ')}`);
  }

  private modelPanel(name: ModelName, backend: Backend, top: ReturnType<typeof topK>, inferenceMs: number, cur: Current): HTMLElement {
    const best = top[0]!;
    const heading = el('h3', {}, `${MODEL_LABELS[name]} · ${BACKEND_LABELS[backend]}`);
    const label = el('p', { className: 'top-label' }, best.name);
    label.dataset.index = String(best.index);
    const timing = el('p', { className: 'timing' }, `inference ${formatMs(inferenceMs)} · preprocessing ${formatMs(cur.preprocessMs)} · decoding ${formatMs(cur.decodeMs)}`);
    timing.dataset.inferenceMs = inferenceMs.toFixed(3);
    const panel = el('section', { className: 'model-result' }, heading, label, renderBars(top), timing);
    panel.dataset.model = name;
    panel.dataset.backend = backend;
    panel.setAttribute('aria-label', `${MODEL_LABELS[name]} prediction: ${best.name}`);
    return panel;
  }

  /** Sends the same file to `POST /classify` and sets the server's answer and 28x28 input beside the browser's. */
  private async compare(): Promise<void> {
    const cur = this.current;
    if (!cur) return;
    const { ui } = this;
    const { models } = this.choice();
    ui.compare.disabled = true;
    ui.serverResult.dataset.state = 'busy';
    ui.serverResult.replaceChildren(el('p', {}, 'Asking the server…'));
    try {
      const rows: HTMLElement[] = [];
      for (const name of models) {
        const answer = await classifyOnServer(cur.blob, name, TOP_K);
        const browserBest = ui.predictions.querySelector<HTMLElement>(`[data-model="${name}"] .top-label`);
        const server = answer.predictions[0];
        const agree = server !== undefined && browserBest?.dataset.index === String(server.index);
        const diff = answer.input ? pixelDifference(cur.prep.pixels, await grayFromUrl(answer.input)) : undefined;
        const img = el('img', { src: answer.input ?? '', alt: `The 28 by 28 input the server's ${name} model saw`, className: 'pixelated' });
        img.dataset.role = 'server-input';
        const text = el(
          'p',
          {},
          `Server ${MODEL_LABELS[name]} (onnxruntime-node, ${answer.model.provider}): `,
          el('strong', {}, server ? `${server.name} ${(server.probability * 100).toFixed(1)}%` : 'no answer'),
          ' — ',
          el('span', { className: agree ? 'agree' : 'disagree' }, agree ? 'agrees with the browser' : 'differs from the browser'),
          diff ? `; inputs differ by at most ${diff.max} gray levels (mean ${diff.mean.toFixed(2)}).` : '.',
          ` Server time: decode ${formatMs(answer.timings.decodeMs)}, preprocess ${formatMs(answer.timings.preprocessMs)}, inference ${formatMs(answer.timings.inferenceMs)}.`,
        );
        const row = el('div', { className: 'server-row' }, img, text);
        row.dataset.model = name;
        row.dataset.serverIndex = String(server?.index ?? -1);
        row.dataset.agree = String(agree);
        rows.push(row);
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

  private async probeServer(): Promise<void> {
    const [samples, server] = await Promise.all([fetchSamples(12), serverAvailable()]);
    this.ui.compare.hidden = !server;
    if (samples && samples.length > 0) {
      renderGallery(this.ui.gallery, samples, (blob, name) => void this.classifyFile(blob, name));
      this.ui.gallerySection.hidden = false;
    }
  }

  private async probeWebGpu(): Promise<void> {
    const radio = this.ui.controls.querySelector<HTMLInputElement>('input[name="backend"][value="webgpu"]');
    if (!radio) return;
    const ok = await webgpuAvailable();
    radio.disabled = !ok;
    this.ui.webgpuNote.textContent = ok ? '' : 'WebGPU is not available in this browser.';
  }

  private setState(state: 'loading' | 'ready' | 'busy' | 'done' | 'error', message: string): void {
    this.ui.app.dataset.state = state;
    this.ui.status.textContent = message;
  }

  private fail(err: unknown): void {
    this.ui.error.hidden = false;
    this.ui.error.textContent = messageOf(err);
    this.setState('error', err instanceof ImageInputError ? 'That file could not be used.' : 'Something went wrong.');
  }

  private clearError(): void {
    this.ui.error.hidden = true;
    this.ui.error.textContent = '';
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

