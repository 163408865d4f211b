import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { EXPLAIN_DIR, EXPLAIN_INPUTS, EXPLAIN_OUTPUTS, IMAGE_PIXELS, pruneToOutputs } from '@fmnist/core';
import { repoRoot } from '@fmnist/core/node';

const SERVED = [EXPLAIN_OUTPUTS.logits, EXPLAIN_OUTPUTS.probabilities, EXPLAIN_OUTPUTS.explainedClass, EXPLAIN_OUTPUTS.heatmap];
const shipped = (model: string) => new Uint8Array(readFileSync(join(repoRoot(), 'models', EXPLAIN_DIR, `${model}.onnx`)));

async function runBoth(whole: Uint8Array, cut: Uint8Array) {
  const n = 6;
  const feeds = {
    [EXPLAIN_INPUTS.image]: new ort.Tensor(
      'float32',
      Float32Array.from({ length: n * IMAGE_PIXELS }, (_, i) => ((i * 7919) % 256) / 255),
      [n, 1, 28, 28],
    ),
    // The top class for most, a named one for the rest: the seed differs, the cut graph must follow.
    [EXPLAIN_INPUTS.class]: new ort.Tensor('int64', BigInt64Array.from([-1n, -1n, 3n, -1n, 8n, 0n]), [n]),
  };
  const [a, b] = await Promise.all([ort.InferenceSession.create(whole), ort.InferenceSession.create(cut)]);
  const [x, y] = [await a.run(feeds, SERVED), await b.run(feeds, SERVED)];
  await Promise.all([a.release(), b.release()]);
  return { x, y, cutOutputs: b.outputNames, cutInputs: b.inputNames };
}

describe('pruneToOutputs', () => {
  it.each([
    ['resnet', 'Grad-CAM heatmap: the whole backward pass goes'],
    ['cnn', 'saliency heatmap: the Grad-CAM branch goes'],
  ])('cuts the shipped %s explanation graph to the served outputs (%s), with the same values', async (model) => {
    const whole = shipped(model);
    const cut = pruneToOutputs(whole, SERVED);
    expect(cut.allOutputs).toEqual(expect.arrayContaining([...SERVED, EXPLAIN_OUTPUTS.saliency, EXPLAIN_OUTPUTS.inputGradient]));
    expect(cut.nodes.after).toBeLessThan(cut.nodes.before);
    if (model === 'resnet') expect(cut.nodes.after).toBeLessThan(cut.nodes.before / 2);
    expect(cut.bytes.length).toBeLessThanOrEqual(whole.length);
    const { x, y, cutOutputs, cutInputs } = await runBoth(whole, cut.bytes);
    expect(new Set(cutOutputs)).toEqual(new Set(SERVED));
    expect(cutInputs).toEqual([EXPLAIN_INPUTS.image, EXPLAIN_INPUTS.class]);
    for (const name of SERVED) expect(y[name]!.data).toEqual(x[name]!.data);
  });

  it('returns the model unchanged when every output is kept, and names the outputs when one is missing', () => {
    const whole = shipped('mlp');
    const all = pruneToOutputs(whole, pruneToOutputs(whole, SERVED).allOutputs);
    expect(all.bytes).toBe(whole);
    expect(all.nodes.after).toBe(all.nodes.before);
    expect(() => pruneToOutputs(whole, ['gradcam'])).toThrow(/no output gradcam \(it has logits, .*heatmap/);
  });
});
