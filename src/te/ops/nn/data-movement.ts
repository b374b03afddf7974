/**
 * Injective data movement: Concat, Split, Transpose, Slice, Expand, Tile.
 * Each output element reads one input element at an index computed from
 * its own; nothing is reduced.
 */
import { type Expr, add, compare, int, mul, rem, select, sub } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { broadcastLoad, broadcastShapes, normalizeAxis, shapeError } from "../../builders.js";
import { clampIndex, constantInts, invalidModel, loadAt, outputName, requireInput } from "./common.js";

/** All parts must share rank and every dim but `axis`. */
function checkConcatShapes(context: OpBuildContext, parts: readonly TeTensor[], axis: number): void {
  const first = parts[0]!;
  for (const part of parts) {
    const agrees =
      part.shape.length === first.shape.length &&
      part.shape.every((extent, dim) => dim === axis || extent === first.shape[dim]);
    if (agrees) continue;
    const shapes = `[${part.shape.join(",")}] with [${first.shape.join(",")}]`;
    throw shapeError(context.node, `cannot concatenate ${shapes} on axis ${axis}`);
  }
}

function buildConcat(context: OpBuildContext): TeTensor {
  const parts = context.inputs.map((_, index) => requireInput(context, index).tensor);
  if (parts.length === 0) throw invalidModel(context, "Concat needs at least one input");
  const first = parts[0]!;
  const axis = normalizeAxis(context.node, context.attributes.int("axis"), first.shape.length);
  checkConcatShapes(context, parts, axis);
  const nonEmpty = parts.filter((part) => part.shape[axis]! > 0);
  const offsets: number[] = [];
  let total = 0;
  for (const part of nonEmpty) {
    offsets.push(total);
    total += part.shape[axis]!;
  }
  const shape = first.shape.map((extent, dim) => (dim === axis ? total : extent));
  return compute(outputName(context), shape, (indices) => {
    const position = indices[axis]!;
    const partLoad = (index: number): Expr => {
      const part = nonEmpty[index]!;
      const local = offsets[index] === 0 ? position : sub(position, int(offsets[index]!));
      const clamped = nonEmpty.length === 1 ? local : clampIndex(local, part.shape[axis]!);
      return loadAt(
        part,
        indices.map((other, dim) => (dim === axis ? clamped : other)),
      );
    };
    if (nonEmpty.length === 0) return loadAt(first, indices);
    let value = partLoad(nonEmpty.length - 1);
    for (let index = nonEmpty.length - 2; index >= 0; index--) {
      value = select(compare("lt", position, int(offsets[index + 1]!)), partLoad(index), value);
    }
    return value;
  });
}

/** Split sizes: the constant input 1, the `split` attribute (old opsets), num_outputs, or equal parts. */
function splitSizes(context: OpBuildContext, extent: number): number[] {
  const outputs = context.node.outputs.length;
  const given =
    constantInts(context, 1, "split") ??
    (context.attributes.has("split") ? [...context.attributes.ints("split")] : null);
  if (given !== null) {
    if (given.length !== outputs || given.reduce((a, b) => a + b, 0) !== extent || given.some((size) => size < 0)) {
      throw shapeError(
        context.node,
        `split sizes [${given.join(",")}] do not cover dim ${extent} in ${outputs} outputs`,
      );
    }
    return given;
  }
  if (context.attributes.has("num_outputs")) {
    const count = context.attributes.int("num_outputs");
    const chunk = Math.ceil(extent / count);
    return Array.from({ length: count }, (_, index) => Math.max(0, Math.min(chunk, extent - index * chunk)));
  }
  if (extent % outputs !== 0)
    throw shapeError(context.node, `dim ${extent} does not split into ${outputs} equal parts`);
  return new Array<number>(outputs).fill(extent / outputs);
}

function buildSplit(context: OpBuildContext): TeTensor[] {
  const x = requireInput(context, 0).tensor;
  const axis = normalizeAxis(context.node, context.attributes.int("axis", 0), x.shape.length);
  const sizes = splitSizes(context, x.shape[axis]!);
  let offset = 0;
  return sizes.map((size, output) => {
    const start = offset;
    offset += size;
    const shape = x.shape.map((extent, dim) => (dim === axis ? size : extent));
    return compute(outputName(context, output), shape, (indices) =>
      loadAt(
        x,
        indices.map((index, dim) => (dim === axis && start !== 0 ? add(index, int(start)) : index)),
      ),
    );
  });
}

