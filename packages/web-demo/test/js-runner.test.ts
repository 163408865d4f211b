import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  bytesToInput,
  EXPLAIN_DIR,
  float32Tensor,
  IMAGE_PIXELS,
  NUM_CLASSES,
  onnxInputDims,
  openSessionRunner,
  OUTPUT_NAMES,
  SHIPPED_MODELS,
} from '@fmnist/core';
import { loadSplit, resolveModelsDir } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import { openJsRunner } from '../src/inference/js/runner.ts';
import { UnsupportedGraphError } from '../src/inference/js/tensor.ts';
import { SESSION_OPTIONS } from '../src/inference/session-options.ts';

/**
 * The JavaScript kernels answer a first visitor's first image while
 * onnxruntime-web starts, so they must give that image what onnxruntime
 * gives it: every shipped classifier (float32 and the int8 the browser
 * loads) on real test images, against onnxruntime-node with the page's
 * session options (int8 weights folded to float32 at creation, as in the
 * browser; without that option onnxruntime quantizes activations too).
 */
const modelsDir = resolveModelsDir();
const files = SHIPPED_MODELS.flatMap((m) => [`${m}.onnx`, `${m}.int8.onnx`]);
requireModelFiles(modelsDir, files);
const dataDir = testDataDir();
const COUNT = 100;

describe.skipIf(!dataDir)('the JavaScript runner against onnxruntime-node', () => {
  it.each(files)(`%s: the same probabilities (within 1e-5) and top-1 on ${COUNT} test images`, async (file) => {
    const split = await loadSplit(dataDir!, 'test', { verify: false });
    const input = new Float32Array(COUNT * IMAGE_PIXELS);
    for (let i = 0; i < COUNT; i++)
      bytesToInput(split.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), input.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS));
    const bytes = readFileSync(join(modelsDir, file));
    const feeds = { [openJsRunner(bytes).inputNames[0]!]: float32Tensor(input, onnxInputDims(COUNT)) };
    const js = await openJsRunner(bytes).run(feeds, [OUTPUT_NAMES.probabilities]);
    const reference = await openSessionRunner(ort, bytes, { ...SESSION_OPTIONS('wasm'), executionProviders: ['cpu'] });
    const expected = await reference.run(feeds, [OUTPUT_NAMES.probabilities]);
    await reference.release();
    const p = js[OUTPUT_NAMES.probabilities]!.data as Float32Array;
    const q = expected[OUTPUT_NAMES.probabilities]!.data as Float32Array;
    expect(p.length).toBe(COUNT * NUM_CLASSES);
    let worst = 0;
    let sameTop = 0;
    for (let i = 0; i < COUNT; i++) {
      const row = (a: Float32Array) => Array.from(a.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES));
      for (let k = 0; k < NUM_CLASSES; k++) worst = Math.max(worst, Math.abs(p[i * NUM_CLASSES + k]! - q[i * NUM_CLASSES + k]!));
      const top = (r: number[]) => r.indexOf(Math.max(...r));
      if (top(row(p)) === top(row(q))) sameTop++;
    }
    console.log(`${file}: max |Δp| ${worst.toExponential(2)}, same top-1 ${sameTop}/${COUNT}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(sameTop).toBe(COUNT);
  });

  it('refuses the explanation graphs (ops it has no kernel for), so the page waits for onnxruntime there', () => {
    requireModelFiles(join(modelsDir, EXPLAIN_DIR), ['cnn.onnx']);
    expect(() => openJsRunner(readFileSync(join(modelsDir, EXPLAIN_DIR, 'cnn.onnx')))).toThrow(UnsupportedGraphError);
  });
});
