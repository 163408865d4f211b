import { describe, expect, it } from 'vitest';
import type { PreprocessReport } from '@fmnist/core';
import { parseManifest, serverModelName } from '../src/inference/manifest.ts';
import { pixelDifference } from '../src/parity.ts';
import { dataUrlToBlob } from '../src/ui/data-url.ts';
import { describeSteps } from '../src/ui/steps.ts';
import { grayPng } from './support/png.ts';

describe('pixelDifference', () => {
  it('reports the largest and the mean absolute difference', () => {
    expect(pixelDifference(Uint8Array.from([0, 10, 255, 7]), Uint8Array.from([3, 10, 250, 7]))).toEqual({ max: 5, mean: 2 });
  });
  it('refuses images of different sizes', () => {
    expect(() => pixelDifference(new Uint8Array(3), new Uint8Array(4))).toThrow(/sizes differ/);
  });
});

describe('describeSteps', () => {
  const report: PreprocessReport = {
    passthrough: false,
    working: { width: 96, height: 128 },
    background: [200, 190, 180],
    threshold: 31.5,
    foreground: 0.42,
    box: { x: 10, y: 5, width: 70, height: 110 },
    fallback: false,
  };
  it('names the sizes, the background and the garment share', () => {
    const text = describeSteps(report, { width: 400, height: 534 });
    expect(text).toContain('400×534 → 96×128');
    expect(text).toContain('rgb(200, 190, 180)');
    expect(text).toContain('42%');
  });
  it('says when segmentation fell back and when the image passed through', () => {
    expect(describeSteps({ ...report, fallback: true }, { width: 400, height: 534 })).toMatch(/no clear garment/);
    expect(describeSteps({ ...report, passthrough: true }, { width: 28, height: 28 })).toMatch(/used as is/);
  });
});

describe('dataUrlToBlob', () => {
  it('decodes base64 and percent-encoded data: URLs with their type', async () => {
    const png = grayPng(new Uint8Array([0, 128, 255, 7]), 2, 2);
    const blob = dataUrlToBlob(`data:image/png;base64,${Buffer.from(png).toString('base64')}`);
    expect(blob.type).toBe('image/png');
    expect(Buffer.from(await blob.arrayBuffer()).equals(Buffer.from(png))).toBe(true);
    const text = dataUrlToBlob('data:,a%20b');
    expect(text.type).toBe('text/plain');
    expect(await text.text()).toBe('a b');
  });
  it('refuses anything else', () => {
    expect(() => dataUrlToBlob('https://example.org/x.png')).toThrow(/not a data: URL/);
  });
});

describe('parseManifest', () => {
  it('keeps well-formed entries and names the server model after the file', () => {
    const m = parseManifest({ cnn: { file: 'cnn.int8.onnx', weights: 'int8' }, mlp: { file: 'mlp.onnx', weights: 'float32' } });
    expect(serverModelName(m.cnn!)).toBe('cnn.int8');
    expect(serverModelName(m.mlp!)).toBe('mlp');
    // An answer from an explanation graph compares with the float32 classifier of the same weights.
    expect(serverModelName({ file: 'explain/cnn-photo.onnx', weights: 'float32' })).toBe('cnn-photo');
  });
  it('refuses a broken manifest with the entry it trips on', () => {
    expect(() => parseManifest([])).toThrow(/not a JSON object/);
    expect(() => parseManifest({ cnn: { file: '../x.onnx', weights: 'int8' } })).toThrow(/"cnn"/);
    expect(() => parseManifest({ cnn: { file: 'cnn.onnx', weights: 'int4' } })).toThrow(/weights/);
  });
});
