// Public API of @fmnist/export (Node only: it loads onnxruntime-node and reads files).
export { convertSpec, BATCH_DIM, type ConvertOptions, type ConvertResult } from './convert/convert.ts';
export { SUPPORTED_LAYERS } from './convert/plan.ts';
export { ArtifactError, UnsupportedLayerError, UnsupportedModelError, type ArtifactErrorCode } from './errors.ts';
export { runExportCommand, type ExportCommandOptions, type ExportCommandResult } from './export-command.ts';
export { modelsDir, resolveModelArg, SHIPPED_MODELS, shippedOnnxPath } from './locations.ts';
export { buildMetadata, METADATA_KEYS } from './metadata.ts';
export { loadLayersModel, readLayersArtifact, type LayersArtifact } from './model/artifact.ts';
export { readRunMetrics, type SourceMetrics } from './model/run-metrics.ts';
export { specFromLayersModel, type LayerSpec, type ModelSpec } from './model/spec.ts';
export { IR_VERSION, OPSET_VERSION } from './onnx/graph-builder.ts';
export { createSession, runSession } from './ort.ts';
export { compareOutputs, onnxOutputs, parityMarkdown, tfjsOutputs, type ImageSet, type ParityRow, type ParityStats } from './parity.ts';
export { int8Markdown, PARITY_LIMITS, rowPasses, runModelParity, type ModelParity } from './parity-run.ts';
export { exportRunDir, type ExportedRun } from './pipeline.ts';
export { tritonConfig, writeTritonModel, type TritonModelSpec } from './triton.ts';
export { EXPORTER_NAME, EXPORTER_VERSION } from './version.ts';
