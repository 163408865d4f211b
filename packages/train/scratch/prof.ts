import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { getKernel, registerKernel, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';

await tf.setBackend('wasm'); await tf.ready();
console.log('backend', tf.getBackend());
const cfg: KernelConfig = {
  kernelName: 'Conv2DBackpropFilter', backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const { filterShape } = attrs as unknown as { filterShape: number[] };
    const [kh, kw, ci, co] = filterShape as [number, number, number, number];
    const [n, oh, ow] = dy.shape as [number, number, number, number];
    const slice = getKernel('Slice', 'wasm')!.kernelFunc;
    const concat = getKernel('Concat', 'wasm')!.kernelFunc;
    const reshape = getKernel('Reshape', 'wasm')!.kernelFunc;
    const bmm = getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    const parts: TensorInfo[] = [];
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++)
      parts.push(slice({ inputs: { x }, backend, attrs: { begin: [0, i, j, 0], size: [n, oh, ow, ci] } }) as TensorInfo);
    const cat = concat({ inputs: parts, backend, attrs: { axis: 3 } }) as TensorInfo;
    const a = reshape({ inputs: { x: cat }, backend, attrs: { shape: [1, n * oh * ow, kh * kw * ci] } }) as TensorInfo;
    const b = reshape({ inputs: { x: dy }, backend, attrs: { shape: [1, n * oh * ow, co] } }) as TensorInfo;
    const out = bmm({ inputs: { a, b }, backend, attrs: { transposeA: true, transposeB: false } }) as TensorInfo;
    const res = reshape({ inputs: { x: out }, backend, attrs: { shape: [kh, kw, ci, co] } }) as TensorInfo;
    const bk = backend as unknown as { disposeData(d: object): void };
    for (const p of parts) bk.disposeData(p.dataId); bk.disposeData(cat.dataId); bk.disposeData(a.dataId); bk.disposeData(b.dataId); bk.disposeData(out.dataId);
    return res;
  },
};
registerKernel(cfg);

const m = tfl.sequential();
m.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'relu' }));
m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
m.add(tfl.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
m.add(tfl.layers.flatten());
m.add(tfl.layers.dense({ units: 128, activation: 'relu' }));
m.add(tfl.layers.dropout({ rate: 0.3 }));
m.add(tfl.layers.dense({ units: 10 }));
const opt = tf.train.adam(0.001);
const B = 128;
const x = tf.randomUniform([B, 28, 28, 1]);
const y = tf.oneHot(tf.randomUniform([B], 0, 10, 'int32'), 10);
const step = () => tf.tidy(() => { opt.minimize(() => tf.losses.softmaxCrossEntropy(y, m.apply(x, { training: true }) as tf.Tensor) as tf.Scalar); });
for (let i = 0; i < 3; i++) step();
const t0 = performance.now(); const N = 10;
for (let i = 0; i < N; i++) step();
const dt = (performance.now() - t0) / N;
console.log('ms/step', dt.toFixed(1), 'img/s', (B / dt * 1000).toFixed(0));
const prof = await tf.profile(() => { step(); });
const agg = new Map<string, number>();
for (const k of prof.kernels) agg.set(k.name, (agg.get(k.name) ?? 0) + (k.kernelTimeMs as number));
console.log([...agg].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