function buildTranspose(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const rank = x.shape.length;
  const reversed = x.shape.map((_, dim) => rank - 1 - dim);
  const perm = context.attributes.ints("perm", reversed);
  const valid = perm.length === rank && new Set(perm).size === rank && perm.every((dim) => dim >= 0 && dim < rank);
  if (!valid) throw shapeError(context.node, `perm [${perm.join(",")}] is not a permutation of rank ${rank}`);
  const shape = perm.map((dim) => x.shape[dim]!);
  return compute(outputName(context), shape, (indices) => {
    const source = new Array<Expr>(rank);
    perm.forEach((inputDim, outputDim) => {
      source[inputDim] = indices[outputDim]!;
    });
    return loadAt(x, source);
  });
}

interface SliceAxis {
  readonly start: number;
  readonly step: number;
  readonly size: number;
}

/** Clamps one axis's start/end per the ONNX spec (negative steps clamp to [-1, dim-1]). */
function sliceAxis(start: number, end: number, step: number, extent: number): SliceAxis {
  const resolve = (value: number): number => (value < 0 ? value + extent : value);
  let first = resolve(start);
  let last = resolve(end);
  if (step > 0) {
    first = Math.min(Math.max(first, 0), extent);
    last = Math.min(Math.max(last, 0), extent);
  } else {
    first = Math.min(Math.max(first, 0), extent - 1);
    last = Math.min(Math.max(last, -1), extent - 1);
  }
  const size = Math.max(0, Math.ceil((last - first) / step));
  return { start: first, step, size };
}

function buildSlice(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const rank = x.shape.length;
  const starts = constantInts(context, 1, "starts") ?? [...context.attributes.ints("starts")];
  const ends = constantInts(context, 2, "ends") ?? [...context.attributes.ints("ends")];
  const axes = constantInts(context, 3, "axes") ?? [
    ...context.attributes.ints(
      "axes",
      starts.map((_, index) => index),
    ),
  ];
  const steps = constantInts(context, 4, "steps") ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
    throw shapeError(context.node, "starts, ends, axes and steps differ in length");
  }
  const perAxis: (SliceAxis | null)[] = new Array(rank).fill(null);
  starts.forEach((start, index) => {
    const dim = normalizeAxis(context.node, axes[index]!, rank);
    if (steps[index] === 0) throw invalidModel(context, "slice step must not be 0");
    perAxis[dim] = sliceAxis(start, ends[index]!, steps[index]!, x.shape[dim]!);
  });
  const shape = x.shape.map((extent, dim) => perAxis[dim]?.size ?? extent);
  return compute(outputName(context), shape, (indices) =>
    loadAt(
      x,
      indices.map((index, dim) => {
        const slice = perAxis[dim];
        if (slice === null || slice === undefined) return index;
        const scaled = slice.step === 1 ? index : mul(index, int(slice.step));
        return slice.start === 0 ? scaled : add(scaled, int(slice.start));
      }),
    ),
  );
}

function buildExpand(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const requested = constantInts(context, 1, "the target shape");
  if (requested === null) throw invalidModel(context, "Expand needs a shape input");
  const shape = broadcastShapes(context.node, [x.shape, requested]);
  return compute(outputName(context), shape, (indices) => broadcastLoad(x, indices));
}

function buildTile(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const repeats = constantInts(context, 1, "repeats");
  if (repeats === null || repeats.length !== x.shape.length || repeats.some((count) => count < 0)) {
    throw shapeError(context.node, `repeats must hold ${x.shape.length} non-negative counts`);
  }
  const shape = x.shape.map((extent, dim) => extent * repeats[dim]!);
  return compute(outputName(context), shape, (indices) =>
    loadAt(
      x,
      indices.map((index, dim) => (repeats[dim] === 1 ? index : tiledIndex(index, x.shape[dim]!))),
    ),
  );
}

/** The input index of a tiled output index: index mod extent. */
function tiledIndex(index: Expr, extent: number): Expr {
  return extent === 1 ? int(0) : rem(index, int(extent));
}

const injective = (build: (context: OpBuildContext) => TeTensor): OpDefinition => ({
  pattern: () => "injective",
  build: (context) => [build(context)],
});

export const Concat = injective(buildConcat);
export const Transpose = injective(buildTranspose);
export const Slice = injective(buildSlice);
export const Expand = injective(buildExpand);
export const Tile = injective(buildTile);

export const Split: OpDefinition = {
  pattern: () => "injective",
  build: buildSplit,
};
