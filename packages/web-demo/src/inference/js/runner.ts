import type { SessionRunner, TensorValue } from '@fmnist/core';
import { KERNELS } from './kernels/registry.ts';
import { readGraph, type OnnxNode } from './onnx-graph.ts';
import { UnsupportedGraphError, type Tensor } from './tensor.ts';

/**
 * A classifier run by the JavaScript kernels, behind the same runner
 * interface as onnxruntime: what the demo answers with while onnxruntime-web
 * fetches and compiles its 14 MB wasm, so that a first visitor's first
 * image is not kept waiting for the runtime. Throws UnsupportedGraphError
 * for a graph with an op it has no kernel for (the explanation graphs), and
 * the caller waits for onnxruntime instead. Nodes that depend only on
 * initializers (the int8 weights' DequantizeLinear) run once, here.
 */
export function openJsRunner(bytes: Uint8Array): SessionRunner {
  const graph = readGraph(bytes);
  const missing = [...new Set(graph.nodes.map((n) => n.op).filter((op) => !(op in KERNELS)))];
  if (missing.length > 0) throw new UnsupportedGraphError(`no JavaScript kernel for ${missing.join(', ')}`);
  const constants = new Map(graph.initializers);
  const nodes: OnnxNode[] = [];
  for (const node of graph.nodes) {
    if (node.inputs.every((i) => i === '' || constants.has(i))) constants.set(node.outputs[0]!, execute(node, constants));
    else nodes.push(node);
  }
  return {
    inputNames: graph.inputs,
    outputNames: graph.outputs,
    async run(feeds, outputs) {
      const wanted = outputs ?? graph.outputs;
      const values = new Map(constants);
      for (const [name, t] of Object.entries(feeds)) {
        if (t.type !== 'float32') throw new UnsupportedGraphError(`input '${name}' is ${t.type}; the JavaScript kernels take float32`);
        values.set(name, { dims: t.dims, data: t.data });
      }
      for (const node of needed(nodes, wanted)) values.set(node.outputs[0]!, execute(node, values));
      const result: Record<string, TensorValue> = {};
      for (const name of wanted) {
        const t = values.get(name);
        if (!t) throw new Error(`the graph has no output '${name}'`);
        result[name] = { type: 'float32', data: t.data, dims: t.dims };
      }
      return result;
    },
    release: async () => {},
  };
}

function execute(node: OnnxNode, values: ReadonlyMap<string, Tensor>): Tensor {
  if (node.outputs.length !== 1) throw new UnsupportedGraphError(`${node.op} with ${node.outputs.length} outputs`);
  const inputs = node.inputs.map((name) => {
    if (name === '') return undefined;
    const t = values.get(name);
    if (!t) throw new Error(`${node.op}: input '${name}' was not computed (a feed is missing?)`);
    return t;
  });
  return KERNELS[node.op]!(inputs, node.attrs);
}

/** The nodes the wanted outputs depend on, in graph order (onnxruntime also skips the rest). */
function needed(nodes: readonly OnnxNode[], wanted: readonly string[]): OnnxNode[] {
  const want = new Set(wanted);
  const keep: OnnxNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!node.outputs.some((o) => want.has(o))) continue;
    keep.push(node);
    for (const inp of node.inputs) want.add(inp);
  }
  return keep.reverse();
}
export { UnsupportedGraphError } from './tensor.ts';
