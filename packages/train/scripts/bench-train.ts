/**
 * Training throughput (images/s) of both models on the chosen backend.
 * `pnpm bench:train [--backend B] [--batch-size N] [--steps N]`
 * Random inputs; the same fit step as training (forward, loss, gradients, Adam).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { IMAGE_CHANNELS, IMAGE_HEIGHT, IMAGE_WIDTH, NUM_CLASSES } from '@fmnist/core';
import { describeSelection, selectBackend, type BackendChoice } from '../src/backend/select.ts';
import { buildModel, MODEL_KINDS } from '../src/model/architectures.ts';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'auto' }, 'batch-size': { type: 'string', default: '128' }, steps: { type: 'string', default: '30' } } });
const selection = await selectBackend(values.backend as BackendChoice);
const batch = Number(values['batch-size']);
const steps = Number(values.steps);
console.log(`${describeSelection(selection)}\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}; batch ${batch}, ${steps} timed steps after 3 warm-up steps`);

for (const kind of MODEL_KINDS) {
  const model = buildModel(kind);
  const optimizer = tf.train.adam(0.001);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomUniform([batch, IMAGE_HEIGHT, IMAGE_WIDTH, IMAGE_CHANNELS]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, NUM_CLASSES, 'int32'), NUM_CLASSES);
  const step = () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor), true, variables)!;
    loss.dataSync();
    loss.dispose();
  };
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${kind}: ${((steps * batch) / seconds).toFixed(0)} images/s (${((1000 * seconds) / steps).toFixed(1)} ms/step)`);
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
}
