import type { ModelSpec } from '../model/spec.ts';
import type { ModelKind } from '@fmnist/core';

/**
 * The kind of a model, from its layers rather than a run's metrics.json
 * (which an exported run directory may lack): an Add (a residual block)
 * makes a ResNet, a Conv2D a CNN, anything else an MLP.
 */
export function modelKindOf(spec: ModelSpec): ModelKind {
  const classes = new Set(spec.layers.map((l) => l.className));
  if (classes.has('Add')) return 'resnet';
  return classes.has('Conv2D') ? 'cnn' : 'mlp';
}
