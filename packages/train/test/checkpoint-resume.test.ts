import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/select.ts';
import { CheckpointError, readCheckpoint } from '../src/checkpoint.ts';
import { buildRecipeModel } from '../src/model/recipe-model.ts';
import { defaultRecipe, type Recipe } from '../src/recipe.ts';
import { trainRun } from '../src/run.ts';
import { syntheticSplit } from './synthetic.ts';

class Interrupted extends Error {}

let root: string;
beforeAll(async () => {
  await selectBackend('wasm');
  root = await mkdtemp(join(tmpdir(), 'resume-test-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Bits of every value, so -0 vs 0 and NaN payloads count as differences too. */
const bits = (arrays: Float32Array[]) => arrays.map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

describe('checkpoints and --resume', () => {
  const train = syntheticSplit(700);
  const test = syntheticSplit(100);
  // The whole resnet recipe (SGD + Nesterov, weight decay, one-cycle, label smoothing, flips, crops, erasing,
  // batch norm) on a tiny ResNet-8.
  const recipe: Recipe = { ...defaultRecipe('resnet'), epochs: 3, batchSize: 50, depth: 8, width: 4, validationCount: 100 };

  // A teacher of another architecture; a resumed run computes its logits again, as the CLI does from recipe.distill.
  let teacher: LayersModel;
  beforeAll(() => {
    teacher = buildRecipeModel({ ...defaultRecipe('mlp'), seed: 7 });
  });
  const distilled: Recipe = { ...recipe, distill: { from: 'a teacher', weight: 0.5, temperature: 2 } };

  it.each([
    [1, 'plain', recipe],
    [2, 'plain', recipe],
    [2, 'distilled', distilled],
  ] as const)(
    'an interrupted and resumed run ends with the same weights, bit for bit, as an uninterrupted one (%i worker(s), %s)',
    async (workers, name, recipe) => {
      const whole = join(root, `whole-${workers}-${name}`);
      const cut = join(root, `cut-${workers}-${name}`);
      await trainRun(train, test, recipe, { out: whole, backend: 'wasm', workers, teacher });
      // Stop at the start of epoch 3: the checkpoint of epoch 2 is the last one written.
      const stop = {
        onEpochStart: (epoch: number) => {
          if (epoch === 3) throw new Interrupted();
        },
      };
      await expect(trainRun(train, test, recipe, { out: cut, backend: 'wasm', workers, teacher, hooks: stop })).rejects.toBeInstanceOf(Interrupted);
      const halfway = await readCheckpoint(cut);
      expect(halfway.epoch).toBe(2);
      expect(halfway.recipe.distill).toEqual(recipe.distill);
      await trainRun(train, test, halfway.recipe, { out: cut, backend: 'wasm', workers, teacher, resume: halfway });

      const a = await readCheckpoint(whole);
      const b = await readCheckpoint(cut);
      expect(b.epoch).toBe(3);
      // The weights moved, so equality says something.
      expect(bits(a.weights)).not.toEqual(bits(halfway.weights));
      expect(bits(b.weights)).toEqual(bits(a.weights));
      expect(bits(b.stepper.optimizer.slots)).toEqual(bits(a.stepper.optimizer.slots));
      expect(b.best?.epoch).toBe(a.best?.epoch);
      expect(bits(b.best!.weights)).toEqual(bits(a.best!.weights));
      expect(b.history.map((h) => [h.loss, h.valLoss, h.learningRate])).toEqual(a.history.map((h) => [h.loss, h.valLoss, h.learningRate]));
      expect([b.dataDraws, b.mathRandomDraws, ...b.stepper.randomDraws]).toEqual([a.dataDraws, a.mathRandomDraws, ...a.stepper.randomDraws]);
    },
    240_000,
  );

  it("keeps the run's --test-limit across a resume, so a run told to spare the test set never measures it", async () => {
    const mlp: Recipe = { ...defaultRecipe('mlp'), epochs: 2, batchSize: 50, validationCount: 100 };
    const dir = join(root, 'test-limit');
    const stop = {
      onEpochStart: (epoch: number) => {
        if (epoch === 2) throw new Interrupted();
      },
    };
    await expect(trainRun(train, test, mlp, { out: dir, backend: 'wasm', testLimit: 7, hooks: stop })).rejects.toBeInstanceOf(Interrupted);
    const halfway = await readCheckpoint(dir);
    expect(halfway.testLimit).toBe(7);
    const resumed = await trainRun(train, test, halfway.recipe, { out: dir, backend: 'wasm', resume: halfway });
    expect(resumed.metrics.count).toBe(7);
    // Given again, another limit wins.
    const again = await trainRun(train, test, halfway.recipe, { out: join(root, 'test-limit-2'), backend: 'wasm', resume: halfway, testLimit: 11 });
    expect(again.metrics.count).toBe(11);
  }, 120_000);

  it('refuses a directory without a checkpoint, saying what --resume needs', async () => {
    await expect(readCheckpoint(join(root, 'nothing'))).rejects.toThrow(CheckpointError);
    await expect(readCheckpoint(join(root, 'nothing'))).rejects.toThrow(/completed at least one epoch/);
  });
});
