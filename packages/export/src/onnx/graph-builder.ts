import { quantizePerChannel } from './quantize.ts';
import { AttributeType, DataType, onnx, type IAttribute, type INode, type ITensor, type IValueInfo } from './proto.ts';

/** ONNX IR version written (IR 8 is what onnx-proto's schema describes; onnxruntime reads it). */
export const IR_VERSION = 8;
/** Default-domain opset: 13 gives Softmax its single-axis semantics and optional Gemm bias. */
export const OPSET_VERSION = 13;

export type AttrValue = number | number[] | string;

/** ONNX types INT and FLOAT attributes apart, and a JS number cannot say which: floats are wrapped. */
export interface FloatAttr {
  float: number;
}

export interface TensorInfo {
  name: string;
  /** Dimensions; a string is a symbolic (dynamic) dimension such as 'N'. */
  dims: (number | string)[];
  /** Element type; float32 unless said otherwise. */
  elemType?: 'float32' | 'int64';
}

export interface ModelOptions {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  graphName: string;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata: Record<string, string>;
  /** Default-domain opset; OPSET_VERSION unless a graph needs a newer op (the explanation graph does). */
  opset?: number;
}

/**
 * Collects nodes and initializers and serialises them through the protobufjs
 * ONNX schema. Names are made unique here so converters can derive them from
 * layer names without coordinating, and each initializer is stored once.
 */
export interface GraphBuilderOptions {
  /** Store Dense/Conv kernels as int8 + per-channel scale behind DequantizeLinear (weight-only QDQ). */
  int8Weights?: boolean;
}

export class GraphBuilder {
  constructor(private readonly options: GraphBuilderOptions = {}) {}

  private readonly nodes: INode[] = [];
  private readonly initializers = new Map<string, ITensor>();
  private readonly usedNames = new Set<string>();

  /** Reserves a tensor or node name, suffixing a counter on collision. */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  /** Adds a float32 initializer and returns its (unique) name. */
  addInitializer(baseName: string, data: Float32Array, dims: number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new RangeError(`initializer ${baseName}: ${data.length} values for dims [${dims}]`);
    const name = this.uniqueName(baseName);
    this.initializers.set(name, { name, dataType: DataType.FLOAT, dims, rawData: float32LittleEndian(data) });
    return name;
  }

  /** Adds a float64 initializer (arithmetic that must round as a float64 computation does) and returns its name. */
  addDoubleInitializer(baseName: string, data: Float64Array, dims: number[]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== data.length) throw new RangeError(`initializer ${baseName}: ${data.length} values for dims [${dims}]`);
    return this.addEightByteInitializer(baseName, DataType.DOUBLE, dims, data.length, (view, i) => view.setFloat64(i * 8, data[i]!, true));
  }

  /** Adds an int64 initializer (shapes, axes, class indices) and returns its name. */
  addInt64Initializer(baseName: string, values: readonly number[], dims: number[] = [values.length]): string {
    const expected = dims.reduce((a, b) => a * b, 1);
    if (expected !== values.length) throw new RangeError(`initializer ${baseName}: ${values.length} values for dims [${dims}]`);
    return this.addEightByteInitializer(baseName, DataType.INT64, dims, values.length, (view, i) => view.setBigInt64(i * 8, BigInt(values[i]!), true));
  }

  /** Stores `count` little-endian 8-byte values, each written by `put`, as one initializer. */
  private addEightByteInitializer(
    baseName: string,
    dataType: (typeof DataType)[keyof typeof DataType],
    dims: number[],
    count: number,
    put: (view: DataView, i: number) => void,
  ): string {
    const name = this.uniqueName(baseName);
    const bytes = new Uint8Array(count * 8);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < count; i++) put(view, i);
    this.initializers.set(name, { name, dataType, dims, rawData: bytes });
    return name;
  }

  /**
   * Adds a layer kernel and returns the name of a float tensor holding it:
   * the initializer itself, or with int8 weights the output of a
   * DequantizeLinear over int8 values (per `channelAxis` scales), which
   * keeps the file ~4x smaller while the math stays float.
   */
  addWeight(baseName: string, data: Float32Array, dims: number[], channelAxis: number): string {
    if (!this.options.int8Weights) return this.addInitializer(baseName, data, dims);
    const { values, scales } = quantizePerChannel(data, dims, channelAxis);
    const q = this.uniqueName(`${baseName}_int8`);
    this.initializers.set(q, { name: q, dataType: DataType.INT8, dims, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    const scale = this.addInitializer(`${baseName}_scale`, scales, [scales.length]);
    const zeroPoint = this.uniqueName(`${baseName}_zero_point`);
    this.initializers.set(zeroPoint, { name: zeroPoint, dataType: DataType.INT8, dims: [scales.length], rawData: new Uint8Array(scales.length) });
    const out = this.uniqueName(baseName);
    this.addNode('DequantizeLinear', [q, scale, zeroPoint], [out], { axis: channelAxis }, `${baseName}/DequantizeLinear`);
    return out;
  }

  /** Adds a node; returns its output names. */
  addNode(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttrValue | FloatAttr> = {}, nodeName?: string): string[] {
    this.nodes.push({
      opType,
      name: this.uniqueName(nodeName ?? opType),
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /**
   * Renames a tensor produced by a node (used to give the last node the
   * graph output's name directly, so no Identity node is needed).
   */
  renameTensor(from: string, to: string): void {
    if (this.initializers.has(from)) throw new Error(`cannot rename initializer ${from}`);
    for (const node of this.nodes) {
      node.input = node.input?.map((n) => (n === from ? to : n)) ?? null;
      node.output = node.output?.map((n) => (n === from ? to : n)) ?? null;
    }
    this.usedNames.add(to);
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  build(options: ModelOptions): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: options.opset ?? OPSET_VERSION }],
      producerName: options.producerName,
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: [...this.initializers.values()],
        input: options.inputs.map(valueInfo),
        output: options.outputs.map(valueInfo),
      },
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: AttrValue | FloatAttr): IAttribute {
  if (typeof value === 'string') return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`attribute ${name}=${value}: wrap non-integer values as { float }`);
    return { name, type: AttributeType.INT, i: value };
  }
  return { name, type: AttributeType.FLOAT, f: value.float };
}

function valueInfo({ name, dims, elemType = 'float32' }: TensorInfo): IValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType === 'int64' ? DataType.INT64 : DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

/** ONNX raw_data is little-endian regardless of the host; write it explicitly. */
function float32LittleEndian(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return bytes;
}
