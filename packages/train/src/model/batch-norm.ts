import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/**
 * Batch normalization whose training step has a fused gradient.
 *
 * tfjs differentiates batch norm op by op (moments, subtraction, broadcasts,
 * tiles): about twenty full passes over the activations, which made the
 * batch-norm CNN three times slower than the plain one on wasm. Here the
 * backward pass is the closed form
 *   dx = gamma * invStd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)),
 * computed by the `BatchNormTrainingGrad` kernel where a backend has one
 * (wasm: two passes over the heap) and by tf ops elsewhere. Inference,
 * weights and serialization are the stock layer's, so saved models load
 * anywhere as a plain `BatchNormalization`.
 */
export const BN_GRAD_KERNEL = 'BatchNormTrainingGrad';

/** The stock layer class (tfjs-layers exports only its factory). */
const StockBatchNormalization = tfl.layers.batchNormalization({}).constructor as typeof tfl.layers.Layer;

type Kwargs = { training?: boolean };

/** dx, dgamma, dbeta over all axes but the last, from tf ops: the reference and the fallback. */
export function batchNormTrainingGradOps(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const m = x.size / x.shape[x.rank - 1]!;
    const xhat = tf.mul(tf.sub(x, mean), invStd);
    const dbeta = tf.sum(dy, axes);
    const dgamma = tf.sum(tf.mul(dy, xhat), axes);
    const dx = tf.mul(tf.mul(gamma, tf.div(invStd, m)), tf.sub(tf.sub(tf.mul(dy, m), dbeta), tf.mul(xhat, dgamma)));
    return [dx, dgamma, dbeta];
  });
}

function gradients(x: tf.Tensor, dy: tf.Tensor, mean: tf.Tensor, invStd: tf.Tensor, gamma: tf.Tensor): [tf.Tensor, tf.Tensor, tf.Tensor] {
  if (tf.getKernel(BN_GRAD_KERNEL, tf.getBackend())) {
    return tf.engine().runKernel(BN_GRAD_KERNEL, { x, dy, mean, invStd, gamma }, {}) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
  }
  return batchNormTrainingGradOps(x, dy, mean, invStd, gamma);
}

/** Normalizes x over all axes but the last with batch statistics; returns [y, mean, variance]. */
function batchNormTraining(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): [tf.Tensor, tf.Tensor, tf.Tensor] {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  // The statistics leave through a side channel: customGrad returns one tensor.
  let stats: [tf.Tensor, tf.Tensor] | undefined;
  // customGrad passes the inputs and then the save function in one rest list.
  const normalize = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const { mean, variance } = tf.moments(xs, axes);
    const invStd = tf.rsqrt(tf.add(variance, epsilon));
    const y = tf.batchNorm(xs, mean, variance, b, g, epsilon);
    stats = [tf.keep(tf.clone(mean)), tf.keep(tf.clone(variance))];
    save([xs, mean, invStd, g]);
    return { value: y, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => gradients(saved[0]!, dy, saved[1]!, saved[2]!, saved[3]!) };
  });
  const y = normalize(x, gamma, beta);
  return [y, stats![0], stats![1]];
}

interface BatchNormInternals {
  axis: number | number[];
  epsilon: number;
  momentum: number;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
  center: boolean;
  scale: boolean;
}

class FastBatchNormalization extends StockBatchNormalization {
  static className = 'BatchNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as BatchNormInternals;
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const lastAxis =
      self.axis === -1 ||
      self.axis === x.rank - 1 ||
      (Array.isArray(self.axis) && self.axis.length === 1 && (self.axis[0] === -1 || self.axis[0] === x.rank - 1));
    if (!kwargs.training || !lastAxis || !self.center || !self.scale) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, self.gamma.read(), self.beta.read(), self.epsilon);
      for (const [variable, value] of [
        [self.movingMean, mean],
        [self.movingVariance, variance],
      ] as const) {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, value), 1 - self.momentum)));
      }
      tf.dispose([mean, variance]);
      return y;
    });
  }
}

/** A batch-norm layer (over the channel axis) that trains with the fused gradient. */
export function fastBatchNormalization(args: { name?: string; momentum?: number } = {}): tfl.layers.Layer {
  return new (FastBatchNormalization as unknown as new (args: object) => tfl.layers.Layer)(args);
}
