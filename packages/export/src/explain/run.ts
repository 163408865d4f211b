import { float32Tensor, int64Tensor, onnxInputDims, type SessionRunner } from '@fmnist/core';
import { EXPLAIN_INPUTS, EXPLAIN_OUTPUTS } from './contract.ts';

export interface ExplainOutputs {
  logits: Float32Array;
  probabilities: Float32Array;
  explained: BigInt64Array;
  heatmap: Float32Array;
  saliency: Float32Array;
  gradcam?: Float32Array;
  inputGradient: Float32Array;
}

/**
 * Runs the explanation graph on `n` images (flat [n, 784] floats in [0, 1])
 * with the checked int64 class tensor (see explainClassTensor).
 */
export async function runExplanation(session: SessionRunner, input: Float32Array, n: number, classes: BigInt64Array): Promise<ExplainOutputs> {
  const out = await session.run({
    [EXPLAIN_INPUTS.image]: float32Tensor(input, onnxInputDims(n)),
    [EXPLAIN_INPUTS.class]: int64Tensor(classes, [n]),
  });
  const floats = (name: string) => out[name]?.data as Float32Array;
  const result: ExplainOutputs = {
    logits: floats(EXPLAIN_OUTPUTS.logits),
    probabilities: floats(EXPLAIN_OUTPUTS.probabilities),
    explained: out[EXPLAIN_OUTPUTS.explainedClass]!.data as BigInt64Array,
    heatmap: floats(EXPLAIN_OUTPUTS.heatmap),
    saliency: floats(EXPLAIN_OUTPUTS.saliency),
    inputGradient: floats(EXPLAIN_OUTPUTS.inputGradient),
  };
  if (session.outputNames.includes(EXPLAIN_OUTPUTS.gradcam)) result.gradcam = floats(EXPLAIN_OUTPUTS.gradcam);
  return result;
}
