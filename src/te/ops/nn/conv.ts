/**
 * Conv (1-D, 2-D, 3-D; grouped and depthwise) as a direct convolution:
 *
 *   out[n, m, o…] = sum(rc, r…; pad(x)[n, g·Cg + rc, o·s − pb + r·d…] · w[m, rc, r…]) + B[m]
 *
 * where g = m / (M / group). The bias is folded in as an epilogue of the
 * reduction, so a following activation fuses after it.
 *
 * Constant weights of a conv whose output channels come in whole vectors
 * per input group (a dense conv; a grouped one with M / group a multiple of
 * 4) are read through a packed copy laid out [ceil(M/8)][C/group][k…][8]
 * (zero-padded past M), marked `materialize` so the compiler folds it into
 * a new weight: the implicit-GEMM micro-kernel
 * (schedule/default-schedule-dense.ts) takes 8 output channels as its vector
 * columns and reads their weights for one (rc, r…) step as two contiguous
 * vectors, while each input element is one scalar broadcast.
 *
 * Channels-last convs read depthwise weights, and dense weights whose
 * output channels do not fill panels of 8 (ShuffleNet's 58), through a copy
 * laid out [k…][C/group][M]: the output channels are contiguous for every
 * (r…, rc) step, so any 4 neighbouring channels are one vector load and the
 * micro-kernel can cover M with overlapping column blocks instead of a
 * zero-padded panel whose padding it could not store.
 */
import { type Expr, add, binary, compare, constant, div, int, mul, rem, select, tload } from "../../expr.js";
import type { Node } from "../../../graph/ir.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError } from "../../builders.js";
import { VECTOR_LANES, outputName, optionalInput, requireInput, zeroOf } from "./common.js";
import { layoutOf } from "./channels-last.js";
import {
  type WindowGeometry,
  paddedLoad,
  reduceOver,
  reductionAxes,
  windowGeometry,
  windowPosition,
} from "./window.js";

/** The kernel's spatial shape: the kernel_shape attribute when given (checked against W), else W's. */
export function kernelShapeOf(context: OpBuildContext, weights: TeTensor): readonly number[] {
  const fromWeights = weights.shape.slice(2);
  const declared = context.attributes.ints("kernel_shape", fromWeights);
  if (declared.length !== fromWeights.length || declared.some((extent, dim) => extent !== fromWeights[dim])) {
    throw shapeError(
      context.node,
      `kernel_shape [${declared.join(",")}] does not match W's spatial dims [${fromWeights.join(",")}]`,
    );
  }
  return fromWeights;
}

function checkConvShapes(context: OpBuildContext, x: TeTensor, w: TeTensor, group: number): void {
  if (x.shape.length < 3 || x.shape.length > 5) {
    throw shapeError(context.node, `X must have rank 3 to 5 (N, C, spatial…), got [${x.shape.join(",")}]`);
  }
  if (w.shape.length !== x.shape.length) {
    throw shapeError(context.node, `W rank ${w.shape.length} differs from X rank ${x.shape.length}`);
  }
  if (group < 1 || x.shape[1]! !== w.shape[1]! * group || w.shape[0]! % group !== 0) {
    throw shapeError(
      context.node,
      `X channels ${x.shape[1]} and W [${w.shape.join(",")}] do not agree with group ${group}`,
    );
  }
}

function biasOf(context: OpBuildContext, channels: number): TeTensor | null {
  const bias = optionalInput(context, 2)?.tensor ?? null;
  if (bias === null) return null;
  if (bias.shape.length !== 1 || bias.shape[0] !== channels) {
    throw shapeError(context.node, `B must have shape [${channels}], got [${bias.shape.join(",")}]`);
  }
  return bias;
}

/** Output channels per packed weight panel: two f32x4 vectors. */
export const CHANNEL_PANEL = 8;

/** How a Conv reads its weights: channel panels, taps [k…][C/g][M] (both packed at compile time), or W itself. */
export type ConvWeightLayout = "panels" | "taps" | "plain";

