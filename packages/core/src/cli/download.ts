import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar, Presets } from 'cli-progress';
import { allDatasetFiles, downloadFile, DEFAULT_MIRROR } from '../dataset/download.ts';
import { resolveDataDir } from '../dataset/data-dir.ts';
import { md5Hex } from '../dataset/load.ts';
import { readFile } from 'node:fs/promises';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, 'data-dir': { type: 'string' }, mirror: { type: 'string' }, force: { type: 'boolean', default: false } },
});
const dir = resolveDataDir(values.dir ?? values['data-dir']);
const mirror = values.mirror ?? DEFAULT_MIRROR;
console.log(`Fashion-MNIST -> ${dir} (mirror ${mirror})`);
for (const file of allDatasetFiles()) {
  const path = join(dir, file.name);
  if (!values.force && existsSync(path) && md5Hex(await readFile(path)) === file.md5) {
    console.log(`  ${file.name}: present, md5 ok`);
    continue;
  }
  const bar = new SingleBar({ format: `  ${file.name.padEnd(28)} {bar} {percentage}% | {value}/{total} bytes | ETA {eta}s` }, Presets.shades_classic);
  let started = false;
  try {
    await downloadFile(dir, file, {
      mirror,
      onProgress: ({ received, total }) => {
        if (!started) {
          bar.start(total ?? received, 0);
          started = true;
        }
        if (total === undefined) bar.setTotal(received);
        bar.update(received);
      },
    });
  } catch (err) {
    if (started) bar.stop();
    console.error(`\n${(err as Error).message}`);
    process.exit(1);
  }
  bar.stop();
}
console.log('All four files present with the official md5 sums.');
