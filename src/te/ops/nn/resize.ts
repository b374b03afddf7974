/**
 * Resize (and the older Upsample) in nearest and (multi-)linear modes. Each
 * resized axis maps an output index to a fractional input coordinate with
 * the coordinate_transformation_mode, computed in float32 in the order
 * onnxruntime uses; nearest rounds it per nearest_mode, linear blends the
 * two neighbours. Cubic is not supported.
 */
import { type Expr, binary, cast, constant, int, mul, sub, add, unary } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError, unsupported } from "../../builders.js";
import { isFloat } from "../../../support/dtype.js";
import {
  clampIndex,
  constantInput,
  invalidModel,
  loadAt,
  maxExpr,
  minExpr,
  outputName,
  requireInput,
} from "./common.js";
import { toNumberArray } from "../../../support/tensor-data.js";

type CoordinateMode =
  | "half_pixel"
  | "half_pixel_symmetric"
  | "pytorch_half_pixel"
  | "align_corners"
  | "asymmetric"
  | "tf_half_pixel_for_nn";
type NearestMode = "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil" | "simple";

interface AxisResize {
  readonly input: number;
  readonly output: number;
  readonly scale: number;
  /** The resized length the coordinate formulas use: the size, or input · scale (unrounded) when scales are given. */
  readonly length: number;
}

interface ResizePlan {
  readonly mode: "nearest" | "linear";
  readonly coordinates: CoordinateMode;
  readonly nearest: NearestMode;
  /** Null for an axis that keeps its size and coordinates (read directly). */
  readonly axes: readonly (AxisResize | null)[];
}

const COORDINATE_MODES: readonly string[] = [
  "half_pixel",
  "half_pixel_symmetric",
  "pytorch_half_pixel",
  "align_corners",
  "asymmetric",
  "tf_half_pixel_for_nn",
];
const NEAREST_MODES: readonly string[] = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"];

/**
 * Scales and sizes: inputs 2 and 3 in the opset 11 layout (X, roi, scales,
 * sizes), which the importer also gives normalized Upsample; input 1 in the
 * opset 10 layout (X, scales), or the opset 7 Upsample `scales` attribute.
 */
function scalesAndSizes(context: OpBuildContext): { scales: number[] | null; sizes: number[] | null } {
  const nonEmpty = (values: number[] | null): number[] | null =>
    values === null || values.length === 0 ? null : values;
  const read = (index: number, what: string): number[] | null => {
    const data = constantInput(context, index, what);
    return data === null ? null : toNumberArray(data);
  };
  if (context.attributes.has("scales")) return { scales: [...context.attributes.floats("scales")], sizes: null };
  if (context.node.inputs.length <= 2 && context.node.opset < 11)
    return { scales: nonEmpty(read(1, "scales")), sizes: null };
  return { scales: nonEmpty(read(2, "scales")), sizes: nonEmpty(read(3, "sizes")) };
}

/** Options outside nearest/linear resampling with the stretch policy are refused. */
function checkResizeOptions(context: OpBuildContext, mode: string, x: TeTensor): void {
  if (context.attributes.int("antialias", 0) !== 0) throw unsupported(context.node, "antialias");
  if (context.attributes.string("keep_aspect_ratio_policy", "stretch") !== "stretch")
    throw unsupported(context.node, "keep_aspect_ratio_policy other than stretch");
  if (mode === "linear" && !isFloat(x.dtype)) throw unsupported(context.node, `linear resize of ${x.dtype}`);
}

function resizePlan(context: OpBuildContext, x: TeTensor): ResizePlan {
  // Before opset 11 (Upsample, Resize-10) coordinates were asymmetric and rounding onnxruntime's "simple".
  const legacy = context.node.opset < 11 && !context.attributes.has("coordinate_transformation_mode");
  const mode = context.attributes.string("mode", "nearest");
  if (mode !== "nearest" && mode !== "linear")
    throw unsupported(context.node, `mode '${mode}' (nearest and linear are supported)`);
  const coordinates = legacy ? "asymmetric" : context.attributes.string("coordinate_transformation_mode", "half_pixel");
  if (!COORDINATE_MODES.includes(coordinates))
    throw unsupported(context.node, `coordinate_transformation_mode '${coordinates}'`);
  const nearest =
    legacy && !context.attributes.has("nearest_mode")
      ? "simple"
      : context.attributes.string("nearest_mode", "round_prefer_floor");
  if (nearest !== "simple" && !NEAREST_MODES.includes(nearest))
    throw unsupported(context.node, `nearest_mode '${nearest}'`);
  checkResizeOptions(context, mode, x);
  const rank = x.shape.length;
  const axes = context.attributes.has("axes")
    ? context.attributes.ints("axes").map((axis) => normalizeAxis(context.node, axis, rank))
    : x.shape.map((_, dim) => dim);
  const { scales, sizes } = scalesAndSizes(context);
  if ((scales === null) === (sizes === null))
    throw invalidModel(context, "exactly one of scales and sizes must be given");
  const given = (scales ?? sizes)!;
  if (given.length !== axes.length)
    throw shapeError(context.node, `${given.length} scales/sizes for ${axes.length} axes`);
  const perAxis: (AxisResize | null)[] = x.shape.map(() => null);
  axes.forEach((dim, position) => {
    const input = x.shape[dim]!;
    const output = sizes !== null ? sizes[position]! : Math.floor(input * scales![position]!);
    const scale = sizes !== null ? output / input : scales![position]!;
    if (output <= 0 || !(scale > 0)) throw shapeError(context.node, `axis ${dim} would resize ${input} to ${output}`);
    const identity = output === input && scale === 1 && coordinates !== "tf_half_pixel_for_nn";
    const length = sizes !== null ? output : input * scale;
    perAxis[dim] = identity ? null : { input, output, scale, length };
  });
  return { mode, coordinates: coordinates as CoordinateMode, nearest: nearest as NearestMode, axes: perAxis };
}

