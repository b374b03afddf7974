/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, following the ONNX
 * reference: for input [N, C, d…] and target [N, d…],
 *
 *   loss[n, d…] = −input[n, t, d…] · w[t]   with t = target[n, d…], w = weight or 1,
 *
 * and 0 where t = ignore_index. reduction "none" keeps [N, d…], "sum" adds
 * everything, "mean" divides the sum by the sum of the applied weights.
 * SoftmaxCrossEntropyLoss applies it to log_softmax(scores) over axis 1 and
 * can also output that log-probability.
 */
import { type Expr, binary, cast, compare, int, makeIterVar, reduce, select, tload, unary } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import {
  FLOAT_TYPES,
  checkDtype,
  hasOutput,
  optionalInput,
  outputName,
  reductionPattern,
  requireInput,
  typed,
} from "./common.js";
import { keptIndices, reduction } from "./reduce-common.js";

interface LossSpec {
  /** [N, C, d…] */
  readonly shape: readonly number[];
  readonly dtype: TeTensor["dtype"];
  /** The log-probability (or NLL input) at [n, c, d…]. */
  readonly logProbability: (indices: readonly Expr[]) => Expr;
  readonly target: TeTensor;
  readonly weight: TeTensor | null;
}

type Reduction = "none" | "sum" | "mean";

function readReduction(context: OpBuildContext): Reduction {
  const reduction = context.attributes.string("reduction", "mean");
  if (reduction === "none" || reduction === "sum" || reduction === "mean") return reduction;
  throw unsupported(context.node, `reduction '${reduction}' must be none, sum or mean`);
}

function checkTarget(context: OpBuildContext, spec: LossSpec): void {
  checkDtype(context, spec.target, ["int32", "int64"], "target");
  const expected = [spec.shape[0]!, ...spec.shape.slice(2)];
  const actual = spec.target.shape;
  if (
    spec.shape.length < 2 ||
    actual.length !== expected.length ||
    actual.some((extent, dim) => extent !== expected[dim])
  ) {
    throw shapeError(context.node, `target [${actual.join(",")}] does not match input [${spec.shape.join(",")}]`);
  }
  if (spec.weight !== null && (spec.weight.shape.length !== 1 || spec.weight.shape[0] !== spec.shape[1])) {
    throw shapeError(context.node, `weight must have shape [${spec.shape[1]}]`);
  }
}

interface ElementTerms {
  /** The weighted loss at target indices [n, d…] (0 where ignored). */
  readonly lossAt: (indices: readonly Expr[]) => Expr;
  /** The weight applied there (0 where ignored). */
  readonly weightAt: (indices: readonly Expr[]) => Expr;
  /** False when every weight is 1, so "mean" can divide by the element count. */
  readonly weighted: boolean;
}

function elementTerms(context: OpBuildContext, spec: LossSpec): ElementTerms {
  const classes = spec.shape[1]!;
  const ignoreIndex = context.attributes.has("ignore_index") ? context.attributes.int("ignore_index") : null;
  const classAt = (indices: readonly Expr[]): Expr => cast(tload(spec.target, indices), "int32");
  const clampedClass = (indices: readonly Expr[]): Expr =>
    binary("min", binary("max", classAt(indices), int(0)), int(classes - 1));
  const ignored = (indices: readonly Expr[]): Expr | null =>
    ignoreIndex === null ? null : compare("eq", classAt(indices), int(ignoreIndex));
  const weightAt = (indices: readonly Expr[]): Expr => {
    const weight = spec.weight === null ? typed(1, spec.dtype) : tload(spec.weight, [clampedClass(indices)]);
    const skip = ignored(indices);
    return skip === null ? weight : select(skip, typed(0, spec.dtype), weight);
  };
  const lossAt = (indices: readonly Expr[]): Expr => {
    const picked = spec.logProbability([indices[0]!, clampedClass(indices), ...indices.slice(1)]);
    const weighted = binary("mul", unary("neg", picked), weightAt(indices));
    const skip = ignored(indices);
    return skip === null ? weighted : select(skip, typed(0, spec.dtype), weighted);
  };
  return { lossAt, weightAt, weighted: spec.weight !== null || ignoreIndex !== null };
}

