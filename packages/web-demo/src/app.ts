import { bytesToInput, CLASS_NAMES, garmentRegion, preprocessImage, TOP_CLASS, type PreprocessResult, type RawImage } from '@fmnist/core';
import { fetchSamples, serverAvailable } from './api/server.ts';
import { BACKEND_LABELS, FIRST_MODEL, MODEL_LABELS, MODEL_NAMES, TOP_K, type Backend, type ModelName } from './config.ts';
import { decodeImageFile } from './image/decode.ts';
import { ImageInputError } from './image/errors.ts';
import { Inference, type LoadedInfo } from './inference/client.ts';
import type { ModelManifest } from './inference/manifest.ts';
import { topK } from './inference/topk.ts';
import { webgpuAvailable } from './inference/webgpu.ts';
import { el, formatMs } from './ui/dom.ts';
import { drawInputOverlay, drawPhotoOverlay, drawScale } from './ui/heatmap.ts';
import type { PageElements } from './ui/elements.ts';
import { renderGallery } from './ui/gallery.ts';
import { wireInputs } from './ui/input-sources.ts';
import { renderModelError, renderModelPanel } from './ui/model-panel.ts';
import { drawGray, drawWorking } from './ui/pixels.ts';
import { serverRow } from './ui/server-compare.ts';
import { describeSteps } from './ui/steps.ts';

