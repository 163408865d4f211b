import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, SHIPPED_MODELS } from '@fmnist/core/node';

/**
 * Figures that prove themselves: the figures docs/training.md,
 * docs/benchmarks.md, docs/parity.md and the README quote about the trained
 * models are recomputed from the artefacts they come from (each run's
 * metrics.json and history.json), so a retrained model or a stale edit
 * fails here until the doc is brought up to date.
 */
const root = repoRoot();
const text = (path: string) => readFileSync(join(root, path), 'utf8');
const json = <T>(path: string) => JSON.parse(text(path)) as T;

interface Metrics {
  accuracy: number;
  macro: { precision: number; recall: number; f1: number };
  bestEpoch: number;
  validationAccuracy: number;
  trainSeconds: number;
  trainImagesPerSecond: number;
  photos?: { validation: { acceptTop1: number } };
}
/** What the README reads of a photo cross-validation (scripts/photo-cv.ts). */
interface PhotoCv {
  startingModel: { path: string; acceptTop1: { folds: number[] } };
  fineTuned: { acceptTop1: { mean: number; std: number } };
}
interface History {
  epochs: { epoch: number; accuracy: number; valAccuracy: number; seconds: number; imagesPerSecond: number }[];
}

/** A run directory's metrics and history (repository-relative). */
function run(dir: string) {
  return { metrics: json<Metrics>(join(dir, 'metrics.json')), history: json<History>(join(dir, 'history.json')) };
}

const pct = (x: number, digits = 2) => (x * 100).toFixed(digits);
/** A cell without markdown emphasis, percent signs or thousands separators. */
const bare = (cell: string) =>
  cell
    .replace(/\*\*/g, '')
    .replace(/%/g, '')
    .replace(/(\d),(\d{3})/g, '$1$2')
    .trim();

