/**
 * LayerNormalization, BatchNormalization (inference form),
 * InstanceNormalization, LpNormalization and MeanVarianceNormalization.
 *
 * Statistics are computed in two passes (mean, then the mean of squared
 * deviations), as the ONNX reference does: more accurate than E[x²] − E[x]²
 * and still one reduction stage each.
 */
import { dtypeFromOnnx, type DType } from "../../../support/dtype.js";
import { type Expr, binary, cast, compare, int, makeIterVar, reduce, select, tload, unary } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition, PatternKind } from "../../op.js";
import { broadcastLoad, broadcastShapes, normalizeAxis, shapeError, unsupported } from "../../builders.js";
import {
  FLOAT_TYPES,
  checkDtype,
  hasOutput,
  invalidModel,
  normalizeAxes,
  optionalInput,
  outputName,
  reductionPattern,
  requireInput,
  typed,
} from "./common.js";
import { type ReductionSpec, keptIndices, reduction, reductionCount, trailingAxes } from "./reduce-common.js";

/** Wider partial results than one v128 of 32-bit values: four or two vectors. */
const WIDE_PARTIAL_LANES = [16, 8] as const;
/** Reduction steps each wide partial lane takes at least. */
const MIN_STEPS_PER_LANE = 4;

/**
 * The partial lanes of a factored reduction over `extent` elements: the
 * most (up to 16) that divide it with at least MIN_STEPS_PER_LANE steps
 * each, else 4 when 4 divides an extent of 8 or more, else 0 (unfactored).
 * Each vector of partials is an independent chain, so 16 lanes run four
 * chains the core overlaps where 4 lanes wait on one: NaN-exact f32x4.max
 * has a long latency (bert's softmax rows of 128: 0.178 → 0.138 ms).
 */
function partialLanes(extent: number): number {
  const lanes = WIDE_PARTIAL_LANES.find((count) => extent % count === 0 && extent >= MIN_STEPS_PER_LANE * count);
  if (lanes !== undefined) return lanes;
  return extent % 4 === 0 && extent >= 8 ? 4 : 0;
}

/**
 * A keep-dims reduction over the last axis, factored in two (Halide's
 * rfactor): `<name>_part[…, lane]` reduces every L-th element starting at
 * `lane` (contiguous across lanes, so the lane loop vectorizes into vector
 * accumulators; L from partialLanes), then `<name>` reduces the L partials.
 * The combine order differs from a serial reduction: exact for max/min, a
 * float reassociation for sums. Other reductions (several axes, an axis
 * that is not last, an extent that 4 does not divide or under 8) are built
 * unfactored, as `reduction` does.
 */
export function factoredReduction(spec: ReductionSpec): TeTensor {
  const last = spec.shape.length - 1;
  const extent = spec.shape[last] ?? 0;
  const lanes = partialLanes(extent);
  const factorable = spec.keepDims && spec.axes.length === 1 && spec.axes[0] === last && lanes > 0;
  if (!factorable || !["sum", "max", "min"].includes(spec.op)) return reduction(spec);
  const rows = spec.shape.slice(0, last);
  const partial = compute(`${spec.name}_part`, [...rows, lanes], (indices) => {
    const step = makeIterVar(`r${last}`, extent / lanes);
    const column = add(mul(step.variable, int(lanes)), indices[last]!);
    return reduce(spec.op, [step], spec.body([...indices.slice(0, last), column]));
  });
  return compute(spec.name, [...rows, 1], (indices) => {
    const lane = makeIterVar("lane", lanes);
    const reduced = reduce(spec.op, [lane], tload(partial, [...indices.slice(0, last), lane.variable]));
    return spec.epilogue === undefined ? reduced : spec.epilogue(reduced, indices);
  });
}

const sub = (a: Expr, b: Expr): Expr => binary("sub", a, b);
const mul = (a: Expr, b: Expr): Expr => binary("mul", a, b);
const add = (a: Expr, b: Expr): Expr => binary("add", a, b);
const div = (a: Expr, b: Expr): Expr => binary("div", a, b);

