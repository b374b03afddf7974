/**
 * Softmax, LogSoftmax and Hardmax as stages: the maximum over the softmax
 * axes, the sum of exp(x − max), then the output. Reductions over the last
 * axis are factored (normalization.ts factoredReduction) so their loops
 * vectorize; Softmax over trailing axes materializes exp(x − max) once per
 * row (a stage the sum and the output both read) instead of computing it twice.
 *
 * Opset < 13 coerces the input to 2-D [prod(dims < axis), prod(dims ≥ axis)]
 * (axis default 1): the softmax runs over all the trailing axes from `axis`.
 * Opset ≥ 13 runs over the single axis `axis` (default −1).
 */
import {
  type Expr,
  add,
  binary,
  cast,
  compare,
  constant,
  int,
  makeIterVar,
  mul,
  reduce,
  select,
  tload,
  unary,
} from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis } from "../../builders.js";
import { FLOAT_TYPES, checkDtype, outputName, reductionPattern, requireInput } from "./common.js";
import { keptIndices, reduction, trailingAxes } from "./reduce-common.js";
import { factoredReduction } from "./normalization.js";

/** The axes the op normalizes over, per the opset's semantics. */
function softmaxAxes(context: OpBuildContext, rank: number): number[] {
  if (context.node.opset < 13) {
    const axis = rank === 0 ? 0 : normalizeAxis(context.node, context.attributes.int("axis", 1), rank);
    return trailingAxes(axis, rank);
  }
  if (rank === 0) return [];
  return [normalizeAxis(context.node, context.attributes.int("axis", -1), rank)];
}

interface SoftmaxStages {
  readonly input: TeTensor;
  readonly axes: readonly number[];
  readonly name: string;
  /** The maximum of the point's group. */
  readonly maximumAt: (indices: readonly Expr[]) => Expr;
  /** x − max at a point of the input's index space. */
  readonly shifted: (indices: readonly Expr[]) => Expr;
}

function stagesOf(context: OpBuildContext): SoftmaxStages {
  const input = requireInput(context, 0);
  checkDtype(context, input, FLOAT_TYPES, "input");
  const axes = softmaxAxes(context, input.shape.length);
  const name = outputName(context);
  const maximum = factoredReduction({
    name: `${name}_max`,
    shape: input.shape,
    axes,
    keepDims: true,
    op: "max",
    body: (indices) => tload(input, indices),
  });
  const maximumAt = (indices: readonly Expr[]): Expr => tload(maximum, keptIndices(indices, axes));
  const shifted = (indices: readonly Expr[]): Expr => binary("sub", tload(input, indices), maximumAt(indices));
  return { input, axes, name, maximumAt, shifted };
}

function sumOf(stages: SoftmaxStages, term: (indices: readonly Expr[]) => Expr): TeTensor {
  return factoredReduction({
    name: `${stages.name}_sum`,
    shape: stages.input.shape,
    axes: stages.axes,
    keepDims: true,
    op: "sum",
    body: term,
  });
}

/**
 * exp(x − max) at every point, as a tensor that lowering materializes: a
 * one-trip reduce makes it a stage rather than an expression inlined into
 * each reader. Only for trailing softmax axes, where a row is contiguous and
 * compute_at keeps one row of it; otherwise null (recomputed by each reader).
 */
function exponentials(stages: SoftmaxStages): TeTensor | null {
  const rank = stages.input.shape.length;
  const trailing =
    stages.axes.length > 0 && stages.axes.every((dim, position) => dim === rank - stages.axes.length + position);
  if (!trailing) return null;
  return compute(`${stages.name}_exp`, stages.input.shape, (indices) =>
    reduce("sum", [makeIterVar("once", 1)], unary("exp", stages.shifted(indices))),
  );
}

const softmax: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const stages = stagesOf(context);
    const exps = exponentials(stages);
    const exp = (indices: readonly Expr[]): Expr =>
      exps === null ? unary("exp", stages.shifted(indices)) : tload(exps, indices);
    const sum = sumOf(stages, exp);
    const dtype = stages.input.dtype;
    return [
      compute(stages.name, stages.input.shape, (indices) => {
        const reciprocal = binary("div", constant(1, dtype), tload(sum, keptIndices(indices, stages.axes)));
        return binary("mul", exp(indices), reciprocal);
      }),
    ];
  },
};

const logSoftmax: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const stages = stagesOf(context);
    const sum = sumOf(stages, (indices) => unary("exp", stages.shifted(indices)));
    return [
      compute(stages.name, stages.input.shape, (indices) =>
        binary("sub", stages.shifted(indices), unary("log", tload(sum, keptIndices(indices, stages.axes)))),
      ),
    ];
  },
};

/** The row-major position of a point within the softmax axes (the column of the coerced 2-D view). */
function positionWithin(indices: readonly Expr[], axes: readonly number[], shape: readonly number[]): Expr {
  let position: Expr = int(0);
  for (const dim of axes) position = add(mul(position, int(shape[dim]!)), indices[dim]!);
  return position;
}

/** 1 at the first maximum of each group, 0 elsewhere. */
const hardmax: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const stages = stagesOf(context);
    const { input, axes, name } = stages;
    const count = axes.reduce((product, dim) => product * input.shape[dim]!, 1);
    const isMax = (indices: readonly Expr[]): Expr => compare("eq", tload(input, indices), stages.maximumAt(indices));
    const first = reduction({
      name: `${name}_argmax`,
      shape: input.shape,
      axes,
      keepDims: true,
      op: "min",
      body: (indices) => select(isMax(indices), positionWithin(indices, axes, input.shape), int(count)),
    });
    return [
      compute(name, input.shape, (indices) => {
        const chosen = compare(
          "eq",
          positionWithin(indices, axes, input.shape),
          tload(first, keptIndices(indices, axes)),
        );
        return cast(chosen, input.dtype);
      }),
    ];
  },
};

export const SOFTMAX_OPS: Record<string, OpDefinition> = {
  Softmax: softmax,
  LogSoftmax: logSoftmax,
  Hardmax: hardmax,
};
