import { IMAGE_HEIGHT, IMAGE_WIDTH } from '../contract.ts';
import { DatasetError } from '../errors.ts';
import { NUM_CLASSES } from '../labels.ts';
import { parseIdx } from './idx.ts';

export type SplitName = 'train' | 'test';

/** One split of Fashion-MNIST: `images` holds `count` 28x28 images of bytes, row-major. */
export interface Split {
  count: number;
  images: Uint8Array;
  labels: Uint8Array;
}

export interface DatasetFile {
  name: string;
  md5: string;
}

/** The four official files with their md5 sums (from the Fashion-MNIST release). */
export const DATASET_FILES = {
  train: {
    images: { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
    labels: { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe' },
  },
  test: {
    images: { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79' },
    labels: { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
  },
} as const satisfies Record<SplitName, { images: DatasetFile; labels: DatasetFile }>;

/** Validates a decoded image/label IDX pair and returns it as a split. */
export function splitFromIdx(imageBytes: Uint8Array, labelBytes: Uint8Array, imageFile: string, labelFile: string): Split {
  const images = parseIdx(imageBytes, imageFile, 3);
  const labels = parseIdx(labelBytes, labelFile, 1);
  const [n, h, w] = images.dims as [number, number, number];
  if (h !== IMAGE_HEIGHT || w !== IMAGE_WIDTH) {
    throw new DatasetError('bad-dims', imageFile, `images are ${h}x${w}, Fashion-MNIST images are ${IMAGE_HEIGHT}x${IMAGE_WIDTH}`);
  }
  if (labels.dims[0] !== n) {
    throw new DatasetError('mismatch', labelFile, `${labels.dims[0]} labels for ${n} images in ${imageFile}`);
  }
  const bad = labels.data.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) throw new DatasetError('bad-label', labelFile, `label ${labels.data[bad]} at index ${bad} is outside 0..${NUM_CLASSES - 1}`);
  return { count: n, images: images.data, labels: labels.data };
}
