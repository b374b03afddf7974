/**
 * Checks the invariants documented in ir.ts. A failure is a compiler bug
 * (a pass broke the graph), reported as an InternalError through `assert`;
 * tests run it after every pass.
 */
import type { Graph, Node, Value } from "./ir.js";
import { isStaticShape } from "./ir.js";
import { assert } from "../support/assert.js";
import { sizeOf } from "../support/tensor-data.js";

export interface VerifyGraphOptions {
  /** Also require a dtype and a static shape on every value (after shape inference). */
  readonly requireShapes?: boolean;
}

/** Throws InternalError when `graph` breaks an invariant; returns the graph otherwise. */
export function verifyGraph(graph: Graph, options: VerifyGraphOptions = {}): Graph {
  const defined = new Set<Value>();
  const ids = new IdRegistry();
  const check = (value: Value): void => {
    ids.add(value);
    if (value.constant !== undefined) checkConstant(value);
    if (options.requireShapes === true) {
      assert(isStaticShape(value.shape), `value %${value.id} ${value.name} has no static shape`);
    }
  };
  for (const input of graph.inputs) {
    assert(input.constant === undefined, `graph input ${input.name} is a constant`);
    assert(!defined.has(input), `graph input ${input.name} is listed twice`);
    defined.add(input);
    check(input);
  }
  const nodeIds = new Set<number>();
  for (const node of graph.nodes) {
    assert(!nodeIds.has(node.id), `node id ${node.id} (${node.name}) is used twice`);
    nodeIds.add(node.id);
    checkNode(node, defined, check);
  }
  for (const output of graph.outputs) {
    const produced = output.constant !== undefined || defined.has(output);
    assert(produced, `graph output %${output.id} ${output.name} is never produced`);
    check(output);
  }
  return graph;
}

/** Inputs defined before the node, outputs defined by it alone; adds its outputs to `defined`. */
function checkNode(node: Node, defined: Set<Value>, check: (value: Value) => void): void {
  for (const input of node.inputs) {
    if (input === null) continue;
    const available = input.constant !== undefined || defined.has(input);
    assert(available, `node ${node.name} reads %${input.id} ${input.name} before it is defined`);
    check(input);
  }
  for (const output of node.outputs) {
    assert(output.constant === undefined, `node ${node.name} produces constant %${output.id} ${output.name}`);
    assert(!defined.has(output), `%${output.id} ${output.name} has a second producer, node ${node.name}`);
    defined.add(output);
    check(output);
  }
}

function checkConstant(value: Value): void {
  const data = value.constant!;
  assert(data.dtype === value.dtype, `constant ${value.name}: dtype ${value.dtype} vs data ${data.dtype}`);
  assert(data.data.length === sizeOf(data.shape), `constant ${value.name}: data length does not match its shape`);
  const sameShape =
    value.shape !== null &&
    value.shape.length === data.shape.length &&
    value.shape.every((dim, index) => dim === data.shape[index]);
  assert(sameShape, `constant ${value.name}: shape does not match its data`);
}

/** Value ids must be unique: printers and memory plans key on them. */
class IdRegistry {
  private readonly byId = new Map<number, Value>();
  add(value: Value): void {
    const existing = this.byId.get(value.id);
    assert(
      existing === undefined || existing === value,
      `value id ${value.id} names both ${existing?.name} and ${value.name}`,
    );
    this.byId.set(value.id, value);
  }
}