/**
 * The weight layout of a Conv node (see the file comment). W must be
 * constant to be packed. Panels need each vector of 4 output channels within
 * one group (so the input a vector reads does not depend on the channel
 * within it); a channels-last conv reads taps instead when it is depthwise,
 * or dense with output channels that do not fill panels of 8.
 */
export function convWeightLayout(node: Node, channelsLast: boolean): ConvWeightLayout {
  const weights = node.inputs[1]?.constant;
  if (node.opType !== "Conv" || weights === undefined) return "plain";
  const [outputs, perGroupIn] = weights.shape;
  if (outputs === undefined || perGroupIn === undefined) return "plain";
  const group = convGroup(node);
  if (channelsLast && group === outputs && perGroupIn === 1) return "taps";
  if (group === 1) return channelsLast && outputs % CHANNEL_PANEL !== 0 ? "taps" : "panels";
  return (outputs / group) % VECTOR_LANES === 0 ? "panels" : "plain";
}

/** Whether a Conv runs the dense micro-kernel: packed weights, and not depthwise. */
export function convIsDense(node: Node, channelsLast: boolean): boolean {
  const layout = convWeightLayout(node, channelsLast);
  return layout === "panels" || (layout === "taps" && convGroup(node) === 1);
}

/** The Conv node's group attribute (1 when absent). */
export function convGroup(node: Node): number {
  const attribute = node.attributes.get("group");
  return attribute?.kind === "int" ? attribute.value : 1;
}

/**
 * W [M, C/g, k…] as [ceil(M/8), C/g, k…, 8], zero past M; with
 * `channelsInnermost`, [ceil(M/8), k…, C/g, 8] (the channels-last order, see
 * convBody).
 */
function packChannels(w: TeTensor, channelsInnermost: boolean): TeTensor {
  const [channels, perGroupIn, ...kernel] = w.shape as [number, number, ...number[]];
  const zero = constant(0, w.dtype);
  const window = spatialNames(kernel.length, "r");
  const names = channelsInnermost ? ["panel", ...window, "rc", "lane"] : ["panel", "rc", ...window, "lane"];
  const dims = channelsInnermost ? [...kernel, perGroupIn] : [perGroupIn, ...kernel];
  return compute(
    `${w.name}_panels`,
    [Math.ceil(channels / CHANNEL_PANEL), ...dims, CHANNEL_PANEL],
    ([panel, ...tail]) => {
      const lane = tail[tail.length - 1]!;
      const middle = tail.slice(0, -1);
      const source = channelsInnermost ? [middle[middle.length - 1]!, ...middle.slice(0, -1)] : middle;
      const channel = add(mul(panel!, int(CHANNEL_PANEL)), lane);
      if (channels % CHANNEL_PANEL === 0) return tload(w, [channel, ...source]);
      const clamped = binary("min", channel, int(channels - 1));
      const value = tload(w, [clamped, ...source]);
      return select(compare("lt", channel, int(channels)), value, zero);
    },
    names,
    { materialize: true },
  );
}

/** W [M, C/g, k…] as [k…, C/g, M]. */
function packTaps(w: TeTensor): TeTensor {
  const [channels, perGroupIn, ...kernel] = w.shape as [number, number, ...number[]];
  return compute(
    `${w.name}_taps`,
    [...kernel, perGroupIn, channels],
    (indices) => {
      const [reduced, channel] = indices.slice(-2) as [Expr, Expr];
      return tload(w, [channel, reduced, ...indices.slice(0, -2)]);
    },
    [...spatialNames(kernel.length, "r"), "rc", "m"],
    { materialize: true },
  );
}

interface ConvOperands {
  readonly x: TeTensor;
  readonly w: TeTensor;
  /** W re-laid in channel panels (see packChannels), or null to read W itself. */
  readonly packed: TeTensor | null;
  /** W re-laid [k…][C/g][M] (see packTaps), or null. */
  readonly taps: TeTensor | null;
  /** Reduce the input channel innermost (after the window), as channels-last input lays it out. */
  readonly channelsInnermost: boolean;
  readonly bias: TeTensor | null;
  readonly group: number;
  readonly geometry: WindowGeometry;
}