interface Moments {
  /** keep-dims tensors over the normalized axes */
  readonly mean: TeTensor;
  /** Population variance (divided by the count). */
  readonly variance: TeTensor;
}

/** Mean and variance of `value(indices)` over `axes` of `shape`, in `value`'s dtype; `meanName` names the mean. */
function moments(
  name: string,
  meanName: string,
  shape: readonly number[],
  axes: readonly number[],
  value: (indices: readonly Expr[]) => Expr,
  dtype: DType,
): Moments {
  const count = typed(reductionCount(shape, axes), dtype);
  const common = { shape, axes, keepDims: true, op: "sum" as const };
  const mean = factoredReduction({
    ...common,
    name: meanName,
    body: value,
    epilogue: (sum) => div(sum, count),
  });
  const deviation = (indices: readonly Expr[]): Expr => sub(value(indices), tload(mean, keptIndices(indices, axes)));
  const variance = factoredReduction({
    ...common,
    name: `${name}_var`,
    body: (indices) => {
      const difference = deviation(indices);
      return mul(difference, difference);
    },
    epilogue: (sum) => div(sum, count),
  });
  return { mean, variance };
}

/** 1 / sqrt(variance + epsilon), the keep-dims shape of the variance. */
function inverseStdDev(name: string, variance: TeTensor, epsilon: number): TeTensor {
  return compute(name, variance.shape, (indices) => {
    const root = unary("sqrt", add(tload(variance, indices), typed(epsilon, variance.dtype)));
    return div(typed(1, variance.dtype), root);
  });
}

/**
 * LayerNormalization over axes [axis, rank): Y = (X − mean) · invStd · Scale + B,
 * with statistics in stash_type (float32 by default). Outputs Y, Mean, InvStdDev.
 */
const layerNormalization: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    const scale = requireInput(context, 1);
    const bias = optionalInput(context, 2)?.tensor ?? null;
    checkDtype(context, x, FLOAT_TYPES, "input X");
    checkBroadcastsTo(context, scale, x, "Scale");
    checkBroadcastsTo(context, bias, x, "B");
    const stash = stashType(context);
    const rank = x.shape.length;
    const axes = trailingAxes(normalizeAxis(context.node, context.attributes.int("axis", -1), rank), rank);
    const name = outputName(context);
    const value = (indices: readonly Expr[]): Expr => cast(tload(x, indices), stash);
    const { mean, variance } = moments(
      name,
      hasOutput(context, 1) ? outputName(context, 1) : `${name}_mean`,
      x.shape,
      axes,
      value,
      stash,
    );
    const invStd = inverseStdDev(
      hasOutput(context, 2) ? outputName(context, 2) : `${name}_invstd`,
      variance,
      context.attributes.float("epsilon", 1e-5),
    );
    const y = compute(name, x.shape, (indices) => {
      const kept = keptIndices(indices, axes);
      const normalized = mul(sub(value(indices), tload(mean, kept)), tload(invStd, kept));
      let result = mul(normalized, cast(broadcastLoad(scale, indices), stash));
      if (bias !== null) result = add(result, cast(broadcastLoad(bias, indices), stash));
      return cast(result, x.dtype);
    });
    return [y, hasOutput(context, 1) ? mean : null, hasOutput(context, 2) ? invStd : null];
  },
};

/** Throws E_SHAPE_MISMATCH unless `parameter` broadcasts to X's shape without growing it. */
function checkBroadcastsTo(context: OpBuildContext, parameter: TeTensor | null, x: TeTensor, what: string): void {
  if (parameter === null) return;
  const shape = broadcastShapes(context.node, [x.shape, parameter.shape]);
  if (shape.length !== x.shape.length || shape.some((extent, dim) => extent !== x.shape[dim])) {
    throw shapeError(
      context.node,
      `${what} [${parameter.shape.join(",")}] does not broadcast to X [${x.shape.join(",")}]`,
    );
  }
}

function stashType(context: OpBuildContext): DType {
  const code = context.attributes.int("stash_type", 1);
  const dtype = code === 1 || code === 11 ? dtypeFromOnnx(code) : null;
  if (dtype === null) throw unsupported(context.node, `stash_type ${code} must be 1 (float) or 11 (double)`);
  return dtype;
}

