/**
 * Turns chosen graph inputs into constants with given contents, so that ops
 * needing those contents at compile time (Reshape's shape, Resize's sizes…)
 * can be built, and what depends only on them folds. This is how a session
 * specializes a model for the feeds it was given (CompileOptions.constantInputs):
 * the compiled variant is only valid for those exact contents.
 *
 * Requires: the ir.ts invariants. Ensures: the bound inputs leave
 * `graph.inputs` (the plan no longer has a slot for them) and every reader
 * (node inputs, graph outputs) reads a constant value of the same name;
 * returns the input graph unchanged when `constants` is empty.
 * Errors: E_USAGE when a name is not a graph input, or the contents' dtype,
 * rank or a static dim differs from the input's declaration (symbolic dims
 * take the contents' size; keeping them consistent with `bindings` is the
 * caller's job).
 */
import { type IdSource, defaultIds, makeConstantValue } from "../builder.js";
import type { Graph, Value } from "../ir.js";
import { TesseraError } from "../../support/errors.js";
import type { TensorData } from "../../support/tensor-data.js";

export function bindConstantInputs(
  graph: Graph,
  constants: ReadonlyMap<string, TensorData>,
  ids: IdSource = defaultIds,
): Graph {
  if (constants.size === 0) return graph;
  const replaced = new Map<Value, Value>();
  for (const [name, data] of constants) {
    const input = graph.inputs.find((value) => value.name === name);
    if (input === undefined) {
      const names = graph.inputs.map((value) => `'${value.name}'`).join(", ") || "none";
      throw new TesseraError("E_USAGE", `constant input '${name}' is not a graph input (the graph inputs: ${names})`);
    }
    checkContents(input, data);
    replaced.set(input, makeConstantValue(name, data, ids));
  }
  const resolve = (value: Value): Value => replaced.get(value) ?? value;
  const nodes = graph.nodes.map((node) => {
    if (!node.inputs.some((value) => value !== null && replaced.has(value))) return node;
    return { ...node, inputs: node.inputs.map((value) => (value === null ? null : resolve(value))) };
  });
  return {
    ...graph,
    inputs: graph.inputs.filter((value) => !replaced.has(value)),
    nodes,
    outputs: graph.outputs.map(resolve),
  };
}

function checkContents(input: Value, data: TensorData): void {
  if (data.dtype !== input.dtype) {
    throw new TesseraError("E_USAGE", `constant input '${input.name}' must be ${input.dtype}, got ${data.dtype}`);
  }
  const declared = input.shape;
  const fits =
    declared === null ||
    (declared.length === data.shape.length &&
      declared.every((dim, axis) => typeof dim === "string" || dim === data.shape[axis]));
  if (!fits) {
    throw new TesseraError(
      "E_USAGE",
      `constant input '${input.name}' must have shape [${declared!.join(", ")}], got [${data.shape.join(", ")}]`,
    );
  }
}
