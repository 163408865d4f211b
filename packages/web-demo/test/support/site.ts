import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SHIPPED_MODELS } from '@fmnist/core';
import { browserModels, manifestOf, type BrowserModel } from '../../build/browser-models.ts';
import { MANIFEST_FILE, MODELS_FOLDER } from '../../src/inference/manifest.ts';
import { DIST_DIR, ensureBuilt } from '../../scripts/build-state.ts';

export interface Site {
  dir: string;
  /** The models the page runs (file and weights each), picked from the folder by the build's own rule. */
  models: BrowserModel[];
  /** The model the page answers with by default: core's DEFAULT_MODEL, or the first shipped model the folder has. */
  defaultModel: string;
  /** The file on disk the page runs for a model: the one to compute reference answers from. */
  modelFile(name: string): string;
  cleanup(): Promise<void>;
}

/**
 * A servable copy of the demo whose `onnx/` holds the models of `modelsDir`,
 * chosen as the build chooses them (int8 where present) with their manifest,
 * so the browser, the server and the reference answers run the same weights.
 * The big assets are symlinked from dist, not copied.
 */
export async function siteWithModels(modelsDir: string): Promise<Site> {
  await ensureBuilt(() => {});
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-web-site-'));
  for (const entry of await readdir(DIST_DIR)) {
    if (entry === MODELS_FOLDER) continue;
    if (entry === 'assets') await symlink(join(DIST_DIR, entry), join(dir, entry));
    else await cp(join(DIST_DIR, entry), join(dir, entry), { recursive: true });
  }
  await mkdir(join(dir, MODELS_FOLDER));
  const models = browserModels(modelsDir);
  for (const m of models) {
    await cp(m.source, join(dir, MODELS_FOLDER, m.file));
    if (m.explain) {
      await mkdir(join(dir, MODELS_FOLDER, dirname(m.explain.file)), { recursive: true });
      await cp(m.explain.source, join(dir, MODELS_FOLDER, m.explain.file));
    }
  }
  await writeFile(join(dir, MODELS_FOLDER, MANIFEST_FILE), JSON.stringify(manifestOf(models)));
  const defaultModel = SHIPPED_MODELS.find((n) => models.some((m) => m.name === n));
  if (!defaultModel) throw new Error(`none of ${SHIPPED_MODELS.join(', ')} in ${modelsDir}`);
  return {
    dir,
    models,
    defaultModel,
    modelFile(name) {
      const m = models.find((b) => b.name === name);
      if (!m) throw new Error(`no ${name} model in ${modelsDir}`);
      return m.source;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
