/**
 * Ops that select by position: Trilu (keep a triangle), EyeLike (a
 * diagonal of ones), OneHot (on where the index matches).
 */
import { type Expr, add, cast, compare, constant, int, select, sub, tload } from "../../expr.js";
import { elementAsNumber } from "../../../support/tensor-data.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError } from "../../builders.js";
import { dtypeFromOnnx } from "../../../support/dtype.js";
import {
  constantScalar,
  invalidModel,
  loadAt,
  maxExpr,
  minExpr,
  optionalInput,
  outputName,
  requireInput,
  zeroOf,
} from "./common.js";

/**
 * Trilu: keeps x[…, i, j] where j − i ≥ k (upper) or j − i ≤ k (lower), zero
 * elsewhere. k does not change the shape, so it may be a run-time input.
 */
function buildTrilu(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  if (x.shape.length < 2) throw shapeError(context.node, `input must have rank ≥ 2, got [${x.shape.join(",")}]`);
  const upper = context.attributes.int("upper", 1) !== 0;
  const k = diagonalOffset(context);
  const rank = x.shape.length;
  return compute(outputName(context), x.shape, (indices) => {
    const diagonal = sub(indices[rank - 1]!, indices[rank - 2]!);
    const keep = compare(upper ? "ge" : "le", diagonal, k);
    return select(keep, loadAt(x, indices), zeroOf(x.dtype));
  });
}

/** Trilu's k as int32: a constant when known, else loaded; values beyond the matrix are clamped (same result). */
function diagonalOffset(context: OpBuildContext): Expr {
  const input = optionalInput(context, 1);
  if (input === null) return int(0);
  if (input.constant !== null)
    return int(Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, elementAsNumber(input.constant, 0))));
  const bound = Math.max(...requireInput(context, 0).tensor.shape.slice(-2)) + 1;
  const value = tload(
    input.tensor,
    input.tensor.shape.map(() => int(0)),
  );
  const clamped = minExpr(maxExpr(value, constant(-bound, value.dtype)), constant(bound, value.dtype));
  return cast(clamped, "int32");
}

/** EyeLike: ones on the k-th diagonal of a 2-D shape, in the `dtype` attribute's type (default: the input's). */
function buildEyeLike(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  if (x.shape.length !== 2) throw shapeError(context.node, `input must be 2-D, got [${x.shape.join(",")}]`);
  const dtype = context.attributes.has("dtype") ? dtypeFromOnnx(context.attributes.int("dtype")) : x.dtype;
  const k = context.attributes.int("k", 0);
  return compute(outputName(context), x.shape, ([i, j]) =>
    select(compare("eq", sub(j!, i!), int(k)), constant(1, dtype), constant(0, dtype)),
  );
}

/**
 * OneHot: out[…, d, …] = values[1] where the (wrapped) index equals d at the
 * one-hot axis, else values[0]. Depth must be a compile-time constant; the
 * values are read at run time.
 */
function buildOneHot(context: OpBuildContext): TeTensor {
  const indices = requireInput(context, 0).tensor;
  const depth = Math.trunc(constantScalar(context, 1, "depth", Number.NaN));
  if (!Number.isFinite(depth) || depth < 1) throw invalidModel(context, "OneHot needs a positive constant depth");
  const values = requireInput(context, 2).tensor;
  if (values.shape.reduce((a, b) => a * b, 1) !== 2) throw shapeError(context.node, "values must hold [off, on]");
  const rank = indices.shape.length + 1;
  const requested = context.attributes.int("axis", -1);
  const axis = requested < 0 ? requested + rank : requested;
  if (axis < 0 || axis >= rank) throw invalidModel(context, `axis ${requested} is out of range for rank ${rank}`);
  const shape = [...indices.shape.slice(0, axis), depth, ...indices.shape.slice(axis)];
  const valueAt = (position: number): Expr => tload(values, values.shape.length === 0 ? [] : [int(position)]);
  return compute(outputName(context), shape, (outIndices) => {
    const at = [...outIndices.slice(0, axis), ...outIndices.slice(axis + 1)];
    const raw = cast(tload(indices, at), "int32");
    const wrapped = select(compare("lt", raw, int(0)), add(raw, int(depth)), raw);
    return select(compare("eq", wrapped, outIndices[axis]!), valueAt(1), valueAt(0));
  });
}

export const Trilu: OpDefinition = { pattern: () => "injective", build: (context) => [buildTrilu(context)] };
export const EyeLike: OpDefinition = { pattern: () => "injective", build: (context) => [buildEyeLike(context)] };
export const OneHot: OpDefinition = { pattern: () => "injective", build: (context) => [buildOneHot(context)] };
