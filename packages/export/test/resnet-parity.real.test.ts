import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IMAGE_PIXELS } from '@fmnist/core';
import { loadSplit, repoRoot } from '@fmnist/core/node';
import { testDataDir } from '@fmnist/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { PARITY_LIMITS, runModelParity } from '../src/parity-run.ts';
import { parityMarkdown } from '../src/parity.ts';
import { writeTritonModel } from '../src/triton.ts';
import { exportRunDir } from '../src/pipeline.ts';
import { decodeModel } from '../src/onnx/proto.ts';

// Real data: a small ResNet trained briefly by the train CLI itself (the
// architecture is defined once, in packages/train), exported, and compared
// with tfjs at the shipped models' bound on the first 2,000 test images
// (the pure-JS tfjs reference is the slow part; the shipped ResNet's parity
// runs on all 10,000, as the other shipped models').
const IMAGES = 2000;
const dataDir = testDataDir();
let root: string | undefined;
afterAll(() => (root ? rm(root, { recursive: true, force: true }) : undefined));

describe.skipIf(!dataDir)(`a quickly trained ResNet: tfjs vs onnxruntime-node on ${IMAGES} test images`, () => {
  it(`max |Δlogit| <= ${PARITY_LIMITS.maxAbs}, top-1 agreement on every image; the Triton repository holds the same graph`, async () => {
    root = await mkdtemp(join(tmpdir(), 'resnet-parity-'));
    const run = join(root, 'resnet-small');
    await promisify(execFile)(
      'pnpm',
      [
        'train',
        '--model',
        'resnet',
        '--depth',
        '8',
        '--width',
        '8',
        '--limit',
        '4000',
        '--epochs',
        '2',
        '--batch-size',
        '64',
        '--validation',
        '1000',
        '--test-limit',
        '1000',
        '--backend',
        'wasm',
        '--data-dir',
        dataDir!,
        '--out',
        run,
      ],
      { cwd: repoRoot(), maxBuffer: 1 << 24 },
    );
    const all = await loadSplit(dataDir!, 'test');
    const test = { count: IMAGES, images: all.images.subarray(0, IMAGES * IMAGE_PIXELS), labels: all.labels.subarray(0, IMAGES) };
    const { rows } = await runModelParity('resnet-small', run, test);
    console.log(`\n${parityMarkdown(rows)}\n`);
    const [row] = rows;
    expect(row!.count).toBe(IMAGES);
    expect(row!.maxAbs).toBeLessThanOrEqual(PARITY_LIMITS.maxAbs);
    expect(row!.agreement).toBe(row!.count);
    expect(row!.onnxAccuracy).toBe(row!.tfjsAccuracy);
    // Two epochs on 4,000 images: far from the real run, clearly above chance.
    expect(row!.tfjsAccuracy).toBeGreaterThan(0.3);

    const exported = await exportRunDir(run, 'resnet-small');
    const ops = decodeModel(exported.bytes).graph!.node!.map((n) => n.opType);
    expect(ops).toContain('Add');
    expect(ops).toContain('GlobalAveragePool');
    const triton = await writeTritonModel(
      join(root, 'triton'),
      { name: 'resnet-small', inputDims: exported.inputDims, outputSize: exported.outputSize },
      exported.bytes,
    );
    expect(Buffer.compare(await readFile(triton.model), Buffer.from(exported.bytes))).toBe(0);
    expect(await readFile(triton.config, 'utf8')).toContain('dims: [ 1, 28, 28 ]');
    exported.model.dispose();
  }, 1_800_000);
});
