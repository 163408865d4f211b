/** Fashion-MNIST class names, indexed by label (0..9), as published by Zalando Research. */
export const CLASS_NAMES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

export type ClassName = (typeof CLASS_NAMES)[number];
export const NUM_CLASSES = CLASS_NAMES.length;

export function className(index: number): ClassName {
  const name = CLASS_NAMES[index];
  if (name === undefined) throw new RangeError(`class index ${index} is outside 0..${NUM_CLASSES - 1}`);
  return name;
}
