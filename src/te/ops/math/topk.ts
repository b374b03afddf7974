/**
 * TopK by ranking, since TE has no sort: each element's rank along the axis
 * is the number of elements that come before it (larger, or equal with a
 * lower index, for largest=1), then output j is the element of rank j.
 * Both stages are O(n²) along the axis, which is cheap for the class
 * dimensions TopK is used on. Outputs are always sorted (allowed for
 * sorted=0) with ties in index order, as ONNX specifies.
 */
import { type Expr, binary, cast, compare, int, makeIterVar, reduce, select, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpDefinition } from "../../op.js";
import { normalizeAxis } from "../../builders.js";
import {
  NUMERIC_TYPES,
  checkDtype,
  constantInts,
  invalidModel,
  outputName,
  reductionPattern,
  requireInput,
  typed,
} from "./common.js";

/** The indices with position `dim` replaced by `index`. */
function along(indices: readonly Expr[], dim: number, index: Expr): Expr[] {
  return indices.map((value, position) => (position === dim ? index : value));
}

/** rank[…i…] = Σₘ [x[…m…] precedes x[…i…]]. */
function rankAlong(x: TeTensor, axis: number, largest: boolean, name: string): TeTensor {
  return compute(name, x.shape, (indices) => {
    const other = makeIterVar("m", x.shape[axis]!);
    const mine = tload(x, indices);
    const theirs = tload(x, along(indices, axis, other.variable));
    const strictlyBefore = compare(largest ? "gt" : "lt", theirs, mine);
    const tieBefore = binary("and", compare("eq", theirs, mine), compare("lt", other.variable, indices[axis]!));
    const before = binary("or", strictlyBefore, tieBefore);
    return reduce("sum", [other], select(before, int(1), int(0)));
  });
}

const topK: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkDtype(context, x, NUMERIC_TYPES, "input X");
    const axis = normalizeAxis(context.node, context.attributes.int("axis", -1), x.shape.length);
    const k = context.node.opset < 10 ? context.attributes.int("k") : (constantInts(context, 1, "K") ?? [])[0];
    if (k === undefined || k < 0 || k > x.shape[axis]!) {
      throw invalidModel(context, `K=${k} must be between 0 and the axis extent ${x.shape[axis]}`);
    }
    const largest = context.attributes.int("largest", 1) !== 0;
    const name = outputName(context);
    const rank = rankAlong(x, axis, largest, `${name}_rank`);
    const shape = x.shape.map((extent, dim) => (dim === axis ? k : extent));
    const matchAt = (indices: readonly Expr[], source: Expr): Expr =>
      compare("eq", tload(rank, along(indices, axis, source)), indices[axis]!);
    const values = compute(name, shape, (indices) => {
      const source = makeIterVar("i", x.shape[axis]!);
      const candidate = tload(x, along(indices, axis, source.variable));
      return reduce("max", [source], select(matchAt(indices, source.variable), candidate, typed(-Infinity, x.dtype)));
    });
    const positions = compute(outputName(context, 1), shape, (indices) => {
      const source = makeIterVar("i", x.shape[axis]!);
      const position = reduce("max", [source], select(matchAt(indices, source.variable), source.variable, int(-1)));
      return cast(position, "int64");
    });
    return [values, positions];
  },
};

export const TOPK_OPS: Record<string, OpDefinition> = { TopK: topK };
