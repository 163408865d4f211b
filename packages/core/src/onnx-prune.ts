import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface PrunedGraph {
  /** The model with only the nodes, initializers and outputs that `outputs` need; its inputs all kept. */
  bytes: Uint8Array;
  /** Every output of the graph before pruning, in its order. */
  allOutputs: string[];
  /** Nodes before and after. */
  nodes: { before: number; after: number };
}

/**
 * An ONNX model reduced to what some of its outputs need. onnxruntime (node
 * and web) runs every node of a graph whatever outputs a run fetches, so a
 * caller that reads only some of them (the server's /classify?explain=1 and
 * the web demo read the heatmap, not the other maps of an explanation graph)
 * pays for the rest unless they are cut away before the session is made. Nodes whose outputs nothing kept reads are dropped, walking the
 * (topologically ordered) node list backwards; graph inputs stay as they are.
 * A graph with control flow (subgraphs may read outer names) is returned whole.
 */
export function pruneToOutputs(bytes: Uint8Array, outputs: readonly string[]): PrunedGraph {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph;
  if (!graph) throw new Error('the ONNX model has no graph');
  const allOutputs = (graph.output ?? []).map((o) => o.name ?? '');
  const missing = outputs.filter((o) => !allOutputs.includes(o));
  if (missing.length) throw new Error(`the graph has no output ${missing.join(', ')} (it has ${allOutputs.join(', ')})`);
  const nodes = graph.node ?? [];
  const whole = { bytes, allOutputs, nodes: { before: nodes.length, after: nodes.length } };
  if (nodes.some((n) => (n.attribute ?? []).some((a) => a.g || (a.graphs ?? []).length))) return whole;
  const needed = new Set<string>(outputs);
  const kept: typeof nodes = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    if (!(node.output ?? []).some((o) => needed.has(o))) continue;
    kept.push(node);
    for (const input of node.input ?? []) if (input) needed.add(input);
  }
  if (kept.length === nodes.length && outputs.length === allOutputs.length) return whole;
  graph.node = kept.reverse();
  graph.output = (graph.output ?? []).filter((o) => outputs.includes(o.name ?? ''));
  graph.initializer = (graph.initializer ?? []).filter((t) => needed.has(t.name ?? ''));
  graph.valueInfo = (graph.valueInfo ?? []).filter((v) => needed.has(v.name ?? ''));
  return { bytes: onnx.ModelProto.encode(model).finish(), allOutputs, nodes: { before: nodes.length, after: kept.length } };
}