type ModelChoice = ModelName | 'all';

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

  /** What this build has, once the worker has read the manifest; requests wait for it. */
  private manifest: Promise<ModelManifest>;
  /** The models the build has, in core's order. */
  private available: ModelName[] = [];

  constructor(
    private readonly ui: PageElements,
    private readonly inference = new Inference(),
  ) {
    this.manifest = inference.manifest();
    this.manifest.catch(() => undefined);
  }

  async start(): Promise<void> {
    const { ui } = this;
    wireInputs(ui.pick, ui.file, (file) => void this.classifyFile(file, file.name));
    ui.controls.addEventListener('change', (e) => {
      if ((e.target as HTMLElement).getAttribute('name') === 'model') void this.manifest.then((m) => this.offerExplain(m));
      void this.rerun();
    });
    ui.compare.addEventListener('click', () => void this.compare());
    ui.footer.textContent = `Inference runs in this browser with onnxruntime-web, in a worker thread; ${this.inference.threads} wasm thread(s)${globalThis.crossOriginIsolated ? '' : ' (page not cross-origin isolated: single-threaded)'}.`;

    // Optional server features, probed in parallel with the model warm-up.
    void this.probeServer();
    void this.probeWebGpu();

    this.setState('loading', `Loading the ${MODEL_LABELS[FIRST_MODEL]} model… You can already choose an image.`);
    for (const o of CLASS_NAMES.map((name, i) => el('option', { value: String(i), textContent: `${name} (why, or why not?)` }))) ui.explainClass.append(o);
    drawScale(ui.explainScale);
    try {
      // At once, not after the page's load event: the worker fetches and compiles the runtime off the main thread, so
      // the page stays responsive, and the first prediction no longer waits for load + idle (bench:web, docs/benchmarks.md).
      const manifest = await this.manifest;
      this.available = MODEL_NAMES.filter((m) => manifest[m]);
      const first = this.available[0];
      if (!first) throw new Error('This build has no models. Export them (pnpm run export) and rebuild the demo.');
      this.offerModels(manifest, first);
      await this.inference.load(first, 'wasm');
      if (this.ui.app.dataset.state === 'loading') this.setState('ready', 'Ready. Drop an image of a garment.');
      this.ui.loading.hidden = true;
    } catch (err) {
      this.ui.loading.hidden = true;
      this.fail(err);
      return;
    }
    // The others in the background once the page is idle, so switching to them is instant; a failure shows when one is picked.
    await afterPageLoad();
    for (const name of this.available.slice(1)) this.inference.load(name, 'wasm').catch(() => undefined);
  }

  /** Disables the models this build lacks (checking the first it has, if the default is missing) and the Explain switch where the model has no graph. */
  private offerModels(manifest: ModelManifest, first: ModelName): void {
    const { ui } = this;
    const missing = MODEL_NAMES.filter((m) => !manifest[m]);
    for (const m of missing) {
      const radio = ui.controls.querySelector<HTMLInputElement>(`input[name="model"][value="${m}"]`);
      if (!radio) continue;
      if (radio.checked) ui.controls.querySelector<HTMLInputElement>(`input[name="model"][value="${first}"]`)!.checked = true;
      radio.disabled = true;
    }
    ui.modelNote.textContent = missing.length ? `Not in this build: ${missing.map((m) => MODEL_LABELS[m]).join(', ')}.` : '';
    this.offerExplain(manifest);
  }

  /** The Explain switch works for the (first) chosen model when the build has its explanation graph; otherwise it says why not. */
  private offerExplain(manifest: ModelManifest): void {
    const { ui } = this;
    const [name] = this.choice().models;
    const graph = name ? manifest[name]?.explain : undefined;
    ui.explain.disabled = !graph;
    ui.explainClass.disabled = !graph;
    const others = this.available.filter((m) => manifest[m]?.explain).map((m) => MODEL_LABELS[m]);
    ui.explainNote.textContent = graph
      ? ''
      : `The ${name ? MODEL_LABELS[name] : ''} model has no explanation graph in this build (models/explain/${name}.onnx)${others.length ? `; ${others.join(' and ')} can explain` : ''}.`;
    ui.explainNote.dataset.reason = graph ? '' : 'no-graph';
  }

  async classifyFile(blob: Blob, name: string): Promise<void> {
    const token = ++this.token;
    this.clearError();
    this.setState('busy', `Reading ${name}…`);
    let decoded: RawImage;
    const t0 = performance.now();
    try {
      decoded = await decodeImageFile(blob, name);
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
    const model = (form.get('model') ?? FIRST_MODEL) as ModelChoice;
    const backend = (form.get('backend') ?? 'wasm') as Backend;
    return { models: model === 'all' ? (this.available.length ? [...this.available] : [...MODEL_NAMES]) : [model], backend };
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
    // A file dropped before the worker has said which models exist waits for it, so the right one answers.
    await this.manifest.catch(() => undefined);
    if (token !== this.token) return;
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
    const explained = failed === undefined ? await this.explain(cur, models[0]!, shown.get(models[0]!)?.info) : undefined;
    if (token !== this.token) return;
    this.ui.loading.hidden = true;
    this.ui.predictions.replaceChildren(...panels);
    if (explained) summaries.push(explained);
    this.runs++;
    this.ui.app.dataset.run = String(this.runs);
    if (failed !== undefined) this.fail(failed);
    else this.setState('done', `${summaries.join(' · ')}`);
  }

  /**
   * With Explain on, the heatmap of the chosen class (its answer by default)
   * from the model's explanation graph, drawn over the 28x28 input and over
   * the garment's box in the photo. Returns a line for the status, or
   * undefined when Explain is off. `#explanation`'s data attributes and the
   * input canvas's `data-heatmap` (the 784 numbers) are what tests read.
   */
  private async explain(cur: Current, name: ModelName, info: LoadedInfo | undefined): Promise<string | undefined> {
    const { ui } = this;
    const box = ui.explanation;
    if (!ui.explain.checked || ui.explain.disabled || !info?.explain) {
      box.hidden = true;
      box.dataset.state = 'off';
      return undefined;
    }
    const asked = Number(ui.explainClass.value);
    try {
      const e = await this.inference.explain(name, cur.input, Number.isInteger(asked) ? asked : TOP_CLASS);
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
      ui.explainText.append(el('span', { className: 'note' }, ` (${info.explain.heatmap === 'gradcam' ? 'Grad-CAM' : 'input-gradient saliency'}, ${formatMs(e.explainMs)})`));
      Object.assign(box.dataset, { state: 'done', model: name, explainedClass: String(e.explainedClass), explainMs: e.explainMs.toFixed(3) });
      box.hidden = false;
      return `explained: ${cls}`;
    } catch (err) {
      box.hidden = false;
      box.dataset.state = 'error';
      ui.explainText.textContent = `No explanation: ${messageOf(err)}`;
      return undefined;
    }
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

