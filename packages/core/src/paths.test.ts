import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callerDir, defaultModelsDir, repoRoot, resolveModelsDir, userPath } from './paths.ts';

const caller = resolve('/tmp/fake-caller/dir');

describe('userPath', () => {
  it('resolves a relative path against INIT_CWD, the folder pnpm was started from', () => {
    expect(callerDir({ INIT_CWD: caller })).toBe(caller);
    expect(userPath('runs/cnn', { INIT_CWD: caller })).toBe(join(caller, 'runs', 'cnn'));
    expect(userPath('../x', { INIT_CWD: caller })).toBe(resolve(caller, '..', 'x'));
  });
  it('falls back to the working directory and leaves absolute paths alone', () => {
    expect(callerDir({})).toBe(process.cwd());
    expect(userPath('a', {})).toBe(resolve(process.cwd(), 'a'));
    expect(userPath(resolve('/elsewhere/m'), { INIT_CWD: caller })).toBe(resolve('/elsewhere/m'));
  });
});

describe('resolveModelsDir', () => {
  it('defaults to <repo>/models', () => {
    expect(resolveModelsDir(undefined, {})).toBe(join(repoRoot(), 'models'));
    expect(defaultModelsDir()).toBe(join(repoRoot(), 'models'));
  });
  it('prefers the flag, then FMNIST_MODELS_DIR, then the deprecated MODELS_DIR, each against the caller', () => {
    const env = { INIT_CWD: caller, FMNIST_MODELS_DIR: 'new', MODELS_DIR: 'old' };
    expect(resolveModelsDir('flag', env)).toBe(join(caller, 'flag'));
    expect(resolveModelsDir(undefined, env)).toBe(join(caller, 'new'));
    expect(resolveModelsDir(undefined, { INIT_CWD: caller, MODELS_DIR: 'old' })).toBe(join(caller, 'old'));
  });
});
