import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { registerFastWasmKernels } from './kernels/register-all.ts';
import { oneDnn } from './native/onednn.ts';
import type { ModelKind } from '@fmnist/core';

export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
type Concrete = Exclude<BackendChoice, 'auto'>;

export interface BackendSelection {
  /** What was asked for. */
  choice: BackendChoice;
  /** What runs: the choice, or for `auto` the first that loaded. */
  used: Concrete;
  /** tfjs' own backend name ('tensorflow', 'wasm' or 'cpu'). */
  tfjsName: string;
  /** Why each earlier candidate was skipped. */
  skipped: { backend: Concrete; reason: string }[];
}

/** Fastest first. The native ones are optional dependencies that cannot install without internet. */
const AUTO_ORDER: Concrete[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * tfjs-node(-gpu) is installed without its native addon wherever its install
 * script could not download libtensorflow. Importing it then half-registers
 * kernels before failing, so look for the addon first.
 */
function assertNativeAddon(pkg: string): void {
  let root: string;
  try {
    root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  } catch {
    throw new Error(`${pkg} is not installed`);
  }
  const lib = join(root, 'lib');
  const found = existsSync(lib) && readdirSync(lib).some((d) => existsSync(join(lib, d, 'tfjs_binding.node')));
  if (!found) throw new Error(`${pkg} has no native addon (its install script downloads libtensorflow; see the README's GPU section)`);
}

async function activate(backend: Concrete): Promise<string> {
  switch (backend) {
    case 'tensorflow-gpu':
      assertNativeAddon('@tensorflow/tfjs-node-gpu');
      await import('@tensorflow/tfjs-node-gpu');
      return setTfjs('tensorflow');
    case 'tensorflow':
      assertNativeAddon('@tensorflow/tfjs-node');
      await import('@tensorflow/tfjs-node');
      return setTfjs('tensorflow');
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      await setTfjs('wasm');
      registerFastWasmKernels();
      return 'wasm';
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return setTfjs('cpu');
  }
}

async function setTfjs(name: string): Promise<string> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
  return name;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);
}

/** Activates the requested backend; `auto` takes the fastest one that loads and says why it skipped the others. */
export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendSelection> {
  if (choice !== 'auto') return { choice, used: choice, tfjsName: await activate(choice), skipped: [] };
  const skipped: BackendSelection['skipped'] = [];
  for (const backend of AUTO_ORDER) {
    try {
      return { choice, used: backend, tfjsName: await activate(backend), skipped };
    } catch (err) {
      skipped.push({ backend, reason: firstLine(err) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/**
 * Gradient workers to train with: wasm and the cpu backend use one core
 * each, so the CNN gets one replica per core; native TensorFlow spreads over
 * the cores (or the GPU) by itself. The MLP's step is so short that shipping
 * gradients between processes costs more than it saves (bench:train: 11,700
 * images/s in-process against 6,200 with two workers).
 */
export function defaultWorkers(used: BackendSelection['used'], model: ModelKind = 'cnn'): number {
  if (model === 'mlp') return 1;
  return used === 'wasm' || used === 'cpu' ? Math.max(1, Math.min(availableParallelism(), 8)) : 1;
}

export function describeSelection(s: BackendSelection): string {
  const lines = [`backend: ${s.used}${s.choice === 'auto' ? ' (auto)' : ''}`];
  for (const { backend, reason } of s.skipped) lines.push(`  skipped ${backend}: ${reason}`);
  if (s.used === 'wasm') {
    const native = oneDnn();
    lines.push(native.loaded ? `  convolutions: oneDNN ${native.version} (native/)` : `  convolutions: wasm (oneDNN ${native.reason})`);
  }
  return lines.join('\n');
}