const f32 = (value: number): Expr => constant(value, "float32");
const fdiv = (a: Expr, b: Expr): Expr => binary("div", a, b);

/** The input coordinate of output index `index` along one axis (float32). */
function sourceCoordinate(mode: CoordinateMode, axis: AxisResize, index: Expr): Expr {
  const x = cast(index, "float32");
  const scale = f32(axis.scale);
  const halfPixel = (): Expr => sub(fdiv(add(x, f32(0.5)), scale), f32(0.5));
  switch (mode) {
    case "half_pixel":
      return halfPixel();
    case "half_pixel_symmetric": {
      const adjustment = axis.length / (axis.scale * axis.input);
      const offset = (axis.input / 2) * (1 - adjustment);
      return add(f32(offset), halfPixel());
    }
    case "pytorch_half_pixel":
      return axis.length > 1 ? halfPixel() : f32(0);
    case "align_corners":
      return axis.length === 1 ? f32(0) : fdiv(mul(x, f32(axis.input - 1)), f32(axis.length - 1));
    case "asymmetric":
      return fdiv(x, scale);
    case "tf_half_pixel_for_nn":
      return fdiv(add(x, f32(0.5)), scale);
  }
}

function roundNearest(mode: NearestMode, coordinate: Expr, axis: AxisResize): Expr {
  switch (mode) {
    case "round_prefer_floor":
      return unary("ceil", sub(coordinate, f32(0.5)));
    case "round_prefer_ceil":
      return unary("floor", add(coordinate, f32(0.5)));
    case "floor":
      return unary("floor", coordinate);
    case "ceil":
      return unary("ceil", coordinate);
    case "simple":
      return axis.scale < 1 ? unary("ceil", coordinate) : unary("floor", coordinate);
  }
}

function buildResize(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const plan = resizePlan(context, x);
  const shape = x.shape.map((extent, dim) => plan.axes[dim]?.output ?? extent);
  return compute(outputName(context), shape, (indices) =>
    plan.mode === "nearest" ? nearestBody(plan, x, indices) : linearBody(plan, x, indices),
  );
}

function nearestBody(plan: ResizePlan, x: TeTensor, indices: readonly Expr[]): Expr {
  return loadAt(
    x,
    indices.map((index, dim) => {
      const axis = plan.axes[dim];
      if (axis === null || axis === undefined) return index;
      const rounded = roundNearest(plan.nearest, sourceCoordinate(plan.coordinates, axis, index), axis);
      return clampIndex(cast(rounded, "int32"), axis.input);
    }),
  );
}

interface LinearTap {
  readonly low: Expr;
  readonly high: Expr;
  /** Weight of `high`; `low` gets 1 − fraction. */
  readonly fraction: Expr;
}

/** Blends the 2^k corners of the resized axes, each weighted by the product of its per-axis weights. */
function linearBody(plan: ResizePlan, x: TeTensor, indices: readonly Expr[]): Expr {
  const taps = indices.map((index, dim) => {
    const axis = plan.axes[dim];
    return axis === null || axis === undefined ? null : linearTap(plan.coordinates, axis, index);
  });
  const resized = taps.map((tap, dim) => (tap === null ? -1 : dim)).filter((dim) => dim >= 0);
  const toDtype = (value: Expr): Expr => cast(value, x.dtype);
  let total: Expr | null = null;
  for (let corner = 0; corner < 1 << resized.length; corner++) {
    let weight: Expr | null = null;
    const at = indices.map((index, dim) => {
      const tap = taps[dim];
      if (tap === null || tap === undefined) return index;
      const useHigh = (corner >> resized.indexOf(dim)) & 1;
      const factor = useHigh ? tap.fraction : sub(f32(1), tap.fraction);
      weight = weight === null ? factor : mul(weight, factor);
      return useHigh ? tap.high : tap.low;
    });
    const term = weight === null ? loadAt(x, at) : mul(toDtype(weight), loadAt(x, at));
    total = total === null ? term : add(total, term);
  }
  return total!;
}

/** Neighbours and blend weight along one axis; the coordinate is clamped to [0, in − 1] first (edge behaviour). */
function linearTap(mode: CoordinateMode, axis: AxisResize, index: Expr): LinearTap {
  const coordinate = minExpr(maxExpr(sourceCoordinate(mode, axis, index), f32(0)), f32(axis.input - 1));
  const floor = unary("floor", coordinate);
  const low = cast(floor, "int32");
  const high = minExpr(add(low, int(1)), int(axis.input - 1));
  return { low: clampIndex(low, axis.input), high, fraction: sub(coordinate, floor) };
}

export const Resize: OpDefinition = { pattern: () => "injective", build: (context) => [buildResize(context)] };
export const Upsample: OpDefinition = Resize;
