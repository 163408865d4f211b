import { bytesToInput, preprocessImage, type PreprocessResult, type RawImage } from '@fmnist/core';
import { fetchSamples, serverAvailable } from './api/server.ts';
import { BACKEND_LABELS, FIRST_MODEL, MODEL_LABELS, MODEL_NAMES, TOP_K, type Backend, type ModelName } from './config.ts';
import { decodeImage } from './image/decode.ts';
import { ImageInputError } from './image/errors.ts';
import { Inference, type LoadedInfo } from './inference/client.ts';
import { topK } from './inference/topk.ts';
import { webgpuAvailable } from './inference/webgpu.ts';
import { el } from './ui/dom.ts';
import type { PageElements } from './ui/elements.ts';
import { renderGallery } from './ui/gallery.ts';
import { wireInputs } from './ui/input-sources.ts';
import { renderModelError, renderModelPanel } from './ui/model-panel.ts';
import { drawGray, drawWorking } from './ui/pixels.ts';
import { serverRow } from './ui/server-compare.ts';
import { describeSteps } from './ui/steps.ts';

type ModelChoice = ModelName | 'both';

/**
 * Resolves once the page has loaded and the main thread is idle: the models
 * load after the page is interactive, so their start-up never competes with
 * the first paint. (A file dropped earlier starts them at once.)
 */
function afterPageLoad(): Promise<void> {
  return new Promise((resolve) => {
    const idle = () => (typeof requestIdleCallback === 'function' ? requestIdleCallback(() => resolve(), { timeout: 1000 }) : setTimeout(resolve, 0));
    if (document.readyState === 'complete') idle();
    else addEventListener('load', idle, { once: true });
  });
}

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
  /** Which file and weights answered for each model on screen, for the server comparison. */
  private readonly shown = new Map<ModelName, { top1: number; info: LoadedInfo }>();

  constructor(
    private readonly ui: PageElements,
    private readonly inference = new Inference(),
  ) {}

  async start(): Promise<void> {
    const { ui } = this;
    wireInputs(ui.pick, ui.file, (file) => void this.classifyFile(file, file.name));
    ui.controls.addEventListener('change', () => void this.rerun());
    ui.compare.addEventListener('click', () => void this.compare());
    ui.footer.textContent = `Inference runs in this browser with onnxruntime-web, in a worker thread; ${this.inference.threads} wasm thread(s)${globalThis.crossOriginIsolated ? '' : ' (page not cross-origin isolated: single-threaded)'}.`;

    // Optional server features, probed in parallel with the model warm-up.
    void this.probeServer();
    void this.probeWebGpu();

    this.setState('loading', `Loading the ${MODEL_LABELS[FIRST_MODEL]} model… You can already choose an image.`);
    // At once, not after the page's load event: the worker fetches and compiles the runtime off the main thread, so
    // the page stays responsive, and the first prediction no longer waits for load + idle (bench:web, docs/benchmarks.md).
    const first = this.inference.load(FIRST_MODEL, 'wasm');
    try {
      await first;
      if (this.ui.app.dataset.state === 'loading') this.setState('ready', 'Ready. Drop an image of a garment.');
      this.ui.loading.hidden = true;
    } catch (err) {
      this.ui.loading.hidden = true;
      this.fail(err);
      return;
    }
    // The others in the background once the page is idle, so switching to them is instant; a failure shows when one is picked.
    await afterPageLoad();
    for (const name of MODEL_NAMES) if (name !== FIRST_MODEL) this.inference.load(name, 'wasm').catch(() => undefined);
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
    const shown = new Map<ModelName, { top1: number; info: LoadedInfo }>();
    let failed: unknown;
    // One model after the other: in parallel they would share the cores and each timing would be wrong.
    for (const name of models) {
      try {
        const { probabilities, inferenceMs, info } = await this.inference.classify(name, backend, cur.input);
        const top = topK(probabilities, TOP_K);
        const best = top[0]!;
        summaries.push(`${MODEL_LABELS[name]}: ${best.name} (${(best.probability * 100).toFixed(1)}%)`);
        panels.push(renderModelPanel({ name, backend, top, info, inferenceMs, preprocessMs: cur.preprocessMs, decodeMs: cur.decodeMs }));
        shown.set(name, { top1: best.index, info });
      } catch (err) {
        failed ??= err;
        panels.push(renderModelError(name, backend, messageOf(err)));
      }
    }
    if (token !== this.token) return;
    this.shown.clear();
    for (const [k, v] of shown) this.shown.set(k, v);
    this.ui.loading.hidden = true;
    this.ui.predictions.replaceChildren(...panels);
    this.runs++;
    this.ui.app.dataset.run = String(this.runs);
    if (failed !== undefined) this.fail(failed);
    else this.setState('done', `${summaries.join(' · ')}`);
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
        const side = this.shown.get(name);
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