function buildConv(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const w = requireInput(context, 1).tensor;
  const group = context.attributes.int("group", 1);
  checkConvShapes(context, x, w, group);
  const kernel = kernelShapeOf(context, w);
  const geometry = windowGeometry(context, x.shape.slice(2), kernel);
  // Channels-last: the input channel is the innermost reduction loop, contiguous with the window's columns.
  const channelsInnermost = layoutOf(context) === "NHWC";
  const layout =
    requireInput(context, 1).constant !== null ? convWeightLayout(context.node, channelsInnermost) : "plain";
  const packed = layout === "panels" ? packChannels(w, channelsInnermost) : null;
  const taps = layout === "taps" ? packTaps(w) : null;
  const bias = biasOf(context, w.shape[0]!);
  const operands: ConvOperands = { x, w, packed, taps, bias, group, geometry, channelsInnermost };
  const shape = [x.shape[0]!, w.shape[0]!, ...geometry.output];
  const axisNames = ["n", "c", ...spatialNames(kernel.length, "o")];
  return compute(outputName(context), shape, (indices) => convBody(operands, indices), axisNames);
}

function convBody(operands: ConvOperands, indices: readonly Expr[]): Expr {
  const { x, w, packed, taps, bias, group, geometry, channelsInnermost } = operands;
  const [batch, channel, ...spatial] = indices as [Expr, Expr, ...Expr[]];
  const perGroupIn = w.shape[1]!;
  const perGroupOut = w.shape[0]! / group;
  const windowNames = spatialNames(geometry.kernel.length, "r");
  const reduction = channelsInnermost
    ? reductionAxes([...windowNames, "rc"], [...geometry.kernel, perGroupIn])
    : reductionAxes(["rc", ...windowNames], [perGroupIn, ...geometry.kernel]);
  const reducedChannel = channelsInnermost ? reduction.indices[reduction.indices.length - 1]! : reduction.indices[0]!;
  const window = channelsInnermost ? reduction.indices.slice(0, -1) : reduction.indices.slice(1);
  const inputChannel = group === 1 ? reducedChannel : groupChannel(channel, perGroupOut, perGroupIn, reducedChannel);
  const positions = spatial.map((outIndex, dim) => windowPosition(geometry, dim, outIndex, window[dim]!));
  const input = paddedLoad(x, [batch, inputChannel], positions, geometry, zeroOf(x.dtype));
  const weight =
    packed !== null
      ? tload(packed, [
          div(channel, int(CHANNEL_PANEL)),
          ...(channelsInnermost ? [...window, reducedChannel] : [reducedChannel, ...window]),
          rem(channel, int(CHANNEL_PANEL)),
        ])
      : taps !== null
        ? tload(taps, [...window, reducedChannel, channel])
        : tload(w, [channel, reducedChannel, ...window]);
  const sum = reduceOver("sum", reduction.axes, mul(input, weight));
  return bias === null ? sum : add(sum, tload(bias, [channel]));
}

/** Input channel (m / perGroupOut) · perGroupIn + rc of the group that output channel m belongs to. */
function groupChannel(channel: Expr, perGroupOut: number, perGroupIn: number, reducedChannel: Expr): Expr {
  const groupIndex = perGroupOut === 1 ? channel : div(channel, int(perGroupOut));
  const base = perGroupIn === 1 ? groupIndex : mul(groupIndex, int(perGroupIn));
  return reducedChannel === int(0) ? base : add(base, reducedChannel);
}

/** Axis names for `count` spatial dims: w; h, w; d, h, w; numbered beyond three. */
export function spatialNames(count: number, prefix: string): string[] {
  if (count > 3) return Array.from({ length: count }, (_, dim) => `${prefix}${dim}`);
  return ["d", "h", "w"].slice(3 - count).map((letter) => `${prefix}${letter}`);
}

export const Conv: OpDefinition = {
  pattern: () => "out-fusable",
  build: (context) => [buildConv(context)],
};