/** A per-channel parameter of shape [C], loaded at the channel index (axis 1) of X. */
function channelParameter(context: OpBuildContext, index: number, x: TeTensor, what: string): TeTensor {
  const parameter = requireInput(context, index);
  if (parameter.shape.length !== 1 || parameter.shape[0] !== x.shape[1]) {
    throw shapeError(context.node, `${what} must have shape [${x.shape[1]}], got [${parameter.shape.join(",")}]`);
  }
  if (parameter.dtype !== x.dtype) throw invalidModel(context, `${what} has type ${parameter.dtype}, X has ${x.dtype}`);
  return parameter;
}

function checkChannelInput(context: OpBuildContext, x: TeTensor): void {
  checkDtype(context, x, FLOAT_TYPES, "input X");
  if (x.shape.length < 2) throw shapeError(context.node, `X must have rank ≥ 2 (N, C, …), got [${x.shape.join(",")}]`);
}

/** BatchNormalization, inference form: Y = (X − mean[c]) / sqrt(var[c] + ε) · scale[c] + B[c]. */
const batchNormalization: OpDefinition = {
  /** No reduction in inference form: a per-channel affine map that fuses as a broadcast. */
  pattern: (): PatternKind => "broadcast",
  build(context) {
    const training = context.attributes.int("training_mode", 0);
    if (training !== 0) throw unsupported(context.node, "training_mode=1 is not supported (inference only)");
    if (context.attributes.int("spatial", 1) !== 1) throw unsupported(context.node, "spatial=0 is not supported");
    for (let index = 1; index < context.node.outputs.length; index++) {
      if (hasOutput(context, index))
        throw unsupported(context.node, "the training outputs (mean, var, saved stats) are not supported");
    }
    const x = requireInput(context, 0);
    checkChannelInput(context, x);
    const [scale, bias, mean, variance] = ["scale", "B", "input_mean", "input_var"].map((what, position) =>
      channelParameter(context, position + 1, x, what),
    );
    const epsilon = typed(context.attributes.float("epsilon", 1e-5), x.dtype);
    const y = compute(outputName(context), x.shape, (indices) => {
      const channel = [indices[1]!];
      const deviation = sub(tload(x, indices), tload(mean!, channel));
      const normalized = div(deviation, unary("sqrt", add(tload(variance!, channel), epsilon)));
      return add(mul(normalized, tload(scale!, channel)), tload(bias!, channel));
    });
    return [y, ...context.node.outputs.slice(1).map(() => null)];
  },
};

/** InstanceNormalization: per (n, c) statistics over the spatial axes; Y = (X − mean) / sqrt(var + ε) · scale[c] + B[c]. */
const instanceNormalization: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkChannelInput(context, x);
    const scale = channelParameter(context, 1, x, "scale");
    const bias = channelParameter(context, 2, x, "B");
    const axes = trailingAxes(2, x.shape.length);
    const name = outputName(context);
    const { mean, variance } = moments(name, `${name}_mean`, x.shape, axes, (indices) => tload(x, indices), x.dtype);
    const invStd = inverseStdDev(`${name}_invstd`, variance, context.attributes.float("epsilon", 1e-5));
    return [
      compute(name, x.shape, (indices) => {
        const kept = keptIndices(indices, axes);
        const normalized = mul(sub(tload(x, indices), tload(mean, kept)), tload(invStd, kept));
        return add(mul(normalized, tload(scale, [indices[1]!])), tload(bias, [indices[1]!]));
      }),
    ];
  },
};

