/**
 * The inference worker: onnxruntime-web runs here, so compiling the wasm
 * runtime, creating sessions and running models never block the page.
 * The first message carries WorkerOptions; every later one is a WorkerRequest.
 */
import { Engine } from './engine.ts';
import type { WorkerOptions, WorkerRequest, WorkerResponse } from './protocol.ts';

/** The parts of DedicatedWorkerGlobalScope used here (the project's lib is DOM, not WebWorker). */
interface WorkerScope {
  onmessage: ((e: MessageEvent) => void) | null;
  postMessage(message: WorkerResponse, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

const mark = (step: string) => scope.postMessage({ id: 0, ok: true, type: 'mark', step, at: performance.timeOrigin + performance.now() });
mark('worker-started');

let engine: Engine | undefined;

async function answer(req: WorkerRequest, e: Engine): Promise<void> {
  try {
    if (req.type === 'load') {
      scope.postMessage({ id: req.id, ok: true, type: 'load', info: await e.load(req.name, req.backend) });
    } else if (req.type === 'manifest') {
      scope.postMessage({ id: req.id, ok: true, type: 'manifest', manifest: await e.manifest() });
    } else if (req.type === 'explain') {
      const explanation = await e.explain(req.name, req.input, req.explainClass);
      scope.postMessage({ id: req.id, ok: true, type: 'explain', explanation }, [explanation.heatmap.buffer, explanation.probabilities.buffer]);
    } else {
      const [scores, info] = await Promise.all([e.classify(req.name, req.backend, req.input), e.entry(req.name)]);
      scope.postMessage({ id: req.id, ok: true, type: 'run', scores, info }, [scores.probabilities.buffer]);
    }
  } catch (err) {
    const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    scope.postMessage({ id: req.id, ok: false, error });
  }
}

scope.onmessage = (e: MessageEvent) => {
  if (!engine) {
    engine = new Engine(e.data as WorkerOptions, mark);
    return;
  }
  void answer(e.data as WorkerRequest, engine);
};
