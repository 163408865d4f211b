import { EXPLAIN_INPUTS, EXPLAIN_OUTPUTS, IMAGE_HEIGHT, IMAGE_WIDTH, INPUT_CONTRACT, NUM_CLASSES, TOP_CLASS } from '@fmnist/core';
import { HttpError } from '../errors.ts';
import type { LoadedExplainer } from '../explainer.ts';
import { allFinite, bad, elements, isObject, parseEnvelope, parseImageTensor, parseOutputs, V2_PLATFORM } from '../v2-tensors.ts';

/**
 * An explanation graph as a KServe v2 model (`cnn-explain`): the image and
 * the class to explain in, every map out. The same tensors as the ONNX graph,
 * so a standard v2 client (or Triton with the same file) sees one interface.
 */

const MAP = { datatype: 'FP32', shape: [-1, IMAGE_HEIGHT, IMAGE_WIDTH] };
const OUTPUTS: Record<string, { datatype: string; shape: number[] }> = {
  [EXPLAIN_OUTPUTS.logits]: { datatype: 'FP32', shape: [-1, NUM_CLASSES] },
  [EXPLAIN_OUTPUTS.probabilities]: { datatype: 'FP32', shape: [-1, NUM_CLASSES] },
  [EXPLAIN_OUTPUTS.explainedClass]: { datatype: 'INT64', shape: [-1] },
  [EXPLAIN_OUTPUTS.heatmap]: MAP,
  [EXPLAIN_OUTPUTS.gradcam]: MAP,
  [EXPLAIN_OUTPUTS.saliency]: MAP,
  [EXPLAIN_OUTPUTS.inputGradient]: { datatype: 'FP32', shape: [...INPUT_CONTRACT.onnxShape] },
};

/** The outputs this graph has, in the graph's order (Grad-CAM only where there is a conv layer). */
function outputNames(e: LoadedExplainer): string[] {
  return e.outputNames.filter((n) => n in OUTPUTS);
}

export function explainerMetadata(e: LoadedExplainer) {
  return {
    name: e.name,
    versions: [e.version],
    platform: V2_PLATFORM,
    inputs: [
      { name: EXPLAIN_INPUTS.image, datatype: 'FP32', shape: [...INPUT_CONTRACT.onnxShape] },
      { name: EXPLAIN_INPUTS.class, datatype: 'INT64', shape: [-1] },
    ],
    outputs: outputNames(e).map((name) => ({ name, ...OUTPUTS[name]! })),
  };
}

/** Validates and runs one v2 infer request on an explanation graph. */
export async function inferExplainer(e: LoadedExplainer, body: unknown, maxBatch: number) {
  if (!isObject(body)) throw new HttpError('bad_request', 'the body must be a JSON object with an `inputs` array');
  const { id } = parseEnvelope(body);
  const inputs = Array.isArray(body.inputs) ? body.inputs : [];
  const named = (name: string) => inputs.find((t: unknown): t is Record<string, unknown> => isObject(t) && t.name === name);
  const image = named(EXPLAIN_INPUTS.image);
  const cls = named(EXPLAIN_INPUTS.class);
  if (inputs.length !== 2 || !image || !cls)
    throw bad(
      `\`inputs\` must hold two tensors: '${EXPLAIN_INPUTS.image}' (FP32 [N, 1, 28, 28]) and '${EXPLAIN_INPUTS.class}' (INT64 [N], ${TOP_CLASS} for the top class)`,
    );
  const { n, data } = parseImageTensor(image, maxBatch);
  const classes = parseClassTensor(cls, n);
  const wanted = parseOutputs(body, outputNames(e)) ?? outputNames(e);
  const out = await e.run(data, classes, n, wanted);
  const outputs = wanted.map((name) => {
    const t = out[name]!;
    if (t.data instanceof BigInt64Array) return { name, datatype: 'INT64', shape: [...t.dims], data: Array.from(t.data, Number) };
    const values = t.data as Float32Array;
    // JSON has no Infinity or NaN: inputs that overflow the model are the client's to fix.
    if (!allFinite(values))
      throw new HttpError('non_finite_output', 'the model produced non-finite outputs for these inputs; send values in [0, 1] (pixel / 255)');
    return { name, datatype: 'FP32', shape: [...t.dims], data: Array.from(values) };
  });
  return { model_name: e.name, model_version: e.version, ...(id !== undefined ? { id } : {}), outputs };
}

/** The class tensor: INT64 [N], each TOP_CLASS or 0..classes-1 (the graph's Gather would fail on others). */
function parseClassTensor(t: Record<string, unknown>, n: number): BigInt64Array {
  if (t.datatype !== 'INT64') throw bad(`datatype of '${EXPLAIN_INPUTS.class}' must be INT64, got '${String(t.datatype).slice(0, 20)}'`);
  if (!Array.isArray(t.shape) || t.shape.length !== 1 || t.shape[0] !== n)
    throw bad(`shape of '${EXPLAIN_INPUTS.class}' must be [${n}] (one class per image), got ${JSON.stringify(t.shape)?.slice(0, 40)}`);
  return BigInt64Array.from(elements(t.data, [n]), (v: unknown, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < TOP_CLASS || v >= NUM_CLASSES) {
      throw bad(`class #${i} is ${JSON.stringify(v)?.slice(0, 20)}: use 0..${NUM_CLASSES - 1} or ${TOP_CLASS} for the top class`);
    }
    return BigInt(v);
  });
}
