import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArtifactError } from '../errors.ts';
import { RUN_FILES } from '@fmnist/core';

type WeightEntry = tf.io.WeightsManifestEntry;

/** A tfjs layers-model artifact as read from disk, checked for consistency before tfjs sees it. */
export interface LayersArtifact {
  dir: string;
  modelJsonPath: string;
  modelTopology: object;
  weightSpecs: WeightEntry[];
  weightData: ArrayBuffer;
  /** sha256 over model.json's bytes followed by every weights file in manifest order: identifies the exact source. */
  sha256: string;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, int8: 1, int16: 2 };

async function readBytes(path: string, hint: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ArtifactError('missing', path, `cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)}); ${hint}`);
  }
}

/** Reads and validates `<dir>/model.json` and its weight files. */
export async function readLayersArtifact(dir: string): Promise<LayersArtifact> {
  const modelJsonPath = join(dir, RUN_FILES.model);
  const jsonBytes = await readBytes(modelJsonPath, 'expected a tfjs layers-model run directory (model.json + weights.bin), as `pnpm train` writes');
  let json: unknown;
  try {
    json = JSON.parse(jsonBytes.toString('utf8'));
  } catch (err) {
    throw new ArtifactError('bad-json', modelJsonPath, `is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null) throw new ArtifactError('bad-json', modelJsonPath, 'is not a JSON object');
  const { format, modelTopology, weightsManifest } = json as Record<string, unknown>;
  if (format === 'graph-model') {
    throw new ArtifactError(
      'bad-format',
      modelJsonPath,
      'is a tfjs graph model; the exporter reads layers models (save the Keras/tfjs model as a layers model, or convert the original with tf2onnx)',
    );
  }
  if (format !== undefined && format !== 'layers-model')
    throw new ArtifactError('bad-format', modelJsonPath, `format ${JSON.stringify(format)} is not "layers-model"`);
  if (typeof modelTopology !== 'object' || modelTopology === null) throw new ArtifactError('bad-format', modelJsonPath, 'has no modelTopology object');
  if (!Array.isArray(weightsManifest)) throw new ArtifactError('bad-format', modelJsonPath, 'has no weightsManifest array');

  const weightSpecs: WeightEntry[] = [];
  const chunks: Buffer[] = [];
  for (const group of weightsManifest as { paths?: unknown; weights?: unknown }[]) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights))
      throw new ArtifactError('bad-format', modelJsonPath, 'a weightsManifest entry lacks paths[] or weights[]');
    weightSpecs.push(...(group.weights as WeightEntry[]));
    for (const path of group.paths as string[]) chunks.push(await readBytes(join(dir, path), `model.json lists it in weightsManifest`));
  }
  const expected = weightSpecs.reduce((sum, w) => sum + expectedBytes(w, modelJsonPath), 0);
  const actual = chunks.reduce((sum, c) => sum + c.length, 0);
  if (expected !== actual) {
    throw new ArtifactError(
      'bad-weights',
      join(dir, String((weightsManifest[0] as { paths: string[] }).paths[0] ?? 'weights')),
      `weight files hold ${actual} bytes but the manifest describes ${expected}; the artifact is truncated or mismatched`,
    );
  }
  const hash = createHash('sha256').update(jsonBytes);
  for (const chunk of chunks) hash.update(chunk);
  const all = Buffer.concat(chunks);
  return {
    dir,
    modelJsonPath,
    modelTopology,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    sha256: hash.digest('hex'),
  };
}

function expectedBytes(w: WeightEntry, path: string): number {
  if (!Array.isArray(w?.shape) || typeof w.name !== 'string')
    throw new ArtifactError('bad-format', path, `weight entry ${JSON.stringify(w)} lacks name or shape`);
  const dtype = w.quantization?.dtype ?? w.dtype;
  const size = BYTES_PER_DTYPE[dtype];
  if (size === undefined) throw new ArtifactError('bad-format', path, `weight '${w.name}' has dtype ${JSON.stringify(dtype)}`);
  return w.shape.reduce((a, b) => a * b, 1) * size;
}

/** Builds the tfjs LayersModel from a checked artifact (tfjs raises on unknown layers or weight names). */
export async function layersModelFromArtifact(artifact: LayersArtifact): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: artifact.modelTopology, weightSpecs: artifact.weightSpecs, weightData: artifact.weightData }),
    );
  } catch (err) {
    throw new ArtifactError('load-failed', artifact.modelJsonPath, `tfjs cannot build the model: ${(err as Error).message}`);
  }
}
