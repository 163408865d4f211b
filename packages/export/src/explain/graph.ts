import { emitClassifier, BATCH_DIM } from '../convert/convert.ts';
import type { TfjsBackendArithmetic, TraceEntry } from '../convert/types.ts';
import { UnsupportedModelError } from '../errors.ts';
import type { ModelSpec } from '../model/spec.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from '../version.ts';
import { emitBackward } from './backward.ts';
import {
  DEFAULT_EXPLANATION,
  EXPLAIN_INPUTS,
  EXPLAIN_OPSET,
  EXPLAIN_OUTPUTS,
  MAP_SIZE,
  type ExplainTarget,
  type ExplanationChoice,
  type MapKind,
  type SaliencyForm,
} from './contract.ts';
import { emitGradCam, emitNormalised, emitSaliency } from './maps.ts';

export interface ExplainOptions {
  name: string;
  /** metadata_props, or a function of what the build found (maps, default heatmap, Grad-CAM layer). */
  metadata?: Record<string, string> | ((facts: ExplainFacts) => Record<string, string>);
  /** Target, saliency form and heatmap (default DEFAULT_EXPLANATION; a model without a Conv2D has no Grad-CAM and falls back to saliency). */
  choice?: Partial<ExplanationChoice>;
  /** Calibration: `probabilities` = Softmax(logits / temperature), as in the classifier. */
  temperature?: number;
  /**
   * Write a one-channel first convolution and its batch norm out as this tfjs backend computes them
   * (conv2d-as-tfjs.ts): fewer maps differ from tfjs's autodiff there, at a cost; off in the shipped graphs
   * (docs/explain-parity.md, "The first layer, written out as tfjs computes it").
   */
  exactFirstLayer?: TfjsBackendArithmetic | undefined;
}

export interface ExplainFacts {
  maps: MapKind[];
  heatmap: MapKind;
  gradCamLayer: string | undefined;
  saliencyForm: SaliencyForm;
  target: ExplainTarget;
  temperature: number;
}

export interface ExplainGraph {
  bytes: Uint8Array;
  nodeCount: number;
  /** The maps the graph outputs, and which one `heatmap` is. */
  maps: MapKind[];
  heatmap: MapKind;
  target: ExplainTarget;
  saliencyForm: SaliencyForm;
  temperature: number;
  /** The layer Grad-CAM explains (the last Conv2D after its activation; with a global-average-pooling head, the maps it pools). */
  gradCamLayer?: string;
  classes: number;
}

/**
 * The explanation graph of a classifier: the classifier's forward pass (same
 * emitters, same float32 weights) plus its exact backward pass for one class
 * per image, with the maps computed from it. See contract.ts for the interface.
 */
export function buildExplanationGraph(spec: ModelSpec, options: ExplainOptions): ExplainGraph {
  const graph = new GraphBuilder();
  // A required input: onnxruntime-node drops feeds that are not graph inputs, so an initializer default could not be overridden.
  const classInput = graph.uniqueName(EXPLAIN_INPUTS.class);
  const trace: TraceEntry[] = [];
  const choice = { ...DEFAULT_EXPLANATION, ...options.choice };
  const temperature = options.temperature ?? 1;
  const classifier = emitClassifier(spec, graph, { trace, temperature: options.temperature, exactFirstLayer: options.exactFirstLayer });
  if (classifier.inputDims.length !== 4) throw new UnsupportedModelError(`explanations need an image input [H, W, C]; this model takes [${spec.inputShape}]`);
  const [, channels, height, width] = classifier.inputDims as [string, number, number, number];
  if (channels !== 1 || height !== MAP_SIZE[0] || width !== MAP_SIZE[1])
    throw new UnsupportedModelError(`explanations are 28x28 maps of a [28, 28, 1] input; this model takes [${spec.inputShape}]`);

  const explained = emitClassSelection(graph, classInput, classifier.classes);
  const oneHot = emitOneHot(graph, explained, classifier.classes);
  const seed = choice.target === 'logit' ? oneHot : emitLogProbabilitySeed(graph, oneHot, temperature);
  const backward = emitBackward(graph, trace, seed, classifier.inputName);

  const maps: MapKind[] = [];
  const mapTensors: Partial<Record<MapKind, string>> = {};
  if (backward.target) {
    mapTensors.gradcam = emitNormalised(graph, emitGradCam(graph, backward.target.activation.name, backward.target.gradient), EXPLAIN_OUTPUTS.gradcam);
    maps.push('gradcam');
  }
  graph.renameTensor(backward.inputGradient, EXPLAIN_OUTPUTS.inputGradient);
  const form = choice.saliencyForm;
  mapTensors.saliency = emitNormalised(graph, emitSaliency(graph, form, EXPLAIN_OUTPUTS.inputGradient, classifier.inputName), EXPLAIN_OUTPUTS.saliency);
  maps.push('saliency');
  const heatmap = maps.includes(choice.heatmap) ? choice.heatmap : 'saliency';
  graph.addNode('Identity', [mapTensors[heatmap]!], [EXPLAIN_OUTPUTS.heatmap], {}, 'heatmap/Identity');

  const mapDims = [BATCH_DIM, ...MAP_SIZE];
  const bytes = graph.build({
    graphName: `${options.name}_explain`,
    producerName: EXPORTER_NAME,
    producerVersion: EXPORTER_VERSION,
    docString: `${options.name}: explanation graph (${maps.join(', ')} of the ${choice.target}; heatmap = ${heatmap}) of the tfjs layers model, exported by ${EXPORTER_NAME} ${EXPORTER_VERSION}`,
    opset: EXPLAIN_OPSET,
    inputs: [
      { name: classifier.inputName, dims: classifier.inputDims },
      { name: EXPLAIN_INPUTS.class, dims: [BATCH_DIM], elemType: 'int64' },
    ],
    outputs: [
      { name: EXPLAIN_OUTPUTS.logits, dims: [BATCH_DIM, classifier.classes] },
      { name: EXPLAIN_OUTPUTS.probabilities, dims: [BATCH_DIM, classifier.classes] },
      { name: EXPLAIN_OUTPUTS.explainedClass, dims: [BATCH_DIM], elemType: 'int64' },
      { name: EXPLAIN_OUTPUTS.heatmap, dims: mapDims },
      ...maps.map((m) => ({ name: EXPLAIN_OUTPUTS[m], dims: mapDims })),
      { name: EXPLAIN_OUTPUTS.inputGradient, dims: classifier.inputDims },
    ],
    metadata:
      typeof options.metadata === 'function'
        ? options.metadata({ maps, heatmap, gradCamLayer: backward.target?.layerName, saliencyForm: form, target: choice.target, temperature })
        : (options.metadata ?? {}),
  });
  return {
    bytes,
    nodeCount: graph.nodeCount,
    maps,
    heatmap,
    target: choice.target,
    saliencyForm: form,
    temperature,
    classes: classifier.classes,
    ...(backward.target ? { gradCamLayer: backward.target.layerName } : {}),
  };
}

