/**
 * CumSum along a constant axis: out[…i…] = Σ x[…k…] over the k that the
 * exclusive/reverse attributes select (k ≤ i, k < i, k ≥ i or k > i). The
 * reduction runs over the whole axis and selects 0 for the other k, since a
 * TE reduction has a fixed extent.
 */
import { type CompareOp, type Expr, compare, makeIterVar, reduce, select, tload } from "../../expr.js";
import { compute } from "../../tensor.js";
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

/** Which k contribute to position i: the comparison of k with i. */
function contributes(exclusive: boolean, reverse: boolean): CompareOp {
  if (reverse) return exclusive ? "gt" : "ge";
  return exclusive ? "lt" : "le";
}

const cumSum: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkDtype(context, x, NUMERIC_TYPES, "input x");
    const axisValues = constantInts(context, 1, "axis");
    if (axisValues === null || axisValues.length !== 1) throw invalidModel(context, "axis must be a scalar");
    const axis = normalizeAxis(context.node, axisValues[0]!, x.shape.length);
    const relation = contributes(
      context.attributes.int("exclusive", 0) !== 0,
      context.attributes.int("reverse", 0) !== 0,
    );
    return [
      compute(outputName(context), x.shape, (indices) => {
        const k = makeIterVar("k", x.shape[axis]!);
        const source: Expr[] = indices.map((index, dim) => (dim === axis ? k.variable : index));
        const term = select(compare(relation, k.variable, indices[axis]!), tload(x, source), typed(0, x.dtype));
        return reduce("sum", [k], term);
      }),
    ];
  },
};

export const CUMSUM_OPS: Record<string, OpDefinition> = { CumSum: cumSum };
