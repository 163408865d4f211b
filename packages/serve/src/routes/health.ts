import { Hono } from 'hono';
import type { ServeContext } from '../context.ts';
import { HttpError } from '../errors.ts';
import type { LoadedExplainer } from '../explainer.ts';
import type { LoadedModel } from '../registry.ts';

/** Liveness and readiness: what a load balancer or an orchestrator polls, on the main port and on --admin-port. */
export function probeRoutes(ctx: ServeContext) {
  return new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', (c) => {
      if (ctx.state.shuttingDown) throw new HttpError('shutting_down', 'the server is shutting down');
      if (!ctx.state.ready) throw new HttpError('not_ready', 'models are still loading');
      // Truthful under overload: while new work would be shed, send traffic elsewhere (liveness stays /healthz).
      const load = overload(ctx);
      if (load) throw new HttpError('overloaded', `the server is shedding load (${load}); retry shortly`, { 'Retry-After': '1' });
      return c.json({ status: 'ready', models: ctx.registry.list().map((m) => ({ name: m.name, provider: m.provider })) });
    });
}

/** The probes and the model list (with the provider each model runs on and its ONNX metadata). */
export function healthRoutes(ctx: ServeContext) {
  return probeRoutes(ctx)
    .get('/models', (c) => c.json({ default: ctx.defaultModel, models: ctx.registry.list().map(describe) }))
    .get('/models/:name', (c) => {
      const m = ctx.registry.get(c.req.param('name'));
      if (!m) throw new HttpError('unknown_model', `no model named '${c.req.param('name').slice(0, 100)}'`);
      return c.json(describe(m));
    });
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