/** The rows of the markdown table whose header row starts with `header`, as trimmed cells. */
function table(markdown: string, header: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, `a table headed "${header}"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  expect(rows.length, `rows under "${header}"`).toBeGreaterThan(0);
  return rows;
}

/** The one match of `pattern` in `markdown`: a quoted claim the test recomputes. */
function claim(markdown: string, pattern: RegExp): string[] {
  const m = markdown.match(pattern);
  expect(m, `the doc still says ${pattern}`).not.toBeNull();
  return m!.slice(1).map(bare);
}

describe('docs/training.md: the table of runs', () => {
  const rows = table(text('docs/training.md'), '| run | recipe | test acc |');

  it.each(rows.map((r) => [bare(r[0]!).split(' (')[0]!, r] as const))("%s: its figures are its artefact's", (_, row) => {
    const [, , testAcc, macro, best, trainAcc, artefact] = row;
    const link = artefact?.match(/\]\(([^)]+metrics\.json)\)/)?.[1];
    expect(link, 'every row names its metrics.json').toBeDefined();
    const { metrics, history } = run(dirname(join('docs', link!)));
    expect(bare(testAcc!)).toBe(pct(metrics.accuracy));
    expect(macro!.split('/').map(bare)).toEqual([pct(metrics.macro.precision), pct(metrics.macro.recall), pct(metrics.macro.f1)]);
    const [, epoch, of, val] = best!.match(/^(\d+|—)(?: of (\d+))? \(([\d.]+)%\)$/) ?? [];
    expect(val).toBe(pct(metrics.validationAccuracy));
    if (history.epochs.length === 0) {
      // A model soup (scripts/soup.ts) has no epochs: no best epoch, no training accuracy.
      expect([epoch, bare(trainAcc!), metrics.bestEpoch]).toEqual(['—', '—', 0]);
      return;
    }
    expect(Number(epoch)).toBe(metrics.bestEpoch);
    if (of) expect(Number(of)).toBe(history.epochs.length);
    expect(bare(trainAcc!)).toBe(pct(history.epochs.at(-1)!.accuracy));
  });
});

describe('docs/benchmarks.md: end-to-end training speed of the real runs', () => {
  const doc = text('docs/benchmarks.md');
  const range = (values: number[], digits = 0) => [Math.min(...values), Math.max(...values)].map((v) => v.toFixed(digits));

  it('the default-recipe CNN run: images/s per epoch, over the run, and minutes', () => {
    const { metrics, history } = run('models/cnn/default-recipe');
    const [low, high, overall, minutes] = claim(doc, /trained at ([\d,]+) to ([\d,]+)\s+images\/s per epoch, ([\d,]+) over the run: (\d+) minutes/);
    expect([low, high]).toEqual(range(history.epochs.map((e) => e.imagesPerSecond)));
    expect(overall).toBe(metrics.trainImagesPerSecond.toFixed(0));
    expect(minutes).toBe((metrics.trainSeconds / 60).toFixed(0));
  });

  it('epoch seconds of cnn-ft-c and of cnn-best-bn-flip', () => {
    const [shippedLow, shippedHigh, oldLow, oldHigh, oldMedian] = claim(
      doc,
      /took (\d+)-(\d+) s with 2 workers in the\s+run cnn-ft-c \(`models\/cnn\/base-run\/`, shipped until session 21\), against (\d+)-(\d+) s \((\d+) s at the median\)/,
    );
    expect([shippedLow, shippedHigh]).toEqual(range(run('models/cnn/base-run').history.epochs.map((e) => e.seconds)));
    const old = run('docs/runs/cnn-best-bn-flip')
      .history.epochs.map((e) => e.seconds)
      .sort((a, b) => a - b);
    expect([oldLow, oldHigh]).toEqual(range(old));
    expect(oldMedian).toBe(((old[(old.length - 1) >> 1]! + old[old.length >> 1]!) / 2).toFixed(0));
  });
});

describe('docs/parity.md and the figures quoted from it', () => {
  const parity = text('docs/parity.md');
  const rows = table(parity, '| model | ONNX | images |');

  it.each(SHIPPED_MODELS)("%s: tfjs and ONNX accuracy are the shipped model's test accuracy", (name) => {
    const accuracy = pct(run(join('models', name)).metrics.accuracy);
    const mine = rows.filter((r) => r[0] === name);
    expect(mine.length).toBeGreaterThan(0);
    for (const r of mine) expect([bare(r[6]!), bare(r[7]!)]).toEqual([accuracy, accuracy]);
    const int8 = table(parity, '| model | float32 size |').find((r) => r[0] === name);
    expect(bare(int8![3]!)).toBe(accuracy);
  });

  it("benchmarks.md's max |Δlogit| figures are the shipped files' rows", () => {
    const quoted = claim(
      text('docs/benchmarks.md'),
      /max \|Δlogit\| ([\d.e-]+) \(mlp\), ([\d.e-]+) \(cnn\), ([\d.e-]+) \(cnn-photo\), ([\d.e-]+) \(resnet\) and ([\d.e-]+) \(resnet-photo\)/,
    );
    const shipped = ['mlp', 'cnn', 'cnn-photo', 'resnet', 'resnet-photo'].map((name) =>
      Number(rows.find((r) => r[1] === `models/${name}.onnx`)![3]).toExponential(1),
    );
    expect(quoted).toEqual(shipped);
  });
});

describe("README.md: the shipped models' table", () => {
  const rows = table(text('README.md'), '| model | what | Fashion-MNIST test |');
  const rowOf = (name: string) => rows.find((r) => bare(r[0]!).split(' ')[0] === name);

  it.each(SHIPPED_MODELS)('%s: test accuracy from its metrics.json', (name) => {
    const row = rowOf(name);
    expect(row, `a README row for ${name}`).toBeDefined();
    expect(bare(row![2]!)).toBe(pct(run(join('models', name)).metrics.accuracy));
  });

  it('the photo figures: the photo-tuned models from their metrics.json, cnn from its CV and resnet from its own fold-0 figures', () => {
    const photo = (name: string) => bare(rowOf(name)![3]!);
    for (const tuned of ['resnet-photo', 'cnn-photo']) expect(photo(tuned), tuned).toBe(pct(run(`models/${tuned}`).metrics.photos!.validation.acceptTop1, 1));
    // cnn-photo's cross-validation started from the CNN shipped before the soup, whose weights stay in models/cnn/base-run.
    const cv = json<PhotoCv>('docs/photo-cv.json');
    expect(cv.startingModel.path).toBe('models/cnn/base-run');
    const cnn = json<{ model: string; fold: number; acceptTop1: number }>('models/cnn/photo-fold0.json');
    expect([cnn.model, cnn.fold]).toEqual(['models/cnn', 0]);
    expect(photo('cnn'), 'cnn').toBe(pct(cnn.acceptTop1, 1));
    // Measured beside the model (scripts/photo-fold-accuracy.ts); the ResNet's CV, run from the same weights, must agree.
    const resnet = json<{ model: string; fold: number; acceptTop1: number }>('models/resnet/photo-fold0.json');
    expect([resnet.model, resnet.fold]).toEqual(['models/resnet', 0]);
    expect(photo('resnet'), 'resnet').toBe(pct(resnet.acceptTop1, 1));
    const resnetCv = json<PhotoCv>('docs/photo-cv-resnet.json');
    expect(resnetCv.startingModel.path).toBe('models/resnet');
    expect(pct(resnetCv.startingModel.acceptTop1.folds[0]!, 1)).toBe(pct(resnet.acceptTop1, 1));
  });

  it("the cross-validation sentence: each model's mean ± std from its photo-cv JSON", () => {
    const readme = text('README.md');
    for (const file of ['docs/photo-cv.json', 'docs/photo-cv-resnet.json']) {
      const { mean, std } = json<PhotoCv>(file).fineTuned.acceptTop1;
      expect(readme, file).toContain(`**${pct(mean, 1)}% ± ${pct(std, 1)}**`);
    }
  });
});
