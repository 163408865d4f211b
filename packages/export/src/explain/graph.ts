import { emitClassifier, BATCH_DIM } from '../convert/convert.ts';
import type { TraceEntry } from '../convert/types.ts';
import { UnsupportedModelError } from '../errors.ts';
import type { ModelSpec } from '../model/spec.ts';
import { GraphBuilder } from '../onnx/graph-builder.ts';
import { EXPORTER_NAME, EXPORTER_VERSION } from '../version.ts';
import { emitBackward } from './backward.ts';
import { DEFAULT_HEATMAP, EXPLAIN_INPUTS, EXPLAIN_OPSET, EXPLAIN_OUTPUTS, MAP_SIZE, SALIENCY_FORM, TOP_CLASS, type MapKind, type SaliencyForm } from './contract.ts';
import { emitGradCam, emitNormalised, emitSaliency } from './maps.ts';

export interface ExplainOptions {
  name: string;
  /** metadata_props, or a function of what the build found (maps, default heatmap, Grad-CAM layer). */
  metadata?: Record<string, string> | ((facts: { maps: MapKind[]; heatmap: MapKind; gradCamLayer: string | undefined; saliencyForm: SaliencyForm }) => Record<string, string>);
  /** Saliency form written into the graph (default SALIENCY_FORM). */
  saliencyForm?: SaliencyForm;
}

export interface ExplainGraph {
  bytes: Uint8Array;
  nodeCount: number;
  /** The maps the graph outputs, and which one `heatmap` is. */
  maps: MapKind[];
  heatmap: MapKind;
  /** The layer Grad-CAM explains (the last Conv2D, after its activation). */
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
  const classifier = emitClassifier(spec, graph, trace);
  if (classifier.inputDims.length !== 4) throw new UnsupportedModelError(`explanations need an image input [H, W, C]; this model takes [${spec.inputShape}]`);
  const [, channels, height, width] = classifier.inputDims as [string, number, number, number];
  if (channels !== 1 || height !== MAP_SIZE[0] || width !== MAP_SIZE[1]) throw new UnsupportedModelError(`explanations are 28x28 maps of a [28, 28, 1] input; this model takes [${spec.inputShape}]`);

  const explained = emitClassSelection(graph, classInput, classifier.classes);
  const seed = emitOneHot(graph, explained, classifier.classes);
  const backward = emitBackward(graph, trace, seed);

  const maps: MapKind[] = [];
  const mapTensors: Partial<Record<MapKind, string>> = {};
  if (backward.target) {
    mapTensors.gradcam = emitNormalised(graph, emitGradCam(graph, backward.target.activation.name, backward.target.gradient), EXPLAIN_OUTPUTS.gradcam);
    maps.push('gradcam');
  }
  graph.renameTensor(backward.inputGradient, EXPLAIN_OUTPUTS.inputGradient);
  const form = options.saliencyForm ?? SALIENCY_FORM;
  mapTensors.saliency = emitNormalised(graph, emitSaliency(graph, form, EXPLAIN_OUTPUTS.inputGradient, classifier.inputName), EXPLAIN_OUTPUTS.saliency);
  maps.push('saliency');
  const heatmap = DEFAULT_HEATMAP;
  graph.addNode('Identity', [mapTensors[heatmap]!], [EXPLAIN_OUTPUTS.heatmap], {}, 'heatmap/Identity');

  const mapDims = [BATCH_DIM, ...MAP_SIZE];
  const bytes = graph.build({
    graphName: `${options.name}_explain`,
    producerName: EXPORTER_NAME,
    producerVersion: EXPORTER_VERSION,
    docString: `${options.name}: explanation graph (${maps.join(', ')}; heatmap = ${heatmap}) of the tfjs layers model, exported by ${EXPORTER_NAME} ${EXPORTER_VERSION}`,
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
    metadata: typeof options.metadata === 'function' ? options.metadata({ maps, heatmap, gradCamLayer: backward.target?.layerName, saliencyForm: form }) : (options.metadata ?? {}),
  });
  return { bytes, nodeCount: graph.nodeCount, maps, heatmap, classes: classifier.classes, ...(backward.target ? { gradCamLayer: backward.target.layerName } : {}) };
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
  graph.addNode('Gather', [graph.addInt64Initializer('class/indices', Array.from({ length: classes }, (_, i) => i)), chosen], [EXPLAIN_OUTPUTS.explainedClass], { axis: 0 }, 'class/check_range');
  return EXPLAIN_OUTPUTS.explainedClass;
}

/** [N, classes] float one-hot of the explained class: the gradient of logit[class] with respect to the logits. */
function emitOneHot(graph: GraphBuilder, explained: string, classes: number): string {
  const column = graph.uniqueName('seed/class_column');
  graph.addNode('Unsqueeze', [explained, graph.addInt64Initializer('seed/axis', [1])], [column]);
  const equal = graph.uniqueName('seed/equal');
  graph.addNode('Equal', [column, graph.addInt64Initializer('seed/classes', Array.from({ length: classes }, (_, i) => i), [1, classes])], [equal]);
  const seed = graph.uniqueName('seed/one_hot');
  graph.addNode('Cast', [equal], [seed], { to: 1 /* FLOAT */ });
  return seed;
}
