/**
 * Removes nodes none of whose outputs is needed, directly or through other
 * nodes, by a graph output. Graph inputs stay even when unread: they are
 * part of the model's public interface.
 *
 * Requires: the ir.ts invariants (nodes in topological order).
 * Ensures: the same; every remaining node has an output that reaches a
 * graph output. Returns the input graph unchanged when nothing was dead.
 */
import type { Graph, Node, Value } from "../ir.js";

export function eliminateDeadNodes(graph: Graph): Graph {
  const live = new Set<Value>(graph.outputs);
  const kept: Node[] = [];
  for (let index = graph.nodes.length - 1; index >= 0; index--) {
    const node = graph.nodes[index]!;
    if (!node.outputs.some((output) => live.has(output))) continue;
    kept.push(node);
    for (const input of node.inputs) if (input !== null) live.add(input);
  }
  if (kept.length === graph.nodes.length) return graph;
  return { ...graph, nodes: kept.reverse() };
}
