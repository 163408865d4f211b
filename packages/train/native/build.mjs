/**
 * Builds the optional oneDNN convolution addon (onednn-conv.cc) with node-gyp
 * where oneDNN's headers and library are installed (Debian/Ubuntu:
 * `apt-get install libdnnl-dev`). It never fails an install: without oneDNN,
 * or if the build fails, it says why and training keeps tfjs-backend-wasm's
 * kernels. REQUIRE_ONEDNN=1 (CI) turns a missing or failed build into an error.
 * Run by @fmnist/train's postinstall; again by hand: pnpm --filter @fmnist/train build:native
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.env.REQUIRE_ONEDNN === '1';

function skip(reason) {
  const message = `@fmnist/train: oneDNN convolutions not built: ${reason}; training uses the wasm kernels`;
  if (required) {
    console.error(`${message} (REQUIRE_ONEDNN=1)`);
    process.exit(1);
  }
  console.log(message);
  process.exit(0);
}

if (process.env.FMNIST_ONEDNN === '0') skip('FMNIST_ONEDNN=0');
const roots = [process.env.ONEDNN_ROOT, '/usr', '/usr/local', '/opt/homebrew'].filter(Boolean);
const root = roots.find((r) => existsSync(join(r, 'include', 'oneapi', 'dnnl', 'dnnl.hpp')));
if (!root) skip('no oneDNN headers (Debian/Ubuntu: apt-get install libdnnl-dev; or set ONEDNN_ROOT)');

let gyp;
try {
  gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  skip('node-gyp is not installed');
}
// Node's own headers where this Node keeps them (Debian's and the official builds do), so that nothing is downloaded.
const prefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? ['--nodedir', prefix] : [];
const env = { ...process.env };
if (root !== '/usr') {
  env.CXXFLAGS = `${env.CXXFLAGS ?? ''} -I${join(root, 'include')}`;
  env.LDFLAGS = `${env.LDFLAGS ?? ''} -L${join(root, 'lib')} -Wl,-rpath,${join(root, 'lib')}`;
}
const built = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedir], { cwd: here, env, encoding: 'utf8' });
if (built.status !== 0) skip(`node-gyp failed:\n${`${built.stdout}\n${built.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
console.log(`@fmnist/train: oneDNN convolutions built (${join(here, 'build', 'Release', 'onednn_conv.node')}, oneDNN from ${root})`);
