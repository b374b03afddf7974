/**
 * The graph IR: a hardware-agnostic dataflow graph of ONNX-level ops.
 *
 * Invariants (checked by verify-graph.ts):
 * - `nodes` is in topological order; every node input is a graph input, a
 *   constant value, or the output of an earlier node.
 * - Each value has exactly one producer (a node, or none for graph inputs and
 *   constants); a value with `constant` set has no producer.
 * - Records are readonly: passes build new graphs with GraphBuilder and return
 *   their input unchanged when nothing changed.
 * - After shape inference every value has a dtype and a concrete or symbolic
 *   shape; before it, `shape` may be null (unknown).
 */
import type { DType } from "../support/dtype.js";
import type { TensorData } from "../support/tensor-data.js";

/** A dimension: a size, or a symbolic name (e.g. "batch") bound at compile time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

export interface Value {
  /** Unique within one compilation; used as a map key in printers and plans. */
  readonly id: number;
  /** The ONNX name; graph inputs and outputs keep theirs for the public API. */
  readonly name: string;
  readonly dtype: DType;
  /** Null until shape inference has run (or when ONNX gave no shape). */
  readonly shape: Shape | null;
  /** Set for initializers, Constant nodes and folded values. */
  readonly constant?: TensorData;
}

export type AttributeValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "strings"; readonly value: readonly string[] }
  | { readonly kind: "tensor"; readonly value: TensorData }
  | { readonly kind: "graph"; readonly value: unknown };

export interface Node {
  readonly id: number;
  /** The ONNX node name, or a generated one (`<opType>_<id>`) when the model gave none. */
  readonly name: string;
  readonly opType: string;
  /** "" for the default ai.onnx domain. */
  readonly domain: string;
  /** The opset version of the node's domain that the model imports. */
  readonly opset: number;
  /** Null stands for an omitted optional input (ONNX empty name). */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attributes: ReadonlyMap<string, AttributeValue>;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly nodes: readonly Node[];
  /** Version of the ai.onnx opset the model imports. */
  readonly opset: number;
}

/** True when every dim of `shape` is a number. */
export function isStaticShape(shape: Shape | null): shape is readonly number[] {
  return shape !== null && shape.every((dim) => typeof dim === "number");
}