/** Σ body over every index of `shape`, as a rank-0 compute. */
function total(name: string, shape: readonly number[], body: (indices: readonly Expr[]) => Expr): TeTensor {
  return compute(name, [], () => {
    const axes = shape.map((extent, dim) => makeIterVar(`r${dim}`, extent));
    return reduce("sum", axes, body(axes.map((axis) => axis.variable)));
  });
}

function buildLoss(context: OpBuildContext, spec: LossSpec): TeTensor {
  checkTarget(context, spec);
  const reductionKind = readReduction(context);
  const name = outputName(context);
  const { lossAt, weightAt, weighted } = elementTerms(context, spec);
  const targetShape = spec.target.shape;
  if (reductionKind === "none") return compute(name, targetShape, lossAt);
  if (reductionKind === "sum") return total(name, targetShape, lossAt);
  const count = targetShape.reduce((product, extent) => product * extent, 1);
  const divisor = weighted ? tload(total(`${name}_weight_sum`, targetShape, weightAt), []) : typed(count, spec.dtype);
  const sum = total(`${name}_sum`, targetShape, lossAt);
  return compute(name, [], () => binary("div", tload(sum, []), divisor));
}

const negativeLogLikelihoodLoss: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const input = requireInput(context, 0);
    checkDtype(context, input, FLOAT_TYPES, "input");
    const spec: LossSpec = {
      shape: input.shape,
      dtype: input.dtype,
      logProbability: (indices) => tload(input, indices),
      target: requireInput(context, 1),
      weight: optionalInput(context, 2)?.tensor ?? null,
    };
    return [buildLoss(context, spec)];
  },
};

/** log_softmax over axis 1 as stages: max, sum of exp, x − max − log(sum). */
function logSoftmaxOverClasses(scores: TeTensor, name: string): TeTensor {
  const axes = [1];
  const common = { shape: scores.shape, axes, keepDims: true };
  const maximum = reduction({ ...common, name: `${name}_max`, op: "max", body: (indices) => tload(scores, indices) });
  const shifted = (indices: readonly Expr[]): Expr =>
    binary("sub", tload(scores, indices), tload(maximum, keptIndices(indices, axes)));
  const sum = reduction({
    ...common,
    name: `${name}_sum`,
    op: "sum",
    body: (indices) => unary("exp", shifted(indices)),
  });
  return compute(name, scores.shape, (indices) =>
    binary("sub", shifted(indices), unary("log", tload(sum, keptIndices(indices, axes)))),
  );
}

const softmaxCrossEntropyLoss: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const scores = requireInput(context, 0);
    checkDtype(context, scores, FLOAT_TYPES, "scores");
    if (scores.shape.length < 2) throw shapeError(context.node, "scores must have rank ≥ 2 (N, C, …)");
    const logProbability = logSoftmaxOverClasses(
      scores,
      hasOutput(context, 1) ? outputName(context, 1) : `${outputName(context)}_log_prob`,
    );
    const spec: LossSpec = {
      shape: scores.shape,
      dtype: scores.dtype,
      logProbability: (indices) => tload(logProbability, indices),
      target: requireInput(context, 1),
      weight: optionalInput(context, 2)?.tensor ?? null,
    };
    const loss = buildLoss(context, spec);
    if (context.node.outputs.length < 2) return [loss];
    return [loss, hasOutput(context, 1) ? logProbability : null];
  },
};

export const LOSS_OPS: Record<string, OpDefinition> = {
  NegativeLogLikelihoodLoss: negativeLogLikelihoodLoss,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyLoss,
};
