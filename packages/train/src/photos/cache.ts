import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SingleBar } from 'cli-progress';
import { IMAGE_PIXELS, preprocessStaged, type GarmentStage, type PreprocessOptions } from '@fmnist/core';
import { preprocessVersion, repoRoot, userPath, type PhotoSet } from '@fmnist/core/node';
import { decodePhoto } from './decode.ts';

/** A photo after core's preprocessing: its 28x28 input, and the segmentation stage that augmentation re-renders from. */
export interface CachedPhoto {
  pixels: Uint8Array;
  stage?: GarmentStage;
}

/** The cache folder: the flag, then PHOTO_CACHE_DIR, then `.cache/photos` in the repository (git-ignored). */
export function resolvePhotoCacheDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.PHOTO_CACHE_DIR;
  return chosen ? userPath(chosen, env) : join(repoRoot(), '.cache', 'photos');
}

const MAGIC = 0x46504331; // "FPC1"
const HEADER_WORDS = 8;

export function encodeCachedPhoto(photo: CachedPhoto): Uint8Array {
  const s = photo.stage;
  const area = s ? s.width * s.height : 0;
  const out = new Uint8Array(HEADER_WORDS * 4 + IMAGE_PIXELS + 2 * area);
  const view = new DataView(out.buffer);
  const words = [MAGIC, s?.width ?? 0, s?.height ?? 0, s?.box.x ?? 0, s?.box.y ?? 0, s?.box.width ?? 0, s?.box.height ?? 0, s?.segmented ? 1 : 0];
  words.forEach((w, i) => view.setUint32(4 * i, w));
  out.set(photo.pixels, HEADER_WORDS * 4);
  if (s) {
    const gray = out.subarray(HEADER_WORDS * 4 + IMAGE_PIXELS, HEADER_WORDS * 4 + IMAGE_PIXELS + area);
    // Rounded to bytes: half a gray level is far below what augmentation changes.
    for (let i = 0; i < area; i++) gray[i] = Math.round(s.gray[i]!);
    out.set(s.mask, HEADER_WORDS * 4 + IMAGE_PIXELS + area);
  }
  return out;
}

/** Returns undefined for a file that is not a whole cache entry (truncated or foreign): it is rebuilt. */
export function decodeCachedPhoto(bytes: Uint8Array): CachedPhoto | undefined {
  if (bytes.length < HEADER_WORDS * 4 + IMAGE_PIXELS) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [magic, width, height, x, y, bw, bh, segmented] = Array.from({ length: HEADER_WORDS }, (_, i) => view.getUint32(4 * i));
  const area = width! * height!;
  if (magic !== MAGIC || bytes.length !== HEADER_WORDS * 4 + IMAGE_PIXELS + 2 * area) return undefined;
  const pixels = new Uint8Array(bytes.subarray(HEADER_WORDS * 4, HEADER_WORDS * 4 + IMAGE_PIXELS));
  if (area === 0) return { pixels };
  const start = HEADER_WORDS * 4 + IMAGE_PIXELS;
  return {
    pixels,
    stage: {
      width: width!,
      height: height!,
      gray: Float32Array.from(bytes.subarray(start, start + area)),
      mask: new Uint8Array(bytes.subarray(start + area, start + 2 * area)),
      box: { x: x!, y: y!, width: bw!, height: bh! },
      segmented: segmented === 1,
    },
  };
}

export interface CacheOptions {
  cacheDir: string;
  preprocess?: PreprocessOptions;
  /** Draw a progress bar (on a terminal); otherwise one summary line. */
  progress?: boolean;
  log?: (line: string) => void;
}

/** The cache key's version: the preprocessing code's fingerprint and the options it ran with. */
function cacheVersion(options: PreprocessOptions = {}): string {
  const opts = JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
  return `${preprocessVersion()}-${createHash('sha256').update(opts).digest('hex').slice(0, 8)}`;
}

/**
 * Every photo of the set, preprocessed: read from `<cacheDir>/<version>/<sha256 of the file>.bin`
 * where present, else decoded (sharp), run through core's preprocessing and stored.
 * A change to the preprocessing code changes the version, so old entries are never read.
 */
export async function loadCachedPhotos(set: PhotoSet, options: CacheOptions): Promise<{ photos: CachedPhoto[]; built: number; dir: string }> {
  const dir = join(options.cacheDir, cacheVersion(options.preprocess));
  await mkdir(dir, { recursive: true });
  const bar =
    options.progress && process.stderr.isTTY ? new SingleBar({ format: 'photos {bar} {value}/{total} | built {built}', hideCursor: true }) : undefined;
  bar?.start(set.entries.length, 0, { built: 0 });
  const out = new Array<CachedPhoto>(set.entries.length);
  let built = 0;
  let done = 0;
  let next = 0;
  // Two at a time: sharp decodes on libuv's threads while this thread preprocesses the other photo.
  const worker = async () => {
    while (next < set.entries.length) {
      const i = next++;
      const bytes = await readFile(join(set.dir, set.entries[i]!.file));
      const key = join(dir, `${createHash('sha256').update(bytes).digest('hex')}.bin`);
      const hit = await readFile(key).then(
        (b) => decodeCachedPhoto(b),
        () => undefined,
      );
      if (hit) out[i] = hit;
      else {
        const raw = await decodePhoto(bytes).catch((err: unknown) => {
          throw new Error(`${join(set.dir, set.entries[i]!.file)}: cannot decode (${err instanceof Error ? err.message : String(err)})`);
        });
        const { pixels, stage } = preprocessStaged(raw, options.preprocess);
        out[i] = stage ? { pixels, stage } : { pixels };
        const tmp = `${key}.${process.pid}.tmp`;
        await writeFile(tmp, encodeCachedPhoto(out[i]!));
        await rename(tmp, key);
        built++;
      }
      bar?.update(++done, { built });
    }
  };
  await Promise.all([worker(), worker()]);
  bar?.stop();
  options.log?.(`photos: ${set.entries.length} from ${set.dir} (${built} preprocessed, ${set.entries.length - built} from the cache in ${dir})`);
  return { photos: out, built, dir };
}
