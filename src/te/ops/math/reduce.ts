/**
 * ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceProd, ReduceL1,
 * ReduceL2, ReduceLogSum, ReduceLogSumExp, ReduceSumSquare, ArgMax, ArgMin.
 *
 * Axes come from constant input 1 (the importer moves the `axes` attribute
 * of older opsets there; the attribute is still read when the input is
 * absent). No axes means every axis, unless noop_with_empty_axes=1, which
 * makes the op an identity.
 */
import type { DType } from "../../../support/dtype.js";
import { type Expr, type ReduceOp, binary, cast, compare, select, tload, unary } from "../../expr.js";
import { compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis } from "../../builders.js";
import {
  FLOAT_TYPES,
  NUMERIC_TYPES,
  checkDtype,
  constantInts,
  normalizeAxes,
  outputName,
  reductionPattern,
  requireInput,
  typed,
} from "./common.js";
import { floatMath, keptIndices, reduction, reductionCount, trailingAxes } from "./reduce-common.js";

interface ReduceKind {
  readonly op: ReduceOp;
  readonly dtypes: readonly DType[];
  /** Maps each element before combining (|x|, x², …). */
  readonly prepare?: (value: Expr) => Expr;
  /** Maps the combined value (mean, sqrt, log); `count` is the number of elements combined. */
  readonly finish?: (reduced: Expr, count: number) => Expr;
}

/** The reduced axes, sorted; null when the op is an identity (noop_with_empty_axes with no axes). */
function reductionAxes(context: OpBuildContext, rank: number): number[] | null {
  const fromInput = constantInts(context, 1, "axes");
  const axes = fromInput ?? (context.attributes.has("axes") ? [...context.attributes.ints("axes")] : []);
  if (axes.length > 0) return normalizeAxes(context, axes, rank);
  if (context.attributes.int("noop_with_empty_axes", 0) !== 0) return null;
  return trailingAxes(0, rank);
}

function reduceOp(kind: ReduceKind): OpDefinition {
  return {
    pattern: reductionPattern,
    build(context) {
      const input = requireInput(context, 0);
      checkDtype(context, input, kind.dtypes, "input data");
      const axes = reductionAxes(context, input.shape.length);
      if (axes === null) return [compute(outputName(context), input.shape, (indices) => tload(input, indices))];
      const count = reductionCount(input.shape, axes);
      const prepare = kind.prepare ?? ((value: Expr) => value);
      const finish = kind.finish;
      return [
        reduction({
          name: outputName(context),
          shape: input.shape,
          axes,
          keepDims: context.attributes.int("keepdims", 1) !== 0,
          op: kind.op,
          body: (indices) => prepare(tload(input, indices)),
          epilogue: finish === undefined ? undefined : (reduced) => finish(reduced, count),
        }),
      ];
    },
  };
}

const square = (value: Expr): Expr => binary("mul", value, value);

/**
 * log(Σ exp(x − m)) + m with m the maximum, so large inputs do not overflow;
 * m is replaced by 0 when infinite (all −inf, or +inf present) to avoid inf − inf.
 */
const reduceLogSumExp: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const input = requireInput(context, 0);
    checkDtype(context, input, NUMERIC_TYPES, "input data");
    const axes = reductionAxes(context, input.shape.length);
    if (axes === null) return [compute(outputName(context), input.shape, (indices) => tload(input, indices))];
    const name = outputName(context);
    const maximum = reduction({
      name: `${name}_max`,
      shape: input.shape,
      axes,
      keepDims: true,
      op: "max",
      body: (indices) => tload(input, indices),
      epilogue: (reduced) => {
        const infinite = compare("eq", unary("abs", reduced), typed(Infinity, reduced.dtype));
        return select(infinite, typed(0, reduced.dtype), reduced);
      },
    });
    const shift = (indices: readonly Expr[]): Expr => tload(maximum, keptIndices(indices, axes));
    const keepDims = context.attributes.int("keepdims", 1) !== 0;
    const sum = reduction({
      name,
      shape: input.shape,
      axes,
      keepDims,
      op: "sum",
      body: (indices) => floatMath("exp", binary("sub", tload(input, indices), shift(indices))),
      epilogue: (reduced, outputIndices) => {
        const shiftIndices = keepDims ? outputIndices : reinsertAxes(outputIndices, axes, input.shape.length);
        return binary("add", floatMath("log", reduced), tload(maximum, keptIndices(shiftIndices, axes)));
      },
    });
    return [sum];
  },
};

