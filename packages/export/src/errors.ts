/**
 * Typed export errors. Each message names what failed precisely enough for a
 * user to act without reading the converter: the layer, its class and the
 * setting for conversion faults; the file and the fault for artifact faults.
 */

/** A layer, or one of its settings, that has no ONNX mapping in this exporter. */
export class UnsupportedLayerError extends Error {
  override readonly name = 'UnsupportedLayerError';
  constructor(
    readonly layerName: string,
    readonly className: string,
    /** The offending setting, e.g. `activation: "tanh"`, or `layer class` for an unknown class. */
    readonly setting: string,
    detail?: string,
  ) {
    super(`layer '${layerName}' (${className}): unsupported ${setting}${detail ? `; ${detail}` : ''}`);
  }
}

/** The model's structure (not one layer) is outside what the exporter handles, e.g. a branching graph. */
export class UnsupportedModelError extends Error {
  override readonly name = 'UnsupportedModelError';
}

export type ArtifactErrorCode = 'missing' | 'bad-json' | 'bad-format' | 'bad-weights' | 'load-failed';

/** A model directory or file that is missing, malformed or inconsistent. */
export class ArtifactError extends Error {
  override readonly name = 'ArtifactError';
  constructor(
    readonly code: ArtifactErrorCode,
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

export type ExplainClassErrorCode = 'not-integer' | 'out-of-range' | 'count-mismatch';

/**
 * A class index to explain that the explanation graph cannot take. The
 * graph itself refuses indices >= the class count (its Gather is
 * bounds-checked) but would read any negative as "top class"; this error
 * keeps the contract tight and says how to fix the request.
 */
export class ExplainClassError extends Error {
  override readonly name = 'ExplainClassError';
  constructor(
    readonly code: ExplainClassErrorCode,
    /** Position in the request of the offending index (or -1 for a count mismatch). */
    readonly position: number,
    readonly value: unknown,
    detail: string,
  ) {
    super(detail);
  }
}
