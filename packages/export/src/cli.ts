// pnpm --filter @fmnist/export run export -- --model mlp|cnn|<run dir> [--out DIR] [--triton REPO] [--int8] [--explain [--exact-first-layer wasm|cpu]]
import { TFJS_ARITHMETIC, type TfjsBackendArithmetic } from './convert/types.ts';
import { parseArgs } from 'node:util';
import { runExportCommand } from './export-command.ts';

const USAGE = `Usage: tsx packages/export/src/cli.ts --model mlp|cnn|<run dir> [--out DIR] [--triton REPO] [--int8] [--explain [--exact-first-layer wasm|cpu]]

  --model   mlp or cnn (the shipped runs under models/) or a run directory
            holding model.json + weights.bin (+ metrics.json)
  --out     folder for <name>.onnx (default: models/)
  --triton  also write a Triton model repository: REPO/<name>/config.pbtxt
            and REPO/<name>/1/model.onnx
  --int8    also write <name>.int8.onnx: kernels as int8 (per-channel scales,
            DequantizeLinear in the graph), ~4x smaller, for the browser
  --explain also write the explanation graph explain/<name>.onnx (Grad-CAM,
            saliency and the input gradient for a chosen class; input
            'class' int64 [N], -1 = top class) and, with --triton,
            REPO/<name>_explain
  --exact-first-layer wasm|cpu  with --explain: compute the graph's
            one-channel first convolution and its batch norm as that tfjs
            backend does, bit for bit (fewer maps differ from tfjs autodiff
            on it; slower, see docs/explain-parity.md)
  Repeat --model to export several models.`;

/** --exact-first-layer's backend, checked. */
function arithmeticFlag(value: string | undefined): TfjsBackendArithmetic | undefined {
  if (value === undefined) return undefined;
  if (!(TFJS_ARITHMETIC as readonly string[]).includes(value)) throw new Error(`--exact-first-layer ${value}: use ${TFJS_ARITHMETIC.join(' or ')}\n\n${USAGE}`);
  return value as TfjsBackendArithmetic;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    // pnpm forwards the `--` of `pnpm run export -- --model x` to the script; it is not an end-of-options marker here.
    args: process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--')),
    options: {
      model: { type: 'string', multiple: true },
      out: { type: 'string' },
      triton: { type: 'string' },
      int8: { type: 'boolean' },
      explain: { type: 'boolean' },
      'exact-first-layer': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.model?.length) throw new Error(`--model is required\n\n${USAGE}`);
  for (const model of values.model) {
    await runExportCommand({
      model,
      int8: values.int8 ?? false,
      explain: values.explain ?? false,
      exactFirstLayer: arithmeticFlag(values['exact-first-layer']),
      ...(values.out ? { out: values.out } : {}),
      ...(values.triton ? { triton: values.triton } : {}),
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
  process.exitCode = 1;
});
