/**
 * ConvTranspose as a gather over the input (no scatter, so it stays one
 * reduction per output element):
 *
 *   out[n, m, o…] = sum(rc, r…; x[n, g·Cg + rc, i…] · w[g·Cg + rc, m % Mg, r…]) + B[m]
 *   where o + padBegin = i·stride + r·dilation,
 *
 * taps whose i is fractional or outside the input contribute 0 (clamped
 * load + select). g = m / Mg, Cg = C / group, Mg = M / group.
 */
import { type Expr, add, compare, div, int, mul, rem, select, sub, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { clampIndex, conjunction, optionalInput, outputName, requireInput, spatialInts, zeroOf } from "./common.js";
import { kernelShapeOf, spatialNames } from "./conv.js";
import { reduceOver, reductionAxes } from "./window.js";

interface TransposeGeometry {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBegin: readonly number[];
  readonly input: readonly number[];
  readonly output: readonly number[];
}

/** Output sizes and start padding per the ONNX spec (output_shape, auto_pad, pads, output_padding). */
function transposeGeometry(
  context: OpBuildContext,
  input: readonly number[],
  kernel: readonly number[],
): TransposeGeometry {
  const rank = input.length;
  const strides = spatialInts(context, "strides", rank, 1);
  const dilations = spatialInts(context, "dilations", rank, 1);
  const outputPadding = spatialInts(context, "output_padding", rank, 0);
  const autoPad = context.attributes.string("auto_pad", "NOTSET");
  if (!["NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"].includes(autoPad))
    throw unsupported(context.node, `auto_pad '${autoPad}'`);
  const requested = context.attributes.has("output_shape")
    ? context.attributes.ints("output_shape").slice(-rank)
    : null;
  const pads = autoPad === "NOTSET" ? spatialInts(context, "pads", 2 * rank, 0) : new Array<number>(2 * rank).fill(0);
  const padBegin: number[] = [];
  const output: number[] = [];
  for (let dim = 0; dim < rank; dim++) {
    const natural = strides[dim]! * (input[dim]! - 1) + outputPadding[dim]! + (kernel[dim]! - 1) * dilations[dim]! + 1;
    const target = targetSize(autoPad, requested?.[dim] ?? null, input[dim]! * strides[dim]!);
    if (target === null) {
      padBegin.push(pads[dim]!);
      output.push(natural - pads[dim]! - pads[dim + rank]!);
      continue;
    }
    padBegin.push(startPadding(autoPad, natural - target));
    output.push(target);
  }
  if (output.some((extent) => extent <= 0))
    throw shapeError(context.node, `output size [${output.join(",")}] is not positive`);
  return { kernel, strides, dilations, padBegin, input, output };
}

/** The output size asked for by output_shape, or implied by SAME auto_pad (input · stride); null when pads decide. */
function targetSize(autoPad: string, requested: number | null, sameSize: number): number | null {
  if (requested !== null) return requested;
  return autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER" ? sameSize : null;
}

/**
 * The start padding that removes `total` from the natural size: the odd
 * element goes to the end for SAME_UPPER, to the start otherwise (the ONNX
 * reference). A negative total (a larger requested size) pads nothing at the
 * start: the extra positions at the end receive no taps.
 */
function startPadding(autoPad: string, total: number): number {
  if (total < 0) return 0;
  const half = Math.floor(total / 2);
  return autoPad === "SAME_UPPER" ? half : total - half;
}

interface TransposeOperands {
  readonly x: TeTensor;
  readonly w: TeTensor;
  readonly bias: TeTensor | null;
  readonly group: number;
  readonly geometry: TransposeGeometry;
}

function buildConvTranspose(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const w = requireInput(context, 1).tensor;
  const group = context.attributes.int("group", 1);
  if (
    x.shape.length < 3 ||
    w.shape.length !== x.shape.length ||
    x.shape[1] !== w.shape[0] ||
    x.shape[1]! % group !== 0
  ) {
    throw shapeError(
      context.node,
      `X [${x.shape.join(",")}] and W [${w.shape.join(",")}] do not agree (group ${group})`,
    );
  }
  const outChannels = w.shape[1]! * group;
  const bias = optionalInput(context, 2)?.tensor ?? null;
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== outChannels)) {
    throw shapeError(context.node, `B must have shape [${outChannels}], got [${bias.shape.join(",")}]`);
  }
  const geometry = transposeGeometry(context, x.shape.slice(2), kernelShapeOf(context, w));
  const operands: TransposeOperands = { x, w, bias, group, geometry };
  const shape = [x.shape[0]!, outChannels, ...geometry.output];
  const axisNames = ["n", "c", ...spatialNames(geometry.kernel.length, "o")];
  return compute(outputName(context), shape, (indices) => transposeBody(operands, indices), axisNames);
}

function transposeBody(operands: TransposeOperands, indices: readonly Expr[]): Expr {
  const { x, w, bias, group, geometry } = operands;
  const [batch, channel, ...spatial] = indices as [Expr, Expr, ...Expr[]];
  const perGroupIn = x.shape[1]! / group;
  const perGroupOut = w.shape[1]!;
  const reduction = reductionAxes(
    ["rc", ...spatialNames(geometry.kernel.length, "r")],
    [perGroupIn, ...geometry.kernel],
  );
  const [reducedChannel, ...window] = reduction.indices as [Expr, ...Expr[]];
  const groupBase = group === 1 ? int(0) : mul(div(channel, int(perGroupOut)), int(perGroupIn));
  const inputChannel = groupBase === int(0) ? reducedChannel : add(groupBase, reducedChannel);
  const weightChannel = group === 1 ? channel : rem(channel, int(perGroupOut));
  const conditions: (Expr | null)[] = [];
  const positions = spatial.map((outIndex, dim) => {
    const tap = inputPosition(geometry, dim, outIndex, window[dim]!);
    conditions.push(tap.valid);
    return tap.index;
  });
  const input = tload(x, [batch, inputChannel, ...positions]);
  const weight = tload(w, [inputChannel, weightChannel, ...window]);
  const valid = conjunction(conditions);
  const term = mul(input, weight);
  const sum = reduceOver("sum", reduction.axes, valid === null ? term : select(valid, term, zeroOf(x.dtype)));
  return bias === null ? sum : add(sum, tload(bias, [channel]));
}

/** The input index i with i·s = o + padBegin − r·d (clamped), and whether it is an integer inside the input. */
function inputPosition(
  geometry: TransposeGeometry,
  dim: number,
  outIndex: Expr,
  windowIndex: Expr,
): { index: Expr; valid: Expr | null } {
  const stride = geometry.strides[dim]!;
  const dilation = geometry.dilations[dim]!;
  const extent = geometry.input[dim]!;
  const shifted = geometry.padBegin[dim] === 0 ? outIndex : add(outIndex, int(geometry.padBegin[dim]!));
  const offset = dilation === 1 ? windowIndex : mul(windowIndex, int(dilation));
  const numerator = windowIndex === int(0) ? shifted : sub(shifted, offset);
  const quotient = stride === 1 ? numerator : div(numerator, int(stride));
  const checks: (Expr | null)[] = [
    compare("ge", numerator, int(0)),
    stride === 1 ? null : compare("eq", rem(numerator, int(stride)), int(0)),
    compare("lt", quotient, int(extent)),
  ];
  return { index: clampIndex(quotient, extent), valid: conjunction(checks) };
}

export const ConvTranspose: OpDefinition = {
  pattern: () => "out-fusable",
  build: (context) => [buildConvTranspose(context)],
};
