/**
 * Sliding-window geometry shared by Conv, ConvTranspose and the pools:
 * strides, dilations, explicit or automatic padding, output sizes, and the
 * padded loads they read (clamped indices + select of the pad value, so a
 * load never leaves its buffer).
 */
import {
  type Expr,
  type IterVar,
  add,
  int,
  makeIterVar,
  mul,
  reduce,
  select,
  sub,
  tload,
  type ReduceOp,
} from "../../expr.js";
import type { TeTensor } from "../../tensor.js";
import type { OpBuildContext } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { clampIndex, conjunction, spatialInts, withinBounds } from "./common.js";

export interface WindowGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  /** Spatial sizes of the input and of the output. */
  readonly input: readonly number[];
  readonly output: readonly number[];
}

/**
 * Reads strides, dilations, pads and auto_pad for a window op over the
 * spatial dims `input`. `ceilMode` rounds the output size up, dropping a last
 * window that would start in the end padding (as PyTorch and onnxruntime do).
 */
export function windowGeometry(
  context: OpBuildContext,
  input: readonly number[],
  kernel: readonly number[],
  ceilMode = false,
): WindowGeometry {
  const rank = input.length;
  const strides = spatialInts(context, "strides", rank, 1);
  const dilations = spatialInts(context, "dilations", rank, 1);
  const autoPad = context.attributes.string("auto_pad", "NOTSET");
  const padBegin: number[] = [];
  const padEnd: number[] = [];
  const output: number[] = [];
  for (let dim = 0; dim < rank; dim++) {
    const span = (kernel[dim]! - 1) * dilations[dim]! + 1;
    const stride = strides[dim]!;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      const size = Math.ceil(input[dim]! / stride);
      const total = Math.max(0, (size - 1) * stride + span - input[dim]!);
      const small = Math.floor(total / 2);
      padBegin.push(autoPad === "SAME_UPPER" ? small : total - small);
      padEnd.push(autoPad === "SAME_UPPER" ? total - small : small);
      output.push(size);
      continue;
    }
    if (autoPad !== "NOTSET" && autoPad !== "VALID") throw unsupported(context.node, `auto_pad '${autoPad}'`);
    const pads = autoPad === "VALID" ? new Array<number>(2 * rank).fill(0) : spatialInts(context, "pads", 2 * rank, 0);
    padBegin.push(pads[dim]!);
    padEnd.push(pads[dim + rank]!);
    output.push(outputSize(input[dim]!, pads[dim]!, pads[dim + rank]!, span, stride, ceilMode));
  }
  for (let dim = 0; dim < rank; dim++) {
    if (output[dim]! <= 0) {
      throw shapeError(
        context.node,
        `window of ${kernel[dim]} (dilation ${dilations[dim]}) does not fit input dim ${input[dim]} with pads`,
      );
    }
  }
  return { kernel, strides, dilations, padBegin, padEnd, input, output };
}

function outputSize(
  input: number,
  begin: number,
  end: number,
  span: number,
  stride: number,
  ceilMode: boolean,
): number {
  const room = input + begin + end - span;
  if (!ceilMode) return Math.floor(room / stride) + 1;
  let size = Math.ceil(room / stride) + 1;
  if ((size - 1) * stride >= input + begin) size -= 1;
  return size;
}

/** Whether window positions of `dim` can fall before the start / past the end of the input. */
export function windowReach(geometry: WindowGeometry, dim: number): { low: boolean; high: boolean } {
  const span = (geometry.kernel[dim]! - 1) * geometry.dilations[dim]!;
  const last = (geometry.output[dim]! - 1) * geometry.strides[dim]! - geometry.padBegin[dim]! + span;
  return { low: geometry.padBegin[dim]! > 0, high: last > geometry.input[dim]! - 1 };
}

/** The input position read by output position `outIndex` at window offset `windowIndex` along `dim`. */
export function windowPosition(geometry: WindowGeometry, dim: number, outIndex: Expr, windowIndex: Expr): Expr {
  const stride = geometry.strides[dim]!;
  const dilation = geometry.dilations[dim]!;
  let position = stride === 1 ? outIndex : mul(outIndex, int(stride));
  if (geometry.padBegin[dim]! !== 0) position = sub(position, int(geometry.padBegin[dim]!));
  const offset = dilation === 1 ? windowIndex : mul(windowIndex, int(dilation));
  return offset === int(0) ? position : add(position, offset);
}

/**
 * `tensor[prefix…, positions…]` where a position outside the input reads
 * `padValue`. Positions are clamped so the load is in bounds either way; dims
 * that can never leave the input get neither clamp nor check.
 */
export function paddedLoad(
  tensor: TeTensor,
  prefix: readonly Expr[],
  positions: readonly Expr[],
  geometry: WindowGeometry,
  padValue: Expr,
): Expr {
  const conditions: (Expr | null)[] = [];
  const indices = positions.map((position, dim) => {
    const reach = windowReach(geometry, dim);
    if (!reach.low && !reach.high) return position;
    conditions.push(withinBounds(position, geometry.input[dim]!, reach.low, reach.high));
    return clampIndex(position, geometry.input[dim]!);
  });
  const value = tload(tensor, [...prefix, ...indices]);
  const inBounds = conjunction(conditions);
  return inBounds === null ? value : select(inBounds, value, padValue);
}

/**
 * Reduction axes of the given extents, with size-1 axes dropped (their index
 * is the constant 0), so a 1×1 kernel or a depthwise channel loop adds no loop.
 */
export function reductionAxes(
  names: readonly string[],
  extents: readonly number[],
): { axes: IterVar[]; indices: Expr[] } {
  const axes: IterVar[] = [];
  const indices = extents.map((extent, position) => {
    if (extent === 1) return int(0);
    const axis = makeIterVar(names[position]!, extent);
    axes.push(axis);
    return axis.variable;
  });
  return { axes, indices };
}

/** `reduce(op, axes, body)`, or the body itself when there is nothing to reduce over. */
export function reduceOver(op: ReduceOp, axes: readonly IterVar[], body: Expr): Expr {
  return axes.length === 0 ? body : reduce(op, axes, body);
}