/** Indices of the full rank from those of a reduction without kept dims (reduced axes get a placeholder 0). */
function reinsertAxes(indices: readonly Expr[], axes: readonly number[], rank: number): Expr[] {
  const full: Expr[] = [];
  let next = 0;
  for (let dim = 0; dim < rank; dim++) full.push(axes.includes(dim) ? typed(0, "int32") : indices[next++]!);
  return full;
}

/**
 * ArgMax/ArgMin as two reductions: the extreme value m along the axis, then
 * the first (or, with select_last_index, the last) k where x[k] = m, as int64.
 * A NaN counts as a match, so a NaN is reported as the extreme, as numpy does.
 */
function argExtreme(extreme: "max" | "min"): OpDefinition {
  return {
    pattern: reductionPattern,
    build(context) {
      const input = requireInput(context, 0);
      checkDtype(context, input, NUMERIC_TYPES, "input data");
      const axis = normalizeAxis(context.node, context.attributes.int("axis", 0), input.shape.length);
      const selectLast = context.attributes.int("select_last_index", 0) !== 0;
      const name = outputName(context);
      const axes = [axis];
      const best = reduction({
        name: `${name}_${extreme}`,
        shape: input.shape,
        axes,
        keepDims: true,
        op: extreme,
        body: (indices) => tload(input, indices),
      });
      const extent = input.shape[axis]!;
      return [
        reduction({
          name,
          shape: input.shape,
          axes,
          keepDims: context.attributes.int("keepdims", 1) !== 0,
          op: selectLast ? "max" : "min",
          body: (indices) => {
            const value = tload(input, indices);
            let matches: Expr = compare("eq", value, tload(best, keptIndices(indices, axes)));
            if (FLOAT_TYPES.includes(value.dtype)) matches = binary("or", matches, compare("ne", value, value));
            return select(matches, indices[axis]!, typed(selectLast ? -1 : extent, "int32"));
          },
          epilogue: (reduced) => cast(reduced, "int64"),
        }),
      ];
    },
  };
}

export const REDUCE_OPS: Record<string, OpDefinition> = {
  ReduceSum: reduceOp({ op: "sum", dtypes: NUMERIC_TYPES }),
  ReduceMean: reduceOp({
    op: "sum",
    dtypes: NUMERIC_TYPES,
    finish: (sum, count) => binary("div", sum, typed(count, sum.dtype)),
  }),
  ReduceMax: reduceOp({ op: "max", dtypes: [...NUMERIC_TYPES, "bool"] }),
  ReduceMin: reduceOp({ op: "min", dtypes: [...NUMERIC_TYPES, "bool"] }),
  ReduceProd: reduceOp({ op: "prod", dtypes: NUMERIC_TYPES }),
  ReduceL1: reduceOp({ op: "sum", dtypes: NUMERIC_TYPES, prepare: (value) => unary("abs", value) }),
  ReduceL2: reduceOp({ op: "sum", dtypes: NUMERIC_TYPES, prepare: square, finish: (sum) => floatMath("sqrt", sum) }),
  ReduceSumSquare: reduceOp({ op: "sum", dtypes: NUMERIC_TYPES, prepare: square }),
  ReduceLogSum: reduceOp({ op: "sum", dtypes: NUMERIC_TYPES, finish: (sum) => floatMath("log", sum) }),
  ReduceLogSumExp: reduceLogSumExp,
  ArgMax: argExtreme("max"),
  ArgMin: argExtreme("min"),
};
