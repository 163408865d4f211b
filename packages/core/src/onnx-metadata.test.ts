import { describe, expect, it } from 'vitest';
import { CLASS_NAMES } from './labels.ts';
import { METADATA_KEYS, MetadataError, parseCalibration, parseClassNames, parseExplanationInfo, sourceSha256 } from './onnx-metadata.ts';

/** The error a parse throws, so its fields can be checked. */
function thrown(run: () => unknown): MetadataError {
  try {
    run();
  } catch (err) {
    if (err instanceof MetadataError) return err;
    throw err;
  }
  throw new Error('expected a MetadataError');
}

describe('parseClassNames', () => {
  it('reads the exporter JSON array and is undefined when the key is absent', () => {
    expect(parseClassNames({ [METADATA_KEYS.classNames]: JSON.stringify(CLASS_NAMES) })).toEqual([...CLASS_NAMES]);
    expect(parseClassNames({})).toBeUndefined();
  });
  it('rejects anything else with a MetadataError naming the key and the file', () => {
    const err = thrown(() => parseClassNames({ class_names: 'a,b,c' }, 'models/x.onnx'));
    expect(err.key).toBe('class_names');
    expect(err.message).toMatch(/^models\/x\.onnx: metadata 'class_names' is not a JSON array/);
    expect(() => parseClassNames({ class_names: '["a","b"]' })).toThrow(/array of 10 strings/);
    expect(() => parseClassNames({ class_names: JSON.stringify([...CLASS_NAMES.slice(0, 9), 7]) })).toThrow(MetadataError);
  });
});

describe('parseCalibration', () => {
  it('reads temperature and uncertain_threshold', () => {
    expect(parseCalibration({ calibration: JSON.stringify({ temperature: 1.4, uncertain_threshold: 0.55, ece_after: 0.02 }) })).toEqual({
      temperature: 1.4,
      uncertainThreshold: 0.55,
    });
    expect(parseCalibration({ source_sha256: 'abc' })).toBeUndefined();
  });
  it('rejects malformed JSON, missing or out-of-range numbers', () => {
    expect(thrown(() => parseCalibration({ calibration: '{temperature: 1' })).message).toMatch(/'calibration' is not JSON/);
    expect(() => parseCalibration({ calibration: '[1, 0.5]' })).toThrow(/not a JSON object/);
    expect(() => parseCalibration({ calibration: JSON.stringify({ temperature: '1.4', uncertain_threshold: 0.5 }) })).toThrow(/positive 'temperature'/);
    expect(() => parseCalibration({ calibration: JSON.stringify({ temperature: 0, uncertain_threshold: 0.5 }) })).toThrow(/positive 'temperature'/);
    expect(() => parseCalibration({ calibration: JSON.stringify({ temperature: 1.2 }) })).toThrow(/'uncertain_threshold' in \[0, 1\]/);
    expect(() => parseCalibration({ calibration: JSON.stringify({ temperature: 1.2, uncertain_threshold: 1.5 }) })).toThrow(MetadataError);
  });
});

describe('parseExplanationInfo', () => {
  const explanation = (value: object) => ({ explanation: JSON.stringify(value), source_sha256: 'f00d' });
  it('reads the default map, the maps, saliency form, target and source hash', () => {
    expect(
      parseExplanationInfo(explanation({ heatmap: 'saliency', maps: ['gradcam', 'saliency'], saliency: 'positive-gradient-x-input', target: 'logit' })),
    ).toEqual({
      heatmap: 'saliency',
      maps: ['gradcam', 'saliency'],
      saliency: 'positive-gradient-x-input',
      target: 'logit',
      sourceSha256: 'f00d',
    });
    expect(parseExplanationInfo(explanation({ heatmap: 'gradcam' }))?.maps).toEqual(['gradcam']);
    expect(parseExplanationInfo({ source_sha256: 'f00d' })).toBeUndefined();
  });
  it('rejects an unknown heatmap or map kind rather than guessing', () => {
    expect(thrown(() => parseExplanationInfo(explanation({ heatmap: 'lime' }))).key).toBe('explanation');
    expect(() => parseExplanationInfo(explanation({ heatmap: 'saliency', maps: ['saliency', 'shap'] }))).toThrow(/'maps' must list map kinds/);
    expect(() => parseExplanationInfo({ explanation: 'saliency' })).toThrow(/'explanation' is not JSON/);
  });
});

describe('sourceSha256', () => {
  it('is the exporter hash, or undefined when absent or empty', () => {
    expect(sourceSha256({ source_sha256: 'ab12' })).toBe('ab12');
    expect(sourceSha256({ source_sha256: '' })).toBeUndefined();
    expect(sourceSha256({})).toBeUndefined();
  });
});
