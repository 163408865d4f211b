import type { Kernel } from '../tensor.ts';
import { Add } from './Add.ts';
import { Conv } from './Conv.ts';
import { DequantizeLinear } from './DequantizeLinear.ts';
import { Div } from './Div.ts';
import { Flatten } from './Flatten.ts';
import { Gemm } from './Gemm.ts';
import { GlobalAveragePool } from './GlobalAveragePool.ts';
import { MaxPool } from './MaxPool.ts';
import { Relu } from './Relu.ts';
import { Softmax } from './Softmax.ts';

/** The ops of the shipped classifiers (float32 and int8): enough to answer before onnxruntime-web has started. */
export const KERNELS: Readonly<Record<string, Kernel>> = {
  Add,
  Conv,
  DequantizeLinear,
  Div,
  Flatten,
  Gemm,
  GlobalAveragePool,
  MaxPool,
  Relu,
  Softmax,
};
