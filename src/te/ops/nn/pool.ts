/**
 * Pools: MaxPool, AveragePool, LpPool and their Global forms, each one
 * reduction over a window of the spatial dims. Padding reads the identity of
 * the reduction (−∞ for max, 0 for sums) through a clamped, selected load.
 */
import { type Expr, add, binary, cast, constant, div, int, mul, sub, tload, unary } from "../../expr.js";
import { type TeTensor, compute, withAxisOrder } from "../../tensor.js";
import { layoutOf, permutedView, toChannelsFirst, toChannelsLast } from "./channels-last.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { hasOutput, lowestOf, maxExpr, minExpr, outputName, requireInput, zeroOf } from "./common.js";
import { spatialNames } from "./conv.js";
import {
  type WindowGeometry,
  paddedLoad,
  reduceOver,
  reductionAxes,
  windowGeometry,
  windowPosition,
  windowReach,
} from "./window.js";

type PoolKind = "max" | "average" | "lp";

function poolInput(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  if (x.shape.length < 3)
    throw shapeError(context.node, `X must have rank ≥ 3 (N, C, spatial…), got [${x.shape.join(",")}]`);
  return x;
}

function buildPool(context: OpBuildContext, kind: PoolKind): TeTensor {
  const x = poolInput(context);
  const spatialRank = x.shape.length - 2;
  const kernel = context.attributes.ints("kernel_shape");
  if (kernel.length !== spatialRank) {
    throw shapeError(context.node, `kernel_shape has ${kernel.length} dims for ${spatialRank} spatial dims`);
  }
  checkPoolAttributes(context, kind);
  const ceilMode = context.attributes.int("ceil_mode", 0) !== 0;
  const geometry = windowGeometry(context, x.shape.slice(2), kernel, ceilMode);
  const shape = [x.shape[0]!, x.shape[1]!, ...geometry.output];
  if (kind !== "lp" && isSeparable(geometry)) return separablePool(context, kind, x, geometry);
  return compute(outputName(context), shape, (indices) => poolBody(context, kind, x, geometry, indices), [
    "n",
    "c",
    ...spatialNames(spatialRank, "o"),
  ]);
}

function checkPoolAttributes(context: OpBuildContext, kind: PoolKind): void {
  if (kind !== "max") return;
  if (context.attributes.int("storage_order", 0) !== 0) throw unsupported(context.node, "storage_order 1");
  if (hasOutput(context, 1)) throw unsupported(context.node, "the Indices output of MaxPool");
}

function poolBody(
  context: OpBuildContext,
  kind: PoolKind,
  x: TeTensor,
  geometry: WindowGeometry,
  indices: readonly Expr[],
): Expr {
  const [batch, channel, ...spatial] = indices as [Expr, Expr, ...Expr[]];
  const reduction = reductionAxes(spatialNames(geometry.kernel.length, "r"), geometry.kernel);
  const positions = spatial.map((outIndex, dim) => windowPosition(geometry, dim, outIndex, reduction.indices[dim]!));
  switch (kind) {
    case "max":
      return reduceOver("max", reduction.axes, paddedLoad(x, [batch, channel], positions, geometry, lowestOf(x.dtype)));
    case "average": {
      const sum = reduceOver(
        "sum",
        reduction.axes,
        paddedLoad(x, [batch, channel], positions, geometry, zeroOf(x.dtype)),
      );
      const includePad = context.attributes.int("count_include_pad", 0) !== 0;
      return binary("div", sum, cast(windowCount(geometry, spatial, includePad), x.dtype));
    }
    case "lp": {
      const p = context.attributes.float("p", 2);
      const element = paddedLoad(x, [batch, channel], positions, geometry, zeroOf(x.dtype));
      return lpNorm(reduceOver("sum", reduction.axes, lpTerm(element, p)), p);
    }
  }
}

