import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, userPath } from '../paths.ts';
import { PhotoSetError } from './errors.ts';
import { parsePhotoLabels, type PhotoEntry } from './labels.ts';

export interface PhotoSet {
  dir: string;
  entries: PhotoEntry[];
}

/** The labelled photos for training and validation: the flag, then PHOTOS_DIR, then `../shared/clothing-photos` beside the repository. */
export function resolvePhotoDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.PHOTOS_DIR;
  return chosen ? userPath(chosen, env) : join(repoRoot(), '..', 'shared', 'clothing-photos');
}

/** The held-out sample photos (tests only): SAMPLE_PHOTOS_DIR, then `../shared/sample-photos` beside the repository. */
export function resolveSamplePhotoDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SAMPLE_PHOTOS_DIR ? userPath(env.SAMPLE_PHOTOS_DIR, env) : join(repoRoot(), '..', 'shared', 'sample-photos');
}

/** Reads and validates `dir/labels.json` and checks that every photo it lists is there. */
export async function readPhotoSet(dir: string): Promise<PhotoSet> {
  const labelsPath = join(dir, 'labels.json');
  let text: string;
  try {
    text = await readFile(labelsPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PhotoSetError(
      'missing-dir',
      labelsPath,
      `cannot read (${code ?? String(err)}); point --photos / PHOTOS_DIR at a folder holding labels.json and its photos`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PhotoSetError('bad-labels', labelsPath, `not valid JSON (${(err as Error).message})`);
  }
  const entries = parsePhotoLabels(json, labelsPath);
  const missing: string[] = [];
  await Promise.all(entries.map((e) => access(join(dir, e.file)).catch(() => missing.push(e.file))));
  if (missing.length > 0) {
    missing.sort();
    throw new PhotoSetError(
      'missing-file',
      join(dir, missing[0]!),
      `${missing.length} photo(s) listed in labels.json are missing (first: ${missing.slice(0, 3).join(', ')})`,
    );
  }
  return { dir, entries };
}
