import { bytesToInput, CLASS_NAMES, preprocessImage, topK, type RawImage } from '@fmnist/core';
import { fetchSamples, serverAvailable } from './api/server.ts';
import { BACKEND_LABELS, FIRST_MODEL, MODEL_LABELS, MODEL_NAMES, TOP_K, type Backend, type ModelName } from './config.ts';
import type { Current } from './current.ts';
import { decodeImageFile } from './image/decode.ts';
import { ImageInputError } from './image/errors.ts';
import { Inference, type ExplainScores, type LoadedInfo, type Scores } from './inference/client.ts';
import type { ModelManifest } from './inference/manifest.ts';
import { webgpuAvailable } from './inference/webgpu.ts';
import { el } from './ui/dom.ts';
import { drawScale } from './ui/heatmap.ts';
import type { PageElements } from './ui/elements.ts';
import { askedClass, drawExplanation, explainWanted, showExplanation } from './ui/explanation.ts';
import { renderGallery } from './ui/gallery.ts';
import { showImage } from './ui/image-view.ts';
import { wireInputs } from './ui/input-sources.ts';
import { messageOf } from './ui/message.ts';
import { offerExplain, offerModels } from './ui/model-offers.ts';
import { renderModelError, renderModelPanel } from './ui/model-panel.ts';
import { afterPageLoad } from './ui/page-idle.ts';
import { compareWithServer } from './ui/server-panel.ts';

type ModelChoice = ModelName | 'all';

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
      if ((e.target as HTMLElement).getAttribute('name') === 'model')
        void this.manifest.then((m) => offerExplain(this.ui, m, this.choice().models[0], this.available));
      void this.rerun();
    });
    ui.compare.addEventListener('click', () => {
      if (this.current) void compareWithServer(ui, this.current, this.choice().models, this.shown);
    });
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
      offerModels(this.ui, manifest, first);
      offerExplain(this.ui, manifest, this.choice().models[0], this.available);
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
    this.current = {
      blob,
      name,
      objectUrl: URL.createObjectURL(blob),
      decoded,
      prep,
      input: bytesToInput(prep.pixels),
      decodeMs: t1 - t0,
      preprocessMs: t2 - t1,
    };
    showImage(this.ui, this.current);
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
    let explanation: ExplainScores | undefined;
    for (const name of models) {
      try {
        const joint = name === models[0] && backend === 'wasm' ? await this.explainedAnswer(name, cur) : undefined;
        explanation ??= joint?.explanation;
        const { probabilities, inferenceMs, runtime, info } = joint ?? (await this.inference.classify(name, backend, cur.input));
        const top = topK(probabilities, TOP_K);
        const best = top[0]!;
        summaries.push(`${MODEL_LABELS[name]}: ${best.name} (${(best.probability * 100).toFixed(1)}%)`);
        panels.push(renderModelPanel({ name, backend, top, info, inferenceMs, runtime, preprocessMs: cur.preprocessMs, decodeMs: cur.decodeMs }));
        shown.set(name, { top1: best.index, info });
      } catch (err) {
        failed ??= err;
        panels.push(renderModelError(name, backend, messageOf(err)));
      }
    }
    if (token !== this.token) return;
    this.shown.clear();
    for (const [k, v] of shown) this.shown.set(k, v);
    const first = shown.get(models[0]!)?.info;
    const explained =
      failed !== undefined
        ? undefined
        : explanation && first
          ? drawExplanation(this.ui, cur, models[0]!, first, explanation)
          : await showExplanation(this.ui, this.inference, cur, models[0]!, first);
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
   * With Explain on, the explanation graph answers too: it computes the
   * model's probabilities (float32, the same weights) on its way to the
   * heatmap, so one run gives both and the classifier is not run again.
   * Undefined where the page does not explain this model, or the graph
   * failed (then the classifier answers and the explanation box says why).
   */
  private async explainedAnswer(name: ModelName, cur: Current): Promise<(Scores & { info: LoadedInfo; explanation: ExplainScores }) | undefined> {
    const entry = (await this.manifest)[name];
    if (!entry?.explain || !explainWanted(this.ui, entry)) return undefined;
    try {
      const e = await this.inference.explain(name, cur.input, askedClass(this.ui));
      const info: LoadedInfo = { ...entry, file: entry.explain.file, weights: 'float32' };
      return { probabilities: e.probabilities, inferenceMs: e.explainMs, runtime: 'onnxruntime', info, explanation: e };
    } catch {
      return undefined;
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
