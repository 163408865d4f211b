// onnx-proto: protobufjs code generated from onnx.proto, the schema export writes with.
import onnxProto from 'onnx-proto';
import { UnsupportedGraphError, type Attributes, type Tensor } from './tensor.ts';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

export interface OnnxNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attributes;
}

/** An ONNX model's graph, as the JavaScript kernels run it: nodes in file order (ONNX requires a topological one). */
export interface Graph {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly nodes: readonly OnnxNode[];
}

/** protobufjs gives int64 fields as numbers, or as Long objects where the `long` package is present (Node). */
type Int64 = number | { toNumber(): number };
const num = (v: Int64): number => (typeof v === 'number' ? v : v.toNumber());

export function readGraph(bytes: Uint8Array): Graph {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new UnsupportedGraphError(`not a readable ONNX model (${err instanceof Error ? err.message : String(err)})`);
  }
  const g = model.graph;
  if (!g) throw new UnsupportedGraphError('the model has no graph');
  const initializers = new Map((g.initializer ?? []).map((t) => [t.name ?? '', tensorOf(t)]));
  return {
    inputs: (g.input ?? []).map((i) => i.name ?? '').filter((n) => !initializers.has(n)),
    outputs: (g.output ?? []).map((o) => o.name ?? ''),
    initializers,
    nodes: (g.node ?? []).map((n) => ({
      op: n.opType ?? '',
      inputs: n.input ?? [],
      outputs: n.output ?? [],
      attrs: new Map((n.attribute ?? []).map((a) => [a.name ?? '', attributeOf(a)])),
    })),
  };
}

function attributeOf(a: onnxProto.onnx.IAttributeProto): number | readonly number[] | string {
  switch (a.type) {
    case AttributeType.FLOAT:
      return a.f ?? 0;
    case AttributeType.INT:
      return num((a.i ?? 0) as Int64);
    case AttributeType.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case AttributeType.FLOATS:
      return a.floats ?? [];
    case AttributeType.INTS:
      return (a.ints ?? []).map((v) => num(v as Int64));
    default:
      throw new UnsupportedGraphError(`attribute ${a.name} of type ${a.type}`);
  }
}

/** Any numeric initializer as float32 values: exact for the int8/uint8/int32 ones the graphs hold. */
function tensorOf(t: onnxProto.onnx.ITensorProto): Tensor {
  const dims = (t.dims ?? []).map((d) => num(d as Int64));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : undefined;
  const data = new Float32Array(count);
  const fill = (read: (view: DataView, i: number) => number, packed: ArrayLike<number | Int64> | null | undefined) => {
    for (let i = 0; i < count; i++) data[i] = raw ? read(raw, i) : num((packed?.[i] ?? 0) as Int64);
  };
  switch (t.dataType) {
    case DataType.FLOAT:
      fill((v, i) => v.getFloat32(i * 4, true), t.floatData);
      break;
    case DataType.INT8:
      fill((v, i) => v.getInt8(i), t.int32Data);
      break;
    case DataType.UINT8:
      fill((v, i) => v.getUint8(i), t.int32Data);
      break;
    case DataType.INT32:
      fill((v, i) => v.getInt32(i * 4, true), t.int32Data);
      break;
    case DataType.INT64:
      fill((v, i) => Number(v.getBigInt64(i * 8, true)), t.int64Data);
      break;
    default:
      throw new UnsupportedGraphError(`initializer ${t.name} of data type ${t.dataType}`);
  }
  return { dims, data };
}
