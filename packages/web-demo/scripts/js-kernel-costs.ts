// What the first-answer JavaScript kernels cost per op, first (cold: V8 has not optimized them yet) and warm.
//   pnpm --filter @fmnist/web-demo js-kernel-costs [--runs 3] [MODEL.onnx ...]   (default: every shipped int8 classifier)
// The page's first answer is the cold run: run each model in a fresh process (this script opens one model only
// when given one file) to see it as a first visitor does; later runs show the optimized code.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { float32Tensor, onnxInputDims, OUTPUT_NAMES, SHIPPED_MODELS } from '@fmnist/core';
import { callerDir, resolveModelsDir } from '@fmnist/core/node';
import type { Kernel } from '../src/inference/js/tensor.ts';
import { KERNELS } from '../src/inference/js/kernels/registry.ts';
import { openJsRunner } from '../src/inference/js/runner.ts';

const { values, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
  options: { runs: { type: 'string' } },
  allowPositionals: true,
});
const runs = Number(values.runs ?? 3);
const files = positionals.length
  ? positionals.map((f) => join(callerDir(), f))
  : SHIPPED_MODELS.map((m) => join(resolveModelsDir(), `${m}.int8.onnx`)).filter((f) => existsSync(f));

// Time each op by wrapping the registry's kernels (the runner looks them up by name on every node).
const spent: Record<string, number> = {};
const registry = KERNELS as Record<string, Kernel>;
for (const [op, kernel] of Object.entries(KERNELS)) {
  registry[op] = (inputs, attrs) => {
    const t = performance.now();
    const out = kernel(inputs, attrs);
    spent[op] = (spent[op] ?? 0) + performance.now() - t;
    return out;
  };
}

// A fixed pattern, not zeros: ReLUs and pools must have work to do.
const input = Float32Array.from({ length: 784 }, (_, i) => ((i * 7919) % 256) / 255);
for (const file of files) {
  let t = performance.now();
  const runner = openJsRunner(readFileSync(file));
  const open = performance.now() - t;
  const times: string[] = [];
  for (let r = 0; r < runs; r++) {
    for (const op of Object.keys(spent)) spent[op] = 0;
    t = performance.now();
    await runner.run({ [runner.inputNames[0]!]: float32Tensor(input, onnxInputDims(1)) }, [OUTPUT_NAMES.probabilities]);
    const ops = Object.entries(spent)
      .filter(([, ms]) => ms >= 0.5)
      .sort((a, b) => b[1] - a[1])
      .map(([op, ms]) => `${op} ${ms.toFixed(1)}`);
    times.push(`run ${r + 1}: ${(performance.now() - t).toFixed(1)} ms (${ops.join(', ')})`);
  }
  console.log(`${file.split('/').pop()}: open ${open.toFixed(1)} ms; ${times.join('; ')}`);
}
