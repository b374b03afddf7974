/**
 * The contract between the graph IR and tensor expressions: each ONNX op is
 * defined once, as a builder of TE computes. Shape inference, constant
 * folding (by interpreting the TE) and code generation all use the same
 * definition, so they cannot disagree.
 */
import type { Node } from "../graph/ir.js";
import type { Attributes } from "../graph/attributes.js";
import type { TensorData } from "../support/tensor-data.js";
import type { TeTensor } from "./tensor.js";

/**
 * How an op may fuse with its neighbours (TVM's OpPatternKind):
 * - elementwise: out[i] depends on in[i] of same-shape inputs
 * - broadcast: elementwise with numpy broadcasting
 * - injective: each output element reads a computable set of input elements, no reduction (transpose, slice, concat, gather)
 * - reduction: contains a reduce (ReduceSum, Softmax, LayerNorm)
 * - out-fusable: a heavy reduction (Conv, MatMul, Gemm) that takes an elementwise epilogue
 * - view: reinterprets the same bytes with another shape (Reshape, Flatten, Squeeze, Unsqueeze, Identity); no kernel
 * - opaque: never fused
 */
export type PatternKind = "elementwise" | "broadcast" | "injective" | "reduction" | "out-fusable" | "view" | "opaque";

/** What an op builder sees of one input. */
export interface OpInput {
  /** The input as a TE tensor: a placeholder, or an upstream compute when fusing. */
  readonly tensor: TeTensor;
  /** The input's contents when known at compile time (initializer, Constant, folded). */
  readonly constant: TensorData | null;
}

export interface OpBuildContext {
  readonly node: Node;
  readonly attributes: Attributes;
  /** Null for an omitted optional input. */
  readonly inputs: readonly (OpInput | null)[];
  /** Names for the output tensors, one per node output (for printing). */
  readonly outputNames: readonly string[];
}

/** What a builder returns: one TE tensor per node output (null for an omitted optional output). */
export type OpBuildResult = readonly (TeTensor | null)[];

export interface OpDefinition {
  /** The op's fusion pattern; may depend on attributes or input shapes. */
  pattern(context: OpBuildContext): PatternKind;
  build(context: OpBuildContext): OpBuildResult;
  /**
   * Optional compile-time evaluation for ops whose output is known without
   * running a kernel (Shape, Size, ConstantOfShape with a constant shape).
   * Return null when the output is not known at compile time.
   */
  evaluate?(context: OpBuildContext): readonly TensorData[] | null;
}
