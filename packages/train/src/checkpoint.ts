import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EpochRecord } from '@fmnist/core';
import type { Recipe } from './recipe.ts';
import type { StepperState } from './parallel/steppers.ts';

/** The folder inside a run directory that holds the latest checkpoint. */
const CHECKPOINT_DIR = 'checkpoint';
const STATE_JSON = 'state.json';
const TENSORS_BIN = 'tensors.bin';
const CHECKPOINT_VERSION = 1;

/**
 * Everything a run needs to continue after its last completed epoch and end
 * with the same weights as if it had never stopped: the weights (with the
 * batch-norm statistics), the optimizer's slots and scalars, the schedule
 * position (the epoch: the rate is a function of the step), the positions
 * of every random stream, the history and the best epoch's weights.
 */
export interface Checkpoint {
  recipe: Recipe;
  /** Gradient workers: their count orders the float sums, so a resume must use the same. */
  workers: number;
  /** Completed epochs. */
  epoch: number;
  history: EpochRecord[];
  weights: Float32Array[];
  stepper: StepperState;
  /** The batch order after the last epoch's shuffle (each epoch shuffles it again in place). */
  order: Uint32Array;
  /** Draws of the batch-order/augmentation stream and of the trainer's Math.random. */
  dataDraws: number;
  mathRandomDraws: number;
  best: { epoch: number; score: number; weights: Float32Array[] } | null;
  /**
   * The run's --test-limit: a resumed run measures the test set as the run was
   * started to (a run that was told to spare the test set must not measure it
   * because the flag was not given again).
   */
  testLimit?: number | undefined;
}

interface StoredState extends Omit<Checkpoint, 'weights' | 'stepper' | 'best' | 'order'> {
  order: number[];
  version: number;
  /** Lengths of the float32 arrays in tensors.bin, by group, in order. */
  layout: { weights: number[]; slots: number[]; best: number[] };
  optimizerScalars: number[];
  randomDraws: number[];
  best: { epoch: number; score: number } | null;
  savedAt: string;
}

export class CheckpointError extends Error {}

/**
 * Writes the checkpoint into `<runDir>/checkpoint`, replacing the previous
 * one only once the new one is complete (written beside it, then renamed),
 * so an interruption mid-write leaves the last good checkpoint.
 */
export async function writeCheckpoint(runDir: string, c: Checkpoint): Promise<void> {
  const slots = c.stepper.optimizer.slots;
  const best = c.best?.weights ?? [];
  const groups = [c.weights, slots, best];
  const total = groups.flat().reduce((s, a) => s + a.length, 0);
  const bin = new Float32Array(total);
  let offset = 0;
  for (const a of groups.flat()) {
    bin.set(a, offset);
    offset += a.length;
  }
  const state: StoredState = {
    version: CHECKPOINT_VERSION,
    recipe: c.recipe,
    workers: c.workers,
    epoch: c.epoch,
    history: c.history,
    order: Array.from(c.order),
    dataDraws: c.dataDraws,
    mathRandomDraws: c.mathRandomDraws,
    layout: { weights: c.weights.map((a) => a.length), slots: slots.map((a) => a.length), best: best.map((a) => a.length) },
    optimizerScalars: c.stepper.optimizer.scalars,
    randomDraws: c.stepper.randomDraws,
    best: c.best ? { epoch: c.best.epoch, score: c.best.score } : null,
    ...(c.testLimit === undefined ? {} : { testLimit: c.testLimit }),
    savedAt: new Date().toISOString(),
  };
  const dir = join(runDir, CHECKPOINT_DIR);
  const next = `${dir}.writing`;
  const old = `${dir}.old`;
  await rm(next, { recursive: true, force: true });
  await mkdir(next, { recursive: true });
  await writeFile(join(next, TENSORS_BIN), new Uint8Array(bin.buffer));
  await writeFile(join(next, STATE_JSON), JSON.stringify(state));
  await rm(old, { recursive: true, force: true });
  await rename(dir, old).catch(() => undefined);
  await rename(next, dir);
  await rm(old, { recursive: true, force: true });
}

/** Reads `<runDir>/checkpoint`; throws a CheckpointError that says what is wrong. */
export async function readCheckpoint(runDir: string): Promise<Checkpoint> {
  const dir = join(runDir, CHECKPOINT_DIR);
  let state: StoredState;
  let raw: Buffer;
  try {
    state = JSON.parse(await readFile(join(dir, STATE_JSON), 'utf8')) as StoredState;
    raw = await readFile(join(dir, TENSORS_BIN));
  } catch (err) {
    throw new CheckpointError(
      `no readable checkpoint in ${dir} (${(err as Error).message.split('\n')[0]}): --resume takes the run directory of a run that completed at least one epoch`,
    );
  }
  if (state.version !== CHECKPOINT_VERSION)
    throw new CheckpointError(`checkpoint version ${state.version} in ${dir}; this trainer reads version ${CHECKPOINT_VERSION}`);
  const floats = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const expected = [...state.layout.weights, ...state.layout.slots, ...state.layout.best].reduce((s, n) => s + n, 0);
  if (floats.length !== expected) throw new CheckpointError(`checkpoint ${dir} is truncated: ${floats.length} floats, its state names ${expected}`);
  let offset = 0;
  const take = (lengths: number[]) =>
    lengths.map((n) => {
      const a = floats.slice(offset, offset + n);
      offset += n;
      return a;
    });
  const weights = take(state.layout.weights);
  const slots = take(state.layout.slots);
  const best = take(state.layout.best);
  return {
    recipe: state.recipe,
    workers: state.workers,
    epoch: state.epoch,
    history: state.history,
    order: Uint32Array.from(state.order),
    weights,
    stepper: { optimizer: { slots, scalars: state.optimizerScalars }, randomDraws: state.randomDraws },
    dataDraws: state.dataDraws,
    mathRandomDraws: state.mathRandomDraws,
    best: state.best ? { ...state.best, weights: best } : null,
    ...(state.testLimit === undefined ? {} : { testLimit: state.testLimit }),
  };
}
