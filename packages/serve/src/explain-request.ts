import type { ExplainBatcher, ServeContext } from './context.ts';
import { HttpError } from './errors.ts';
import type { LoadedExplainer } from './explainer.ts';
import type { LoadedModel } from './registry.ts';

/** What a classify request asked to have explained. */
export interface ExplainRequest {
  explainer: LoadedExplainer;
  batcher: ExplainBatcher;
  /** The class named by `explain_class`, besides the top class. */
  requested?: number;
}

const FLAG_ON = /^(1|true|yes)$/i;
const FLAG_OFF = /^(0|false|no)?$/i;

/**
 * Reads `explain` and `explain_class` (query or form fields). Checked before
 * any image is decoded: a request that cannot be explained costs nothing.
 * Undefined when no explanation was asked for.
 */
export function parseExplain(ctx: ServeContext, model: LoadedModel, fields: Record<string, string | undefined>): ExplainRequest | undefined {
  const { explain, explain_class: rawClass } = fields;
  const on = explain !== undefined && FLAG_ON.test(explain);
  if (explain !== undefined && !on && !FLAG_OFF.test(explain))
    throw new HttpError('bad_request', `explain must be 1 or 0 (true/false), got '${explain.slice(0, 20)}'`);
  if (rawClass !== undefined && explain !== undefined && !on)
    throw new HttpError('bad_explain_class', 'explain_class asks for an explanation, but explain is off: drop one of them');
  if (!on && rawClass === undefined) return undefined;
  const requested = rawClass === undefined ? undefined : parseExplainClass(rawClass, model.classNames);
  const explainer = model.explainer;
  const batcher = ctx.explainBatchers.get(model.name);
  if (!explainer || !batcher) {
    const able = ctx.registry
      .list()
      .filter((m) => m.explainer)
      .map((m) => m.name);
    const hint = able.length > 0 ? `models that can explain: ${able.join(', ')} (pass model=${able[0]})` : 'no loaded model has an explanation graph';
    throw new HttpError('no_explanation', `${model.noExplainer ?? `model '${model.name}' has no explanation graph`}; ${hint}`);
  }
  return { explainer, batcher, ...(requested !== undefined ? { requested } : {}) };
}

/** `explain_class`: an index 0..classes-1 or one of the model's labels, case-insensitive. */
function parseExplainClass(raw: string, classNames: readonly string[]): number {
  const value = raw.trim();
  const known = () => classNames.map((n, i) => `${i} ${n}`).join(', ');
  if (/^\d{1,3}$/.test(value)) {
    const index = Number(value);
    if (index < classNames.length) return index;
    throw new HttpError('bad_explain_class', `explain_class ${index} is out of range: use 0..${classNames.length - 1} or a label (${known()})`);
  }
  const index = classNames.findIndex((n) => n.toLowerCase() === value.toLowerCase());
  if (index >= 0) return index;
  throw new HttpError(
    'bad_explain_class',
    `explain_class '${raw.slice(0, 40)}' is neither a class index nor a label: use 0..${classNames.length - 1} or a label (${known()})`,
  );
}
