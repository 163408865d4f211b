import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { requireModelFiles, testDataDir, testPhotoDir } from '../src/test-data.ts';

/** The gates every real-data test goes through: what skips where, and what fails under REQUIRE_DATA=1. */
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

describe('testDataDir and testPhotoDir', () => {
  it('skip with a message without REQUIRE_DATA, and fail with it', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    vi.stubEnv('FMNIST_DIR', '');
    vi.stubEnv('SAMPLE_PHOTOS_DIR', '/fake/no-such-sample-photos');
    vi.stubEnv('PHOTOS_DIR', '/fake/no-such-photos');
    vi.stubEnv('REQUIRE_DATA', '');
    expect(testDataDir()).toBeUndefined();
    expect(testPhotoDir('samples')).toBeUndefined();
    expect(testPhotoDir()).toBeUndefined();
    vi.stubEnv('REQUIRE_DATA', '1');
    expect(() => testDataDir()).toThrow(/FMNIST_DIR is unset/);
    expect(() => testPhotoDir('samples')).toThrow(/no-such-sample-photos\/labels\.json is missing: set SAMPLE_PHOTOS_DIR/);
    expect(() => testPhotoDir()).toThrow(/no-such-photos\/labels\.json is missing: set PHOTOS_DIR/);
  });

  it('resolve a relative folder against the caller, and return it where labels.json is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-gate-'));
    try {
      await writeFile(join(dir, 'labels.json'), '[]');
      vi.stubEnv('INIT_CWD', tmpdir());
      vi.stubEnv('SAMPLE_PHOTOS_DIR', dir.slice(tmpdir().length + 1));
      vi.stubEnv('REQUIRE_DATA', '1');
      expect(testPhotoDir('samples')).toBe(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('requireModelFiles', () => {
  it('returns the folder when every file is there and names each missing one otherwise, REQUIRE_DATA or not', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fmnist-models-'));
    try {
      await writeFile(join(dir, 'cnn.onnx'), '');
      expect(requireModelFiles(dir, ['cnn.onnx'])).toBe(dir);
      vi.stubEnv('REQUIRE_DATA', '');
      expect(() => requireModelFiles(dir, ['cnn.onnx', 'mlp.onnx'])).toThrow(`${join(dir, 'mlp.onnx')} missing`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
