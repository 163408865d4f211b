import { join } from 'node:path';
import { defaultModelsDir, loadSplit, RUN_FILES, SHIPPED_MODELS } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import { describe, expect, it } from 'vitest';
import { shippedOnnxPath } from '../src/locations.ts';
import { PARITY_LIMITS, runModelParity } from '../src/parity-run.ts';
import { parityMarkdown } from '../src/parity.ts';

// Real data: all 10,000 test images through tfjs and onnxruntime for each
// shipped model. A missing shipped model (models/<name>/model.json or
// models/<name>.onnx) fails; REQUIRE_DATA=1 makes a missing FMNIST_DIR a failure.
const dataDir = testDataDir();
// The ResNets' reference runs on tfjs's wasm backend (the one they were trained on): on the
// pure-JS one it takes about 16 minutes per ResNet in CI. The CNNs and the MLP keep the
// pure-JS reference, so both tfjs backends are held to the ONNX graphs.
const WASM_REFERENCE: ReadonlySet<string> = new Set(['resnet', 'resnet-photo']);

describe.each(SHIPPED_MODELS)('shipped %s: tfjs vs onnxruntime-node on the full test set', (name) => {
  const dir = join(defaultModelsDir(), name);
  requireModelFiles(defaultModelsDir(), [join(name, RUN_FILES.model), `${name}.onnx`]);

  it.skipIf(!dataDir)(
    `max |Δlogit| <= ${PARITY_LIMITS.maxAbs}, top-1 agreement on every image, equal accuracy`,
    async () => {
      const test = await loadSplit(dataDir!, 'test');
      expect(test.count).toBe(10_000);
      const { rows } = await runModelParity(name, dir, test, { onnxFile: shippedOnnxPath(name), reference: WASM_REFERENCE.has(name) ? 'wasm' : 'cpu' });
      console.log(`\n${parityMarkdown(rows)}\n`);
      for (const row of rows) {
        expect(row.count).toBe(10_000);
        expect(row.maxAbs, row.onnx).toBeLessThanOrEqual(PARITY_LIMITS.maxAbs);
        expect(row.agreement, row.onnx).toBe(row.count);
        expect(row.onnxAccuracy, row.onnx).toBe(row.tfjsAccuracy);
        expect(row.sourceMatches, `${row.onnx} was exported from another version of models/${name}; re-run the export`).toBe(true);
      }
      // The reference runs the CNN in pure-JS tfjs twice over 10,000 images: about
      // 80 s on an idle 2-core machine, far longer when it shares the cores.
    },
    1_800_000,
  );
});
