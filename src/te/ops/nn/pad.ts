/**
 * Pad (constant, reflect, edge, wrap). Each output position maps to an input
 * position along every dim; out-of-range positions are either replaced by
 * the constant (clamped load + select) or folded back into the input.
 */
import { type Expr, add, compare, constant, int, rem, select, sub, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError, unsupported } from "../../builders.js";
import {
  clampIndex,
  conjunction,
  constantInts,
  loadAt,
  optionalInput,
  outputName,
  requireInput,
  withinBounds,
  zeroOf,
} from "./common.js";

type PadMode = "constant" | "reflect" | "edge" | "wrap";

interface PadLayout {
  readonly begin: readonly number[];
  readonly end: readonly number[];
}

/** Pads per dim from the constant pads input (or the opset < 11 attribute), restricted to `axes` when given. */
function padLayout(context: OpBuildContext, rank: number): PadLayout {
  const pads = constantInts(context, 1, "pads") ?? [...context.attributes.ints("pads")];
  const axesGiven = constantInts(context, 3, "axes");
  const axes =
    axesGiven === null
      ? Array.from({ length: rank }, (_, dim) => dim)
      : axesGiven.map((axis) => normalizeAxis(context.node, axis, rank));
  if (pads.length !== 2 * axes.length)
    throw shapeError(context.node, `pads has ${pads.length} entries for ${axes.length} axes`);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((dim, position) => {
    begin[dim] = pads[position]!;
    end[dim] = pads[position + axes.length]!;
  });
  return { begin, end };
}

function padMode(context: OpBuildContext): PadMode {
  const mode = context.attributes.string("mode", "constant");
  if (mode === "constant" || mode === "reflect" || mode === "edge" || mode === "wrap") return mode;
  throw unsupported(context.node, `pad mode '${mode}'`);
}

/** The constant fill value: input 2 (read at run time, it need not be constant), the old `value` attribute, or 0. */
function fillValue(context: OpBuildContext, x: TeTensor): Expr {
  const value = optionalInput(context, 2)?.tensor ?? null;
  if (value !== null && value.shape.reduce((a, b) => a * b, 1) === 1)
    return tload(
      value,
      value.shape.map(() => int(0)),
    );
  if (context.attributes.has("value")) return constant(context.attributes.float("value"), x.dtype);
  return zeroOf(x.dtype);
}

function buildPad(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const rank = x.shape.length;
  const layout = padLayout(context, rank);
  const mode = padMode(context);
  const shape = x.shape.map((extent, dim) => extent + layout.begin[dim]! + layout.end[dim]!);
  if (shape.some((extent) => extent < 0)) throw shapeError(context.node, `pads remove more than the input has`);
  if (mode !== "constant" && x.shape.some((extent, dim) => extent === 0 && shape[dim]! > 0)) {
    throw shapeError(context.node, `cannot ${mode}-pad an empty dim`);
  }
  const fill = mode === "constant" ? fillValue(context, x) : zeroOf(x.dtype);
  return compute(outputName(context), shape, (indices) => {
    const conditions: (Expr | null)[] = [];
    const positions = indices.map((index, dim) => {
      const position = layout.begin[dim] === 0 ? index : sub(index, int(layout.begin[dim]!));
      const low = layout.begin[dim]! > 0;
      const high = layout.end[dim]! > 0;
      if (!low && !high) return position;
      if (mode === "constant") conditions.push(withinBounds(position, x.shape[dim]!, low, high));
      return foldPosition(mode, position, x.shape[dim]!);
    });
    const value = loadAt(x, positions);
    const inside = conjunction(conditions);
    return inside === null ? value : select(inside, value, fill);
  });
}

/** Maps a position that may lie outside [0, extent) back inside, per mode (constant: clamp; select picks the fill). */
function foldPosition(mode: PadMode, position: Expr, extent: number): Expr {
  switch (mode) {
    case "constant":
    case "edge":
      return clampIndex(position, extent);
    case "reflect": {
      const mirroredLow = select(compare("lt", position, int(0)), sub(int(0), position), position);
      const last = extent - 1;
      const mirrored = select(compare("gt", mirroredLow, int(last)), sub(int(2 * last), mirroredLow), mirroredLow);
      return clampIndex(mirrored, extent);
    }
    case "wrap":
      return rem(add(rem(position, int(extent)), int(extent)), int(extent));
  }
}

export const Pad: OpDefinition = {
  pattern: () => "injective",
  build: (context) => [buildPad(context)],
};
