import { cp, mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_DIR, ensureBuilt } from '../../scripts/build-state.ts';

/**
 * A servable copy of the demo whose `onnx/` holds exactly the models the
 * server loads, so the browser and the server run the same weights. The
 * big assets are symlinked from dist, not copied.
 */
export async function siteWithModels(modelsDir: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  await ensureBuilt(() => {});
  const dir = await mkdtemp(join(tmpdir(), 'fmnist-web-site-'));
  for (const entry of await readdir(DIST_DIR)) {
    if (entry === 'onnx') continue;
    if (entry === 'assets') await symlink(join(DIST_DIR, entry), join(dir, entry));
    else await cp(join(DIST_DIR, entry), join(dir, entry), { recursive: true });
  }
  await mkdir(join(dir, 'onnx'));
  for (const f of (await readdir(modelsDir)).filter((f) => f.endsWith('.onnx'))) await cp(join(modelsDir, f), join(dir, 'onnx', f));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
