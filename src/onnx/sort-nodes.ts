/**
 * Topological ordering of an ONNX graph's nodes.
 *
 * ONNX requires `graph.node` to be sorted, but exporters and hand edits get it
 * wrong, so the importer sorts instead of trusting. The order is a stable
 * depth-first post-order: an already sorted graph comes back in its own order.
 * Names a subgraph (If/Loop body) reads from the enclosing graph count as
 * dependencies of the node that owns the subgraph.
 *
 * Errors: a name nobody produces, a name produced twice, or a cycle is
 * E_INVALID_MODEL naming the node.
 */
import { TesseraError } from "../support/errors.js";
import type { GraphProto, NodeProto } from "./onnx-records.js";

/** `available` holds the names defined before any node runs (graph inputs, initializers). */
export function sortNodes(nodes: readonly NodeProto[], available: ReadonlySet<string>): NodeProto[] {
  const producers = producerIndex(nodes, available);
  const dependencies = nodes.map((node) => dependencyIndices(node, producers, available));
  const state = new Uint8Array(nodes.length); // 0 unvisited, 1 on the stack, 2 emitted
  const order: NodeProto[] = [];
  for (let root = 0; root < nodes.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { node: number; next: number }[] = [{ node: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = dependencies[frame.node]!;
      if (frame.next < deps.length) {
        const dep = deps[frame.next++]!;
        if (state[dep] === 1) throw cycleError(nodes[dep]!);
        if (state[dep] === 0) {
          state[dep] = 1;
          stack.push({ node: dep, next: 0 });
        }
        continue;
      }
      state[frame.node] = 2;
      order.push(nodes[frame.node]!);
      stack.pop();
    }
  }
  return order;
}

function producerIndex(nodes: readonly NodeProto[], available: ReadonlySet<string>): Map<string, number> {
  const producers = new Map<string, number>();
  nodes.forEach((node, index) => {
    for (const output of node.output) {
      if (output === "") continue;
      if (producers.has(output) || available.has(output)) {
        throw new TesseraError("E_INVALID_MODEL", `value '${output}' is defined more than once`, where(node));
      }
      producers.set(output, index);
    }
  });
  return producers;
}

function dependencyIndices(
  node: NodeProto,
  producers: ReadonlyMap<string, number>,
  available: ReadonlySet<string>,
): number[] {
  const indices: number[] = [];
  const names = [...node.input.filter((name) => name !== ""), ...subgraphCaptures(node)];
  for (const name of names) {
    const producer = producers.get(name);
    if (producer !== undefined) {
      indices.push(producer);
    } else if (!available.has(name)) {
      throw new TesseraError(
        "E_INVALID_MODEL",
        `input '${name}' is not a graph input, an initializer or the output of any node`,
        where(node),
      );
    }
  }
  return indices;
}

/** Names that the node's subgraph attributes read from enclosing scopes. */
export function subgraphCaptures(node: NodeProto): string[] {
  const captures: string[] = [];
  for (const attribute of node.attribute) {
    const graphs = attribute.g === null ? attribute.graphs : [attribute.g, ...attribute.graphs];
    for (const graph of graphs) captures.push(...outerScopeNames(graph));
  }
  return captures;
}

/** The names a graph (and its nested subgraphs) uses without defining them. */
export function outerScopeNames(graph: GraphProto): string[] {
  const defined = new Set<string>([
    ...graph.input.map((info) => info.name),
    ...graph.initializer.map((tensor) => tensor.name),
  ]);
  for (const node of graph.node) for (const output of node.output) defined.add(output);
  const outer = new Set<string>();
  for (const node of graph.node) {
    for (const name of [...node.input, ...subgraphCaptures(node)]) {
      if (name !== "" && !defined.has(name)) outer.add(name);
    }
  }
  for (const output of graph.output) if (!defined.has(output.name)) outer.add(output.name);
  return [...outer];
}

function cycleError(node: NodeProto): TesseraError {
  return new TesseraError("E_INVALID_MODEL", "the graph has a cycle through this node", where(node));
}

function where(node: NodeProto): { nodeName: string; opType: string } {
  return {
    nodeName: node.name === "" ? `(unnamed, output '${node.output[0] ?? ""}')` : node.name,
    opType: node.opType,
  };
}