/**
 * explained_class = class < 0 ? argmax(logits) : class, then looked up in
 * [0 .. classes-1] with Gather, whose bounds check makes onnxruntime refuse
 * an index >= classes instead of explaining nothing.
 */
function emitClassSelection(graph: GraphBuilder, classInput: string, classes: number): string {
  const top = graph.uniqueName('class/top');
  graph.addNode('ArgMax', [EXPLAIN_OUTPUTS.logits], [top], { axis: 1, keepdims: 0, select_last_index: 0 });
  const isTop = graph.uniqueName('class/is_top');
  graph.addNode('Less', [classInput, graph.addInt64Initializer('class/zero', [0], [])], [isTop]);
  const chosen = graph.uniqueName('class/chosen');
  graph.addNode('Where', [isTop, top, classInput], [chosen]);
  graph.addNode(
    'Gather',
    [
      graph.addInt64Initializer(
        'class/indices',
        Array.from({ length: classes }, (_, i) => i),
      ),
      chosen,
    ],
    [EXPLAIN_OUTPUTS.explainedClass],
    { axis: 0 },
    'class/check_range',
  );
  return EXPLAIN_OUTPUTS.explainedClass;
}

/** [N, classes] float one-hot of the explained class: the gradient of logit[class] with respect to the logits. */
function emitOneHot(graph: GraphBuilder, explained: string, classes: number): string {
  const column = graph.uniqueName('seed/class_column');
  graph.addNode('Unsqueeze', [explained, graph.addInt64Initializer('seed/axis', [1])], [column]);
  const equal = graph.uniqueName('seed/equal');
  graph.addNode(
    'Equal',
    [
      column,
      graph.addInt64Initializer(
        'seed/classes',
        Array.from({ length: classes }, (_, i) => i),
        [1, classes],
      ),
    ],
    [equal],
  );
  const seed = graph.uniqueName('seed/one_hot');
  graph.addNode('Cast', [equal], [seed], { to: 1 /* FLOAT */ });
  return seed;
}

/**
 * The gradient of log p_c with respect to the logits, p = `probabilities`
 * = softmax(z / T): (onehot − p) / T. Written as onehot·Σ_{j≠c} p_j − (1 −
 * onehot)·p rather than onehot − p: for a confident class, 1 − p_c in
 * float32 is rounding noise (or exactly 0 when p_c rounds to 1), while the
 * sum of the other probabilities keeps their full relative precision.
 */
function emitLogProbabilitySeed(graph: GraphBuilder, oneHot: string, temperature: number): string {
  const name = (what: string) => graph.uniqueName(`seed/${what}`);
  const [others, rivals, rest, own, seed] = ['not_class', 'rivals', 'rest', 'own', 'log_probability'].map(name) as [string, string, string, string, string];
  graph.addNode('Sub', [graph.addInitializer('seed/one', Float32Array.of(1), []), oneHot], [others]);
  graph.addNode('Mul', [EXPLAIN_OUTPUTS.probabilities, others], [rivals]);
  graph.addNode('ReduceSum', [rivals, graph.addInt64Initializer('seed/class_axis', [1])], [rest], { keepdims: 1 });
  graph.addNode('Mul', [oneHot, rest], [own]);
  graph.addNode('Sub', [own, rivals], [seed]);
  if (temperature === 1) return seed;
  const scaled = name('log_probability_over_t');
  graph.addNode('Div', [seed, graph.addInitializer('seed/temperature', Float32Array.of(temperature), [])], [scaled]);
  return scaled;
}
