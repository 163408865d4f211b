import type { GraphBuilder } from '../onnx/graph-builder.ts';
import { MAP_SIZE, RESIZE_CONVENTION, type SaliencyForm } from './contract.ts';

// The map computations after the backward pass, as ONNX nodes. Each has a
// tfjs twin in reference.ts that the parity check holds it to.

/**
 * Grad-CAM: channel weights = spatial mean of the gradient at the target
 * activation A [N, C, h, w]; map = ReLU(Σ_c weight_c · A_c), resized
 * bilinearly (half_pixel) to 28x28. Returns a [N, 1, 28, 28] tensor.
 */
export function emitGradCam(graph: GraphBuilder, activation: string, gradient: string): string {
  const name = (what: string) => graph.uniqueName(`gradcam/${what}`);
  const [weights, weighted, summed, cam, batchAndChannel, sizes, resized] = ['weights', 'weighted', 'sum', 'relu', 'nc', 'sizes', 'resized'].map(name) as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  graph.addNode('ReduceMean', [gradient], [weights], { axes: [2, 3], keepdims: 1 });
  graph.addNode('Mul', [activation, weights], [weighted]);
  graph.addNode('ReduceSum', [weighted, graph.addInt64Initializer('gradcam/channel_axis', [1])], [summed], { keepdims: 1 });
  graph.addNode('Relu', [summed], [cam]);
  graph.addNode('Shape', [cam], [batchAndChannel], { start: 0, end: 2 });
  graph.addNode('Concat', [batchAndChannel, graph.addInt64Initializer('gradcam/map_size', [...MAP_SIZE])], [sizes], { axis: 0 });
  // roi and scales are omitted (empty names): the output size is given.
  graph.addNode('Resize', [cam, '', '', sizes], [resized], { ...RESIZE_CONVENTION });
  return resized;
}

/** The saliency map of an input gradient [N, 1, H, W] before normalisation (see SALIENCY_FORMS). */
export function emitSaliency(graph: GraphBuilder, form: SaliencyForm, inputGradient: string, input: string): string {
  const name = (what: string) => graph.uniqueName(`saliency/${what}`);
  let source = inputGradient;
  if (form !== 'abs-gradient') {
    source = name('gradient_x_input');
    graph.addNode('Mul', [inputGradient, input], [source]);
  }
  const out = name(form === 'positive-gradient-x-input' ? 'relu' : 'abs');
  graph.addNode(form === 'positive-gradient-x-input' ? 'Relu' : 'Abs', [source], [out]);
  return out;
}

/**
 * Scales each non-negative [N, 1, H, W] map by its maximum so it spans
 * [0, 1] (an all-zero map stays zero), then drops the channel axis:
 * [N, H, W] named `output`.
 */
export function emitNormalised(graph: GraphBuilder, map: string, output: string): string {
  const name = (what: string) => graph.uniqueName(`${output}/${what}`);
  const [max, positive, divisor, scaled] = ['max', 'positive', 'divisor', 'scaled'].map(name) as [string, string, string, string];
  graph.addNode('ReduceMax', [map], [max], { axes: [1, 2, 3], keepdims: 1 });
  const zero = graph.addInitializer(`${output}/zero`, new Float32Array([0]), []);
  const one = graph.addInitializer(`${output}/one`, new Float32Array([1]), []);
  graph.addNode('Greater', [max, zero], [positive]);
  graph.addNode('Where', [positive, max, one], [divisor]);
  graph.addNode('Div', [map, divisor], [scaled]);
  graph.addNode('Reshape', [scaled, graph.addInt64Initializer(`${output}/shape`, [-1, ...MAP_SIZE])], [output]);
  return output;
}
