// Public API of @fmnist/export (Node only: it loads onnxruntime-node and reads files).
export { convertSpec, BATCH_DIM, type ConvertOptions, type ConvertResult } from './convert/convert.ts';
export { SUPPORTED_LAYERS } from './convert/plan.ts';
export { ArtifactError, UnsupportedLayerError, UnsupportedModelError, type ArtifactErrorCode } from './errors.ts';
export { runExportCommand, type ExportCommandOptions, type ExportCommandResult } from './export-command.ts';
export { resolveModelArg, shippedOnnxPath } from './locations.ts';
export { buildMetadata } from './metadata.ts';
export { layersModelFromArtifact, readLayersArtifact, type LayersArtifact } from './model/artifact.ts';
export { specFromLayersModel, type LayerSpec, type ModelSpec } from './model/spec.ts';
export { IR_VERSION, OPSET_VERSION } from './onnx/graph-builder.ts';
export { openCpuSession, type CpuSessionOptions } from './ort.ts';
export { compareOutputs, onnxOutputs, parityMarkdown, tfjsOutputs, type ImageSet, type ParityRow, type ParityStats } from './parity.ts';
export { int8Markdown, PARITY_LIMITS, rowPasses, runModelParity, type ModelParity } from './parity-run.ts';
export { exportRunDir, type ExportedRun } from './pipeline.ts';
export { tritonConfig, writeTritonModel, type TritonModelSpec } from './triton.ts';
export { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';
export {
  DEFAULT_EXPLANATION,
  DEFAULT_HEATMAP,
  EXPLAIN_INPUTS,
  EXPLAIN_OPSET,
  EXPLAIN_OUTPUTS,
  EXPLAIN_TARGETS,
  explainClassTensor,
  explanationChoiceFor,
  MAP_SIZE,
  RESIZE_CONVENTION,
  SALIENCY_FORM,
  SALIENCY_FORMS,
  SHIPPED_EXPLANATIONS,
  TOP_CLASS,
  type ExplainTarget,
  type ExplanationChoice,
  type MapKind,
  type SaliencyForm,
} from './explain/contract.ts';
export { buildExplanationGraph, type ExplainGraph, type ExplainOptions } from './explain/graph.ts';
export { referenceExplain, type ReferenceExplanation } from './explain/reference.ts';
export { runExplanation, type ExplainOutputs } from './explain/run.ts';
export { compareExplanations, EXPLAIN_PARITY_LIMITS, explainParityMarkdown, type ExplainParity } from './explain/parity.ts';
export { deletionCurve, rankPixels, randomGarmentOrder, areaBetween, type DeletionCurve } from './explain/deletion.ts';
export { ExplainClassError, type ExplainClassErrorCode } from './errors.ts';
export { explainOnnxPath } from './locations.ts';
export { tritonExplainConfig, writeTritonExplainModel } from './triton.ts';
