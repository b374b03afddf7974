/**
 * Removes Identity nodes, and Dropout nodes in inference mode whose mask
 * output nothing reads, by redirecting their readers to their input.
 *
 * When the removed node's output is a graph output, the graph output must
 * keep its name, so the producer of the input is made to write the graph
 * output value instead. That is only possible when the input comes from a
 * node and is not itself a graph output; otherwise (a graph input or
 * constant copied to an output, or two outputs with the same data) the copy
 * stays.
 *
 * Requires: the ir.ts invariants. Ensures: the same, with every value read
 * as before; returns the input graph unchanged when nothing was removed.
 */
import { rewriteGraph } from "../builder.js";
import type { Graph, Node, Value } from "../ir.js";
import { toNumberArray } from "../../support/tensor-data.js";

export function removeIdentity(graph: Graph): Graph {
  const removable = new Set(graph.nodes.filter((node) => isIdentityLike(node, graph)));
  if (removable.size === 0) return graph;
  const sources = new SourceFinder(graph, removable);
  const renames = outputRenames(graph, removable, sources);
  const removedIds = new Set<number>();
  for (const node of removable) {
    const output = node.outputs[0]!;
    const keepsName = !graph.outputs.includes(output) || renames.get(sources.sourceOf(output)) === output;
    if (keepsName) removedIds.add(node.id);
  }
  if (removedIds.size === 0) return graph;
  return rewriteGraph(graph, (node, context) => {
    if (removedIds.has(node.id)) {
      context.substitute(node.outputs[0]!, node.inputs[0]!);
      return [];
    }
    const renamed = node.outputs.map((value) => renames.get(value) ?? value);
    if (renamed.every((value, index) => value === node.outputs[index])) return undefined;
    node.outputs.forEach((value, index) => context.substitute(value, renamed[index]!));
    return [{ ...node, outputs: renamed }];
  });
}

/** An Identity, or an inference-mode Dropout whose mask output is not read. */
function isIdentityLike(node: Node, graph: Graph): boolean {
  if (node.domain !== "" || node.inputs[0] === null || node.inputs[0] === undefined) return false;
  if (node.opType === "Identity") return true;
  if (node.opType !== "Dropout") return false;
  const mask = node.outputs[1];
  if (mask !== undefined && isRead(mask, graph)) return false;
  const trainingMode = node.inputs[2] ?? null;
  if (trainingMode === null) return true;
  return trainingMode.constant !== undefined && toNumberArray(trainingMode.constant).every((flag) => flag === 0);
}

/** Follows a value back through removable copies that are not graph outputs. */
class SourceFinder {
  private readonly producers = new Map<Value, Node>();
  private readonly graphOutputs: ReadonlySet<Value>;
  constructor(
    graph: Graph,
    private readonly removable: ReadonlySet<Node>,
  ) {
    for (const node of graph.nodes) for (const output of node.outputs) this.producers.set(output, node);
    this.graphOutputs = new Set(graph.outputs);
  }
  producerOf(value: Value): Node | undefined {
    return this.producers.get(value);
  }
  isGraphOutput(value: Value): boolean {
    return this.graphOutputs.has(value);
  }
  /** The value a removable node's output will finally read, before any renaming. */
  sourceOf(output: Value): Value {
    let value = this.producers.get(output)!.inputs[0]!;
    for (;;) {
      const producer = this.producers.get(value);
      if (producer === undefined || !this.removable.has(producer) || this.graphOutputs.has(value)) return value;
      value = producer.inputs[0]!;
    }
  }
}

/**
 * Source value → graph output value, for removable nodes whose output is a
 * graph output and whose source's producer (a kept node) can write the
 * graph output directly. The first such graph output wins; others keep a copy.
 */
function outputRenames(graph: Graph, removable: ReadonlySet<Node>, sources: SourceFinder): Map<Value, Value> {
  const renames = new Map<Value, Value>();
  for (const node of removable) {
    const output = node.outputs[0]!;
    if (!sources.isGraphOutput(output)) continue;
    const source = sources.sourceOf(output);
    const producer = sources.producerOf(source);
    if (producer === undefined || removable.has(producer) || sources.isGraphOutput(source)) continue;
    if (!renames.has(source)) renames.set(source, output);
  }
  return renames;
}

function isRead(value: Value, graph: Graph): boolean {
  if (graph.outputs.includes(value)) return true;
  return graph.nodes.some((node) => node.inputs.includes(value));
}