/** LpNormalization: X / ‖X‖ₚ along `axis` (p = 1 or 2); a zero norm gives 0, as onnxruntime does. */
const lpNormalization: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkDtype(context, x, FLOAT_TYPES, "input");
    const p = context.attributes.int("p", 2);
    if (p !== 1 && p !== 2) throw unsupported(context.node, `p=${p} must be 1 or 2`);
    const axes = [normalizeAxis(context.node, context.attributes.int("axis", -1), x.shape.length)];
    const name = outputName(context);
    const norm = reduction({
      name: `${name}_norm`,
      shape: x.shape,
      axes,
      keepDims: true,
      op: "sum",
      body: (indices) => {
        const value = tload(x, indices);
        return p === 1 ? unary("abs", value) : mul(value, value);
      },
      epilogue: (sum) => (p === 1 ? sum : unary("sqrt", sum)),
    });
    return [
      compute(name, x.shape, (indices) => {
        const divisor = tload(norm, keptIndices(indices, axes));
        const zero = typed(0, x.dtype);
        return select(compare("eq", divisor, zero), zero, div(tload(x, indices), divisor));
      }),
    ];
  },
};

/**
 * MeanVarianceNormalization over `axes` (default [0, 2, 3]), per its ONNX
 * function body: (X − E[X]) / (sqrt(E[X²] − E[X]²) + 1e-9).
 */
const meanVarianceNormalization: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkDtype(context, x, FLOAT_TYPES, "input");
    const axes = normalizeAxes(context, context.attributes.ints("axes", [0, 2, 3]), x.shape.length);
    const name = outputName(context);
    const count = typed(reductionCount(x.shape, axes), x.dtype);
    const mean = (body: (indices: readonly Expr[]) => Expr, suffix: string): TeTensor =>
      reduction({
        name: `${name}_${suffix}`,
        shape: x.shape,
        axes,
        keepDims: true,
        op: "sum",
        body,
        epilogue: (sum) => div(sum, count),
      });
    const meanOfX = mean((indices) => tload(x, indices), "mean");
    const meanOfSquares = mean((indices) => mul(tload(x, indices), tload(x, indices)), "mean_square");
    return [
      compute(name, x.shape, (indices) => {
        const kept = keptIndices(indices, axes);
        const average = tload(meanOfX, kept);
        const deviation = unary("sqrt", sub(tload(meanOfSquares, kept), mul(average, average)));
        return div(sub(tload(x, indices), average), add(deviation, typed(1e-9, x.dtype)));
      }),
    ];
  },
};

/**
 * LRN across channels: y = x / (bias + alpha/size · Σ x[c′]²)^beta over the
 * window c′ ∈ [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉]; channels outside X
 * contribute 0 (their loads are clamped into bounds and not selected).
 */
const localResponseNormalization: OpDefinition = {
  pattern: reductionPattern,
  build(context) {
    const x = requireInput(context, 0);
    checkChannelInput(context, x);
    const size = context.attributes.int("size");
    if (size < 1) throw invalidModel(context, `size ${size} must be positive`);
    const alpha = context.attributes.float("alpha", 1e-4);
    const beta = typed(context.attributes.float("beta", 0.75), x.dtype);
    const bias = typed(context.attributes.float("bias", 1), x.dtype);
    const channels = x.shape[1]!;
    const before = Math.floor((size - 1) / 2);
    return [
      compute(outputName(context), x.shape, (indices) => {
        const offset = makeIterVar("rk", size);
        const channel = binary("add", indices[1]!, binary("sub", offset.variable, int(before)));
        const inside = binary("and", compare("ge", channel, int(0)), compare("lt", channel, int(channels)));
        const clamped = binary("min", binary("max", channel, int(0)), int(channels - 1));
        const neighbour = tload(
          x,
          indices.map((index, dim) => (dim === 1 ? clamped : index)),
        );
        const square = select(inside, mul(neighbour, neighbour), typed(0, x.dtype));
        const sum = reduce("sum", [offset], square);
        const denominator = binary("pow", add(bias, mul(typed(alpha / size, x.dtype), sum)), beta);
        return div(tload(x, indices), denominator);
      }),
    ];
  },
};

export const NORMALIZATION_OPS: Record<string, OpDefinition> = {
  LayerNormalization: layerNormalization,
  BatchNormalization: batchNormalization,
  InstanceNormalization: instanceNormalization,
  LpNormalization: lpNormalization,
  MeanVarianceNormalization: meanVarianceNormalization,
  LRN: localResponseNormalization,
};
