import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { IMAGE_PIXELS, METADATA_KEYS } from '@fmnist/core';
import { defaultModelsDir, loadSplit, RUN_FILES, SHIPPED_MODELS } from '@fmnist/core/node';
import { requireModelFiles, testDataDir } from '@fmnist/core/testing';
import { describe, expect, it } from 'vitest';
import { explanationChoiceFor } from '../src/explain/contract.ts';
import { compareExplanations, EXPLAIN_PARITY_LIMITS, explainParityMarkdown, referenceOptionsOf } from '../src/explain/parity.ts';
import { useReferenceBackend } from '../src/explain/reference-backend.ts';
import { explainOnnxPath } from '../src/locations.ts';
import { decodeModel } from '../src/onnx/proto.ts';
import { openCpuSession } from '../src/ort.ts';
import { exportRunDir } from '../src/pipeline.ts';

// Real data: the shipped explanation graphs against tfjs autodiff on a slice
// of the test set (the full 10,000 images: `pnpm parity:explain`). Each slice holds every class index and
// the top-class path (see parityClass). A missing shipped model or graph fails.
const dataDir = testDataDir();
const SLICE: Record<(typeof SHIPPED_MODELS)[number], number> = { mlp: 2000, cnn: 1000, 'cnn-photo': 1000, resnet: 200, 'resnet-photo': 200 };
/**
 * Near-threshold maps a slice may hold (see the assertion): twenty times the issue's share, 20 of the CNNs' 1,000
 * images. The full runs (docs/explain-parity.md) put the CNNs near 0.2% and the ResNets near 1%; a systematic miss,
 * such as a wrong tie rule, moves tens of percent.
 */
const SLICE_NEAR_THRESHOLD_SHARE = 20 * EXPLAIN_PARITY_LIMITS.nearThresholdShare;

describe.each(SHIPPED_MODELS)('shipped %s explanation graph vs tfjs autodiff on real test images', (name) => {
  const file = explainOnnxPath(name);
  requireModelFiles(defaultModelsDir(), [join(name, RUN_FILES.model), relative(defaultModelsDir(), file)]);

  it.skipIf(!dataDir)(
    `maps within ${EXPLAIN_PARITY_LIMITS.relative} of their range except near-threshold decisions`,
    async () => {
      const test = await loadSplit(dataDir!, 'test');
      const count = SLICE[name];
      const set = { count, images: test.images.subarray(0, count * IMAGE_PIXELS), labels: test.labels.subarray(0, count) };
      const exported = await exportRunDir(join(defaultModelsDir(), name), name, { explain: true });
      const bytes = new Uint8Array(await readFile(file));
      const metadata = decodeModel(bytes).metadataProps;
      expect(
        metadata.find((p) => p.key === METADATA_KEYS.sourceSha256)?.value,
        `models/explain/${name}.onnx was exported from another version of models/${name}; re-run pnpm export --explain`,
      ).toBe(exported.artifact.sha256);
      // serve and web read the default method from the graph: it must be the one the deletion test chose.
      const explanation = JSON.parse(metadata.find((p) => p.key === METADATA_KEYS.explanation)?.value ?? '{}') as {
        target: string;
        heatmap: string;
        default_method: string;
      };
      const choice = explanationChoiceFor(name);
      expect(explanation).toMatchObject({
        target: choice.target,
        heatmap: choice.heatmap,
        default_method: choice.heatmap === 'gradcam' ? 'gradcam' : choice.saliencyForm,
      });
      expect(exported.explain!.target).toBe(choice.target);
      // The reference on tfjs's wasm backend, as the full run (`pnpm parity:explain --backend wasm`): about 3x faster than
      // the cpu backend on the CNNs, so a slice three times larger fits the same time.
      await useReferenceBackend('wasm');
      const sessions = [await openCpuSession(exported.explain!.bytes), await openCpuSession(bytes)];
      const results = await compareExplanations(exported.model, sessions, set, referenceOptionsOf(exported.explain!));
      console.log(
        `\n${explainParityMarkdown(results.map((r, i) => ({ model: name, onnx: i ? `models/explain/${name}.onnx` : 'converted in memory', ...r })))}\n`,
      );
      for (const result of results) {
        // Grad-CAM needs a convolutional layer: every model but the MLP has one.
        expect(result.maps.map((m) => m.map)).toEqual(name === 'mlp' ? ['saliency', 'input_gradient'] : ['gradcam', 'saliency', 'input_gradient']);
        expect(result.classDisagreement.unexplained).toEqual([]);
        for (const m of result.maps) {
          expect(m.count).toBe(count);
          expect(m.unexplained, `${m.map}: maps beyond the bound with no decision near its threshold`).toEqual([]);
          // Not the issue's 0.1%: that share is measured on all 10,000 images (`pnpm parity:explain`, docs/explain-parity.md,
          // missed on the CNNs). Which maps meet a tie depends on the CPU's float rounding, so on a slice this only guards
          // against a systematic miss.
          expect(m.nearThreshold).toBeLessThanOrEqual(Math.ceil(SLICE_NEAR_THRESHOLD_SHARE * count));
        }
      }
      await Promise.all(sessions.map((s) => s.release()));
      exported.model.dispose();
    },
    1_800_000,
  );
});
