import { parseArgs } from 'node:util';

export const TRAIN_USAGE = `pnpm train --model mlp|cnn|resnet [options]      pnpm train --resume RUN_DIR
  --epochs N            (25; resnet 30)   --batch-size N   (128)
  --lr X                (0.001; resnet 0.1)
  --lr-schedule constant|cosine|onecycle (constant; resnet onecycle)
  --optimizer adam|sgd  (adam; resnet sgd, Nesterov momentum)
  --momentum X          SGD momentum (0.9)
  --weight-decay X      L2 on kernels (0; resnet 5e-4)
  --depth N / --width N ResNet depth 6n+2 (20) and first-stage channels (16)
  --seed N              (42) seeds the validation split, the weights and the streams below
  --shuffle-seed N      seeds batch order, augmentation and dropout only (default: --seed)
  --augment             rotation ±15°, flip p=0.5, shift ±2 px
  --no-augment          none (the default)
  --rotation DEG / --flip P / --shift PX / --erase P   override one setting
                        (--shift PX is a random crop of the image zero-padded by PX;
                         --erase P random erasing; resnet default: flip 0.5, shift 2, erase 0.5)
  --pixel-drop F        input dropout: each image sets a share drawn from [0, F] of its pixels to 0 (0)
  --pixel-drop-p P      share of images that get it (1)
  --resume RUN_DIR      continue an interrupted run from its last checkpoint (written after
                        every epoch) with its own recipe; only --backend, --workers,
                        --data-dir and --test-limit may be given beside it (the run's
                        own --test-limit holds unless another is given)
  --batch-norm          (off)         --dropout X          (0.3)
  --conv-dropout X      (cnn 0.3)     --validation N       (5000)
  --padding valid|same  convolution padding (cnn: same)
  --limit N             train on N images only (quick runs)
  --epoch-images N      Fashion-MNIST images per epoch, drawn afresh each epoch (all)
  --init-from DIR       start from the weights of a run directory (fine-tuning; same layers)
  --distill-from DIR    also learn the logits of the model in DIR (distillation; any architecture):
                        Fashion-MNIST images score (1-A)·loss + A·T²·KL(teacher/T ‖ model/T), photos their plain loss
  --distill-weight A    the teacher's share A, 0 to 1 (0.5)
  --distill-temperature T  softening of both distributions, above 0 (2)
  --label-smoothing X   smooth the cross-entropy targets (0)
  --test-limit N        evaluate on the first N test images only
  --out DIR             run directory (runs/<model>-<time>)
  --backend auto|tensorflow-gpu|tensorflow|wasm|cpu (auto)
  --workers N|auto      gradient worker threads (auto: one per core for the CNN on wasm/cpu, else 1)
  --data-dir DIR        Fashion-MNIST folder (else FMNIST_DIR, else data/fashion-mnist)
Real photos (transfer learning):
  --photos DIR          mix the labelled photos of DIR (labels.json) into training
  --with-photos         the same, from PHOTOS_DIR, else ../shared/clothing-photos
  --photo-ratio X       share of every batch that is photos (0.25)
  --partial-loss sum|max  scoring of accept sets: -log of their summed probability, or of the top accepted class's (sum)
  --photo-balance none|sqrt  draw every photo equally often, or by 1/sqrt(photos of its class) (none)
  --photo-folds K       photographer-grouped folds (5); --photo-fold F validates (0)
  --photo-split-seed N  seeds the fold deal (42)
  --no-photo-augment    photos as preprocessed (default: jittered crops, light, flips, rotation, shifts)
  --photo-cache DIR     preprocessed-photo cache (else PHOTO_CACHE_DIR, else .cache/photos)`;

export function fail(message: string): never {
  console.error(`${message}\n\n${TRAIN_USAGE}`);
  process.exit(2);
}

export function numberFlag(value: string | undefined, name: string, fallback: number, integer = true): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n)))
    fail(`--${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${value}"`);
  return n;
}

const PARSE_CONFIG = {
  allowNegative: true,
  options: {
    model: { type: 'string' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    'lr-schedule': { type: 'string' },
    seed: { type: 'string' },
    augment: { type: 'boolean' },
    'batch-norm': { type: 'boolean' },
    dropout: { type: 'string' },
    'conv-dropout': { type: 'string' },
    validation: { type: 'string' },
    limit: { type: 'string' },
    'test-limit': { type: 'string' },
    out: { type: 'string' },
    backend: { type: 'string' },
    'data-dir': { type: 'string' },
    photos: { type: 'string' },
    'partial-loss': { type: 'string' },
    'epoch-images': { type: 'string' },
    'with-photos': { type: 'boolean' },
    'photo-ratio': { type: 'string' },
    'photo-folds': { type: 'string' },
    'photo-fold': { type: 'string' },
    'photo-split-seed': { type: 'string' },
    'photo-balance': { type: 'string' },
    'photo-augment': { type: 'boolean' },
    'photo-cache': { type: 'string' },
    workers: { type: 'string' },
    'init-from': { type: 'string' },
    'distill-from': { type: 'string' },
    'distill-weight': { type: 'string' },
    'distill-temperature': { type: 'string' },
    'label-smoothing': { type: 'string' },
    'shuffle-seed': { type: 'string' },
    padding: { type: 'string' },
    rotation: { type: 'string' },
    flip: { type: 'string' },
    shift: { type: 'string' },
    optimizer: { type: 'string' },
    momentum: { type: 'string' },
    'weight-decay': { type: 'string' },
    depth: { type: 'string' },
    width: { type: 'string' },
    erase: { type: 'string' },
    'pixel-drop': { type: 'string' },
    'pixel-drop-p': { type: 'string' },
    resume: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
} as const;

export type CliFlags = ReturnType<typeof parseArgs<typeof PARSE_CONFIG>>['values'];

/** The command line's flags; prints the usage and exits on --help or an unknown flag. */
export function parseCliFlags(): CliFlags {
  let parsed: ReturnType<typeof parseArgs<typeof PARSE_CONFIG>>;
  try {
    parsed = parseArgs(PARSE_CONFIG);
  } catch (err) {
    fail((err as Error).message);
  }
  const v = parsed.values;
  if (v.help) {
    console.log(TRAIN_USAGE);
    process.exit(0);
  }
  return v;
}