/**
 * Whether a 2-D window is worth reducing in two passes: both window dims
 * longer than 1, and windows along the width covering every column (stride
 * at most the window's span), so the first pass computes nothing unused.
 */
function isSeparable(geometry: WindowGeometry): boolean {
  if (geometry.kernel.length !== 2) return false;
  const span = (geometry.kernel[1]! - 1) * geometry.dilations[1]! + 1;
  return geometry.kernel.every((extent) => extent > 1) && geometry.strides[1]! <= span;
}

/** The geometry of a window of 1 along `dim`: that dim's positions are the output's own. */
function withoutWindowAlong(geometry: WindowGeometry, dim: number, extent: number): WindowGeometry {
  const set = <T>(values: readonly T[], value: T): T[] =>
    values.map((old, position) => (position === dim ? value : old));
  return {
    kernel: set(geometry.kernel, 1),
    strides: set(geometry.strides, 1),
    dilations: set(geometry.dilations, 1),
    padBegin: set(geometry.padBegin, 0),
    padEnd: set(geometry.padEnd, 0),
    input: set(geometry.input, extent),
    output: set(geometry.output, extent),
  };
}

/**
 * A 2-D max or average pool reduced in two passes (max and sum are
 * separable): `<name>_rows[n, c, oh, w]` reduces the window's rows at every
 * input column (contiguous, so it vectorizes into plain vector loads), then
 * the output reduces the window's columns of that. compute_at keeps one row
 * of the first pass per output row. Pads read the same identity in both.
 */
function separablePool(
  context: OpBuildContext,
  kind: "max" | "average",
  x: TeTensor,
  geometry: WindowGeometry,
): TeTensor {
  const [batches, channels, , width] = x.shape as [number, number, number, number];
  const op = kind === "max" ? "max" : "sum";
  const padValue = kind === "max" ? lowestOf(x.dtype) : zeroOf(x.dtype);
  const rowsGeometry = withoutWindowAlong(geometry, 1, width);
  const rows = compute(`${outputName(context)}_rows`, [batches, channels, geometry.output[0]!, width], (indices) => {
    const [batch, channel, outRow, column] = indices as [Expr, Expr, Expr, Expr];
    const reduction = reductionAxes(["r0"], [geometry.kernel[0]!]);
    const position = windowPosition(geometry, 0, outRow, reduction.indices[0]!);
    return reduceOver(op, reduction.axes, paddedLoad(x, [batch, channel], [position, column], rowsGeometry, padValue));
  });
  // Channels-last: the stage's dims follow the output's order, so compute_at nests it in the output's loops.
  const stage =
    layoutOf(context) === "NHWC"
      ? permutedView(withAxisOrder(rows, toChannelsLast(4)), toChannelsFirst(4), `${rows.name}_nchw`)
      : rows;
  const columnsGeometry = withoutWindowAlong(geometry, 0, geometry.output[0]!);
  const shape = [batches, channels, ...geometry.output];
  return compute(
    outputName(context),
    shape,
    (indices) => {
      const [batch, channel, outRow, outColumn] = indices as [Expr, Expr, Expr, Expr];
      const reduction = reductionAxes(["r1"], [geometry.kernel[1]!]);
      const position = windowPosition(geometry, 1, outColumn, reduction.indices[0]!);
      const element = paddedLoad(stage, [batch, channel], [outRow, position], columnsGeometry, padValue);
      const reduced = reduceOver(op, reduction.axes, element);
      if (kind === "max") return reduced;
      const includePad = context.attributes.int("count_include_pad", 0) !== 0;
      return binary("div", reduced, cast(windowCount(geometry, [outRow, outColumn], includePad), x.dtype));
    },
    ["n", "c", ...spatialNames(2, "o")],
  );
}

/** |x|^p, with the common exponents as products. */
function lpTerm(element: Expr, p: number): Expr {
  const magnitude = unary("abs", element);
  if (p === 1) return magnitude;
  if (p === 2) return mul(element, element);
  return binary("pow", magnitude, constant(p, element.dtype));
}

