import { Hono } from 'hono';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { LoadedExplainer } from '../explainer.ts';
import type { LoadedModel } from '../registry.ts';

/** Liveness, readiness and the model list (with the provider each model runs on and its ONNX metadata). */
export function healthRoutes(ctx: ServeContext) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      const answer = readiness(ctx);
      if (answer instanceof HttpError) throw answer;
      return c.json(answer);
    })
    .get('/models', (c) => c.json({ default: ctx.defaultModel, models: ctx.registry.list().map(describe) }))
    .get('/models/:name', (c) => {
      const m = ctx.registry.get(c.req.param('name'));
      if (!m) throw new HttpError('unknown_model', `no model named '${c.req.param('name').slice(0, 100)}'`);
      return c.json(describe(m));
    });
}

/** /readyz's answer: ready with the models, or the error that says why not (the admin thread serves the same). */
export function readiness(ctx: ServeContext): HttpError | { status: 'ready'; models: { name: string; provider: string }[] } {
  if (ctx.state.shuttingDown) return new HttpError('shutting_down', 'the server is shutting down');
  if (!ctx.state.ready) return new HttpError('not_ready', 'models are still loading');
  // Truthful under overload: while new work would be shed, send traffic elsewhere (liveness stays /healthz).
  const load = overload(ctx);
  if (load) return new HttpError('overloaded', `the server is shedding load (${load}); retry shortly`, { 'Retry-After': '1' });
  return { status: 'ready', models: ctx.registry.list().map((m) => ({ name: m.name, provider: m.provider })) };
}

export function describe(m: LoadedModel) {
  return {
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    provider: m.provider,
    ...(m.fallbackReason ? { fallbackReason: m.fallbackReason } : {}),
    classNames: m.classNames,
    ...(m.calibration ? { calibration: m.calibration } : {}),
    ...(m.explainer ? { explanation: describeExplainer(m.explainer) } : {}),
    producer: { name: m.info.producerName, version: m.info.producerVersion },
    opset: m.info.opsetVersions,
    metadata: m.info.metadata,
  };
}

/** What is full, if anything: the decode queue or the photo uploads it can take, an inference queue, the evaluation queue or the upload budget. */
export function overload(ctx: ServeContext): string | undefined {
  const full: string[] = [];
  if (ctx.decodeQueue.full) full.push('decode queue full');
  else if (ctx.photoAdmission.full) full.push('photo uploads full');
  for (const [name, b] of ctx.batchers) if (b.full) full.push(`${name} inference queue full`);
  for (const [name, b] of ctx.explainBatchers) if (b.full) full.push(`${name} explanation queue full`);
  if (ctx.evalQueue.full) full.push('evaluate queue full');
  if (ctx.state.inflightBodyBytes >= ctx.limits.maxInflightBodyBytes) full.push('upload budget in use');
  return full.length > 0 ? full.join(', ') : undefined;
}

/** What /models says of an explanation graph: enough for a client to know the default map. */
function describeExplainer(e: LoadedExplainer) {
  return {
    name: e.name,
    version: e.version,
    method: e.explanation.heatmap,
    ...(e.explanation.heatmap === 'saliency' && e.explanation.saliency ? { form: e.explanation.saliency } : {}),
    ...(e.explanation.target ? { target: e.explanation.target } : {}),
    maps: e.explanation.maps,
    relativeCost: Math.round(e.relativeCost * 10) / 10,
    lanes: e.lanes,
  };
}
