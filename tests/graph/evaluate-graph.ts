/**
 * A reference evaluator for graph tests: runs a graph, or a fused graph
 * group by group, through the op definitions and the TE interpreter. A
 * fused group is built as one chained TE (values inside the group are the
 * producers' computes, as for code generation), so evaluating the fused
 * graph also checks that groups are ordered and closed: a group that reads
 * a value no earlier group wrote fails here.
 */
import assert from "node:assert/strict";
import { Attributes } from "../../src/graph/attributes.js";
import type { FusedGraph } from "../../src/graph/fused.js";
import type { Graph, Node, Value } from "../../src/graph/ir.js";
import { opDefinitionOf } from "../../src/graph/fold-node.js";
import type { TensorData } from "../../src/support/tensor-data.js";
import { evaluateTe } from "../../src/te/evaluate.js";
import { type TeTensor, placeholder } from "../../src/te/tensor.js";

export type Feeds = ReadonlyMap<string, TensorData>;

/** The graph's outputs, by name, evaluated node by node. */
export function evaluateGraph(graph: Graph, feeds: Feeds): Map<string, TensorData> {
  const groups = graph.nodes.map((node) => ({ nodes: [node], outputs: node.outputs }));
  return evaluateGroups(graph, groups, feeds);
}

/** The fused graph's outputs, by name, evaluated one group (one TE) at a time. */
export function evaluateFusedGraph(fused: FusedGraph, feeds: Feeds): Map<string, TensorData> {
  return evaluateGroups(fused.graph, fused.groups, feeds);
}

interface GroupLike {
  readonly nodes: readonly Node[];
  readonly outputs: readonly Value[];
}

function evaluateGroups(graph: Graph, groups: readonly GroupLike[], feeds: Feeds): Map<string, TensorData> {
  const known = new Map<Value, TensorData>();
  for (const input of graph.inputs) {
    const feed = feeds.get(input.name);
    assert.ok(feed !== undefined, `no feed for ${input.name}`);
    known.set(input, feed);
  }
  for (const group of groups) {
    const results = evaluateGroup(group, known);
    group.outputs.forEach((value, index) => known.set(value, results[index]!));
  }
  return new Map(
    graph.outputs.map((value) => {
      const data = value.constant ?? known.get(value);
      assert.ok(data !== undefined, `graph output ${value.name} was never computed`);
      return [value.name, data];
    }),
  );
}

function evaluateGroup(group: GroupLike, known: ReadonlyMap<Value, TensorData>): TensorData[] {
  const inside = new Map<Value, TeTensor>();
  const bound = new Map<TeTensor, TensorData>();
  const tensorOf = (value: Value): TeTensor => {
    const computed = inside.get(value);
    if (computed !== undefined) return computed;
    const data = value.constant ?? known.get(value);
    assert.ok(data !== undefined, `${value.name} is read before any group computed it`);
    const tensor = placeholder(value.name, data.dtype, data.shape);
    bound.set(tensor, data);
    inside.set(value, tensor);
    return tensor;
  };
  for (const node of group.nodes) {
    const inputs = node.inputs.map((value) =>
      value === null ? null : { tensor: tensorOf(value), constant: value.constant ?? null },
    );
    const context = { node, attributes: new Attributes(node), inputs, outputNames: node.outputs.map((v) => v.name) };
    const built = opDefinitionOf(node).build(context);
    node.outputs.forEach((value, index) => inside.set(value, built[index]!));
  }
  return evaluateTe(
    group.outputs.map((value) => inside.get(value)!),
    bound,
  );
}

/** Largest |actual − expected| over two float tensors of the same size. */
export function maxDifference(actual: TensorData, expected: TensorData): number {
  assert.equal(actual.data.length, expected.data.length);
  let largest = 0;
  for (let index = 0; index < actual.data.length; index++) {
    largest = Math.max(largest, Math.abs(Number(actual.data[index]) - Number(expected.data[index])));
  }
  return largest;
}