function lpNorm(sum: Expr, p: number): Expr {
  if (p === 1) return sum;
  if (p === 2) return unary("sqrt", sum);
  return binary("pow", sum, constant(1 / p, sum.dtype));
}

/**
 * The averaging divisor at one output position: the number of window taps
 * inside the input (or inside input + pads with count_include_pad), as an
 * int32 expression; a constant where no window of the dim is cut off.
 */
function windowCount(geometry: WindowGeometry, spatial: readonly Expr[], includePad: boolean): Expr {
  let count: Expr = int(1);
  spatial.forEach((outIndex, dim) => {
    const taps = tapsInside(geometry, dim, outIndex, includePad);
    count = count === int(1) ? taps : mul(count, taps);
  });
  return count;
}

function tapsInside(geometry: WindowGeometry, dim: number, outIndex: Expr, includePad: boolean): Expr {
  const kernel = geometry.kernel[dim]!;
  const dilation = geometry.dilations[dim]!;
  const low = includePad ? -geometry.padBegin[dim]! : 0;
  const high = includePad ? geometry.input[dim]! + geometry.padEnd[dim]! : geometry.input[dim]!;
  if (!windowLeaves(geometry, dim, low, high)) return int(kernel);
  const start = windowPosition(geometry, dim, outIndex, int(0));
  // First tap j with start + j·d ≥ low, and one past the last with start + j·d < high (ceil divisions).
  const first = maxExpr(int(0), div(add(sub(int(low), start), int(dilation - 1)), int(dilation)));
  const end = minExpr(int(kernel), div(add(sub(int(high), start), int(dilation - 1)), int(dilation)));
  return maxExpr(sub(end, first), int(0));
}

/** Whether some window of `dim` has taps outside [low, high). */
function windowLeaves(geometry: WindowGeometry, dim: number, low: number, high: number): boolean {
  const reach = windowReach(geometry, dim);
  const span = (geometry.kernel[dim]! - 1) * geometry.dilations[dim]!;
  const last = (geometry.output[dim]! - 1) * geometry.strides[dim]! - geometry.padBegin[dim]! + span;
  return (reach.low && -geometry.padBegin[dim]! < low) || last >= high;
}

/** Global pools: one window covering all spatial dims. */
function buildGlobalPool(context: OpBuildContext, kind: PoolKind): TeTensor {
  const x = poolInput(context);
  const spatialShape = x.shape.slice(2);
  const shape = [x.shape[0]!, x.shape[1]!, ...spatialShape.map(() => 1)];
  const p = kind === "lp" ? context.attributes.float("p", 2) : 0;
  return compute(outputName(context), shape, ([batch, channel]) => {
    const reduction = reductionAxes(spatialNames(spatialShape.length, "r"), spatialShape);
    const element = tload(x, [batch!, channel!, ...reduction.indices]);
    switch (kind) {
      case "max":
        return reduceOver("max", reduction.axes, element);
      case "average": {
        const count = spatialShape.reduce((product, extent) => product * extent, 1);
        return binary("div", reduceOver("sum", reduction.axes, element), constant(count, x.dtype));
      }
      case "lp":
        return lpNorm(reduceOver("sum", reduction.axes, lpTerm(element, p)), p);
    }
  });
}

const pool = (kind: PoolKind): OpDefinition => ({
  pattern: () => "reduction",
  build: (context) => [buildPool(context, kind)],
});

const globalPool = (kind: PoolKind): OpDefinition => ({
  pattern: () => "reduction",
  build: (context) => [buildGlobalPool(context, kind)],
});

export const MaxPool = pool("max");
export const AveragePool = pool("average");
export const LpPool = pool("lp");
export const GlobalMaxPool = globalPool("max");
export const GlobalAveragePool = globalPool("average");
export const GlobalLpPool = globalPool("lp");
