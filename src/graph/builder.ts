/**
 * Construction of graph IR records. All values and nodes of one compilation
 * come from one IdSource so ids stay unique across passes.
 */
import type { DType } from "../support/dtype.js";
import type { TensorData } from "../support/tensor-data.js";
import type { AttributeValue, Graph, Node, Shape, Value } from "./ir.js";

export class IdSource {
  private next = 0;
  take(): number {
    return this.next++;
  }
}

/** The id source shared by a compilation; tests may create their own. */
export const defaultIds = new IdSource();

export function makeValue(
  name: string,
  dtype: DType,
  shape: Shape | null,
  constant?: TensorData,
  ids: IdSource = defaultIds,
): Value {
  const value: Value = { id: ids.take(), name, dtype, shape: shape === null ? null : [...shape] };
  return constant === undefined ? value : { ...value, constant };
}

export function makeConstantValue(name: string, data: TensorData, ids: IdSource = defaultIds): Value {
  return makeValue(name, data.dtype, data.shape, data, ids);
}

export interface NodeSpec {
  readonly name?: string;
  readonly opType: string;
  readonly domain?: string;
  readonly opset: number;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attributes?: ReadonlyMap<string, AttributeValue> | Record<string, AttributeValue>;
}

export function makeNode(spec: NodeSpec, ids: IdSource = defaultIds): Node {
  const id = ids.take();
  const attributes =
    spec.attributes instanceof Map
      ? spec.attributes
      : new Map(Object.entries((spec.attributes ?? {}) as Record<string, AttributeValue>));
  return {
    id,
    name: spec.name !== undefined && spec.name !== "" ? spec.name : `${spec.opType}_${id}`,
    opType: spec.opType,
    domain: spec.domain ?? "",
    opset: spec.opset,
    inputs: [...spec.inputs],
    outputs: [...spec.outputs],
    attributes,
  };
}

export function makeGraph(fields: Graph): Graph {
  return {
    name: fields.name,
    inputs: [...fields.inputs],
    outputs: [...fields.outputs],
    nodes: [...fields.nodes],
    opset: fields.opset,
  };
}

/**
 * Rewrites a graph node by node. `visit` returns the replacement nodes for a
 * node (or undefined to keep it), and may redirect a value to another with
 * `substitute`; later node inputs and graph outputs follow the substitution.
 * Returns the input graph itself when nothing changed.
 */
export function rewriteGraph(
  graph: Graph,
  visit: (node: Node, context: RewriteContext) => readonly Node[] | undefined,
): Graph {
  const substitutions = new Map<Value, Value>();
  const context: RewriteContext = {
    substitute(from, to) {
      if (from !== to) substitutions.set(from, to);
    },
    resolve(value) {
      let current = value;
      while (substitutions.has(current)) current = substitutions.get(current)!;
      return current;
    },
  };
  let changed = false;
  const nodes: Node[] = [];
  for (const original of graph.nodes) {
    const node = remapInputs(original, context);
    if (node !== original) changed = true;
    const replacement = visit(node, context);
    if (replacement === undefined) {
      nodes.push(node);
    } else {
      changed = true;
      nodes.push(...replacement);
    }
  }
  const outputs = graph.outputs.map((value) => context.resolve(value));
  if (outputs.some((value, index) => value !== graph.outputs[index])) changed = true;
  if (!changed) return graph;
  return { ...graph, nodes, outputs };
}

export interface RewriteContext {
  /** Redirects every later use of `from` (node inputs, graph outputs) to `to`. */
  substitute(from: Value, to: Value): void;
  /** The value that uses of `value` now refer to. */
  resolve(value: Value): Value;
}

function remapInputs(node: Node, context: RewriteContext): Node {
  let changed = false;
  const inputs = node.inputs.map((input) => {
    if (input === null) return null;
    const resolved = context.resolve(input);
    if (resolved !== input) changed = true;
    return resolved;
  });
  return changed ? { ...node, inputs } : node;
}

/** Attribute constructors, for importers and tests. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: "int", value }),
  float: (value: number): AttributeValue => ({ kind: "float", value }),
  string: (value: string): AttributeValue => ({ kind: "string", value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: "ints", value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: "floats", value }),
  strings: (value: readonly string[]): AttributeValue => ({ kind: "strings", value }),
  tensor: (value: TensorData): AttributeValue => ({ kind: "tensor", value }),
};
