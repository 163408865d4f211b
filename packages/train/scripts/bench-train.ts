/**
 * Training throughput (images/s) of the models on the chosen backend, with
 * one process and with one gradient worker per core, in one run; for the
 * ResNet also PyTorch's on the same model and batch size (Debian's
 * python3-torch: /usr/bin/python3 where it exists, else `python3` on PATH, or --python / PYTHON;
 * scripts/bench_torch_resnet.py, all cores). Debian's interpreter first: a
 * pyenv or venv python3 earlier on PATH does not see Debian's torch.
 * `pnpm bench:train [--only mlp,cnn,resnet] [--depth N] [--width N] [--backend B] [--batch-size N] [--steps N] [--rounds N] [--workers N] [--python PATH]`
 * Random inputs through the same steppers as training (forward, loss, gradients, optimizer step).
 * Each figure is the median of `rounds` timed rounds of `steps` steps, with
 * the slowest and fastest round beside it: on a shared 2-core machine a
 * single round can be off by 20%.
 */
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_PIXELS, NUM_CLASSES } from '@fmnist/core';
import { defaultWorkers, describeSelection, selectBackend, type BackendChoice } from '../src/backend/select.ts';
import { MODEL_KINDS } from '@fmnist/core';
import { defaultRecipe } from '../src/recipe.ts';
import { buildRecipeModel } from '../src/model/recipe-model.ts';
import { localStepper, parallelStepper } from '../src/parallel/steppers.ts';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    'batch-size': { type: 'string', default: '128' },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    workers: { type: 'string' },
    only: { type: 'string', default: MODEL_KINDS.join(',') },
    depth: { type: 'string', default: '20' },
    width: { type: 'string', default: '16' },
    python: { type: 'string', default: process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3') },
  },
});
const only = new Set(values.only.split(','));
const depth = Number(values.depth);
const width = Number(values.width);
const selection = await selectBackend(values.backend as BackendChoice);
const batchSize = Number(values['batch-size']);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const parallel = values.workers ? Number(values.workers) : defaultWorkers(selection.used);
console.log(describeSelection(selection));
console.log(
  `machine: ${availableParallelism()} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; batch ${batchSize}; median of ${rounds} rounds of ${steps} steps after 5 warm-up steps`,
);

const x = new Float32Array(batchSize * IMAGE_PIXELS).map(() => Math.random());
const labels = new Int32Array(batchSize).map(() => Math.floor(Math.random() * NUM_CLASSES));
const batch = { x, labels, accept: Uint16Array.from(labels, (l) => 1 << l), size: batchSize };

// The default recipes, plus the guide's plain CNN (valid padding, no conv dropout): its step is the cheaper one.
const variants = [
  ...MODEL_KINDS.filter((kind) => kind !== 'resnet').map((kind) => ({ name: kind, recipe: { ...defaultRecipe(kind), batchSize } })),
  { name: 'cnn plain (valid padding, no conv dropout)', recipe: { ...defaultRecipe('cnn'), batchSize, padding: 'valid' as const, convDropout: 0 } },
  { name: `resnet-${depth} (width ${width})`, recipe: { ...defaultRecipe('resnet'), batchSize, depth, width } },
].filter((v) => only.has(v.recipe.model));
const typescriptRates = new Map<string, number>();
for (const { name, recipe } of variants) {
  for (const workers of [...new Set([1, parallel])]) {
    const model = buildRecipeModel(recipe);
    const stepper = workers > 1 ? await parallelStepper(recipe, selection.used, workers) : localStepper(model, recipe);
    for (let i = 0; i < 5; i++) await stepper.step(batch, recipe.learningRate);
    const rates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < steps; i++) await stepper.step(batch, recipe.learningRate);
      rates.push((steps * batchSize) / ((performance.now() - t0) / 1000));
    }
    rates.sort((p, q) => p - q);
    const median = rates[Math.floor(rates.length / 2)]!;
    console.log(
      `${name}, ${workers} worker${workers > 1 ? 's' : ' (in process)'}: ${median.toFixed(0)} images/s (${((1000 * batchSize) / median).toFixed(1)} ms/step; rounds ${rates[0]!.toFixed(0)}-${rates.at(-1)!.toFixed(0)})`,
    );
    if (recipe.model === 'resnet') typescriptRates.set(`${workers}`, median);
    await stepper.dispose();
    model.dispose();
  }
}
tf.disposeVariables();

if (only.has('resnet')) {
  // The same model, batch size and step (SGD + Nesterov, weight decay, label smoothing) in PyTorch on all cores.
  const script = fileURLToPath(new URL('./bench_torch_resnet.py', import.meta.url));
  const args = [
    script,
    '--depth',
    `${depth}`,
    '--width',
    `${width}`,
    '--batch-size',
    `${batchSize}`,
    '--steps',
    `${steps}`,
    '--rounds',
    `${rounds}`,
    '--threads',
    `${availableParallelism()}`,
  ];
  try {
    const { stdout } = await promisify(execFile)(values.python, args, { maxBuffer: 1 << 20 });
    const torch = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
      images_per_second: number;
      rounds: number[];
      params: number;
      torch: string;
      threads: number;
    };
    console.log(
      `pytorch ${torch.torch} resnet-${depth} (width ${width}, ${torch.params} parameters), ${torch.threads} threads: ${torch.images_per_second.toFixed(0)} images/s (${((1000 * batchSize) / torch.images_per_second).toFixed(1)} ms/step; rounds ${torch.rounds[0]!.toFixed(0)}-${torch.rounds.at(-1)!.toFixed(0)})`,
    );
    for (const [workers, rate] of typescriptRates) console.log(`  TypeScript / PyTorch, ${workers} worker(s): ${(rate / torch.images_per_second).toFixed(2)}x`);
  } catch (err) {
    console.log(`pytorch: not measured (${(err as Error).message.split('\n')[0]}); install Debian's python3-torch: apt-get install -y python3-torch`);
  }
}
