import pkg from '../package.json' with { type: 'json' };

/** Written into every ONNX file (producer and metadata) so a file says which exporter made it. */
export const EXPORTER_NAME = pkg.name;
export const EXPORTER_VERSION = pkg.version;
