/**
 * Indexed reads: Gather, GatherElements, GatherND. Index tensors are loaded
 * at run time and cast to int32; a negative index counts from the end of its
 * dim, and every index is clamped so the load stays in bounds (ONNX leaves
 * out-of-range indices undefined; this makes them read the edge instead).
 */
import { type Expr, add, cast, compare, int, select, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError } from "../../builders.js";
import { clampIndex, loadAt, outputName, requireInput, sizeOf } from "./common.js";
import { elementAsNumber } from "../../../support/tensor-data.js";

/** `index` made non-negative (−1 is the last element) and clamped into [0, extent). */
export function wrapIndex(index: Expr, extent: number): Expr {
  const wrapped = select(compare("lt", index, int(0)), add(index, int(extent)), index);
  return clampIndex(wrapped, extent);
}

/** The int32 index read from `indices` at `at`, wrapped and clamped for a dim of `extent`. */
function indexFrom(indices: TeTensor, at: readonly Expr[], extent: number): Expr {
  return wrapIndex(cast(tload(indices, at), "int32"), extent);
}

function buildGather(context: OpBuildContext): TeTensor {
  const data = requireInput(context, 0).tensor;
  const indicesInput = requireInput(context, 1);
  const indices = indicesInput.tensor;
  const axis = normalizeAxis(context.node, context.attributes.int("axis", 0), data.shape.length);
  const extent = data.shape[axis]!;
  const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
  const known = indicesInput.constant;
  return compute(outputName(context), shape, (outIndices) => {
    const at = outIndices.slice(axis, axis + indices.shape.length);
    const position =
      known !== null && sizeOf(known.shape) === 1
        ? knownIndex(elementAsNumber(known, 0), extent)
        : indexFrom(indices, at, extent);
    const rest = outIndices.slice(axis + indices.shape.length);
    return loadAt(data, [...outIndices.slice(0, axis), position, ...rest]);
  });
}

/** A compile-time index (the common Shape → Gather pattern), wrapped and clamped in JS. */
function knownIndex(value: number, extent: number): Expr {
  const wrapped = value < 0 ? value + extent : value;
  return int(Math.min(Math.max(wrapped, 0), Math.max(extent - 1, 0)));
}

function buildGatherElements(context: OpBuildContext): TeTensor {
  const data = requireInput(context, 0).tensor;
  const indices = requireInput(context, 1).tensor;
  const rank = data.shape.length;
  const axis = normalizeAxis(context.node, context.attributes.int("axis", 0), rank);
  const fits =
    indices.shape.length === rank && indices.shape.every((extent, dim) => dim === axis || extent <= data.shape[dim]!);
  if (!fits)
    throw shapeError(context.node, `indices [${indices.shape.join(",")}] do not fit data [${data.shape.join(",")}]`);
  return compute(outputName(context), indices.shape, (outIndices) => {
    const position = sizeOf(indices.shape) === 0 ? int(0) : indexFrom(indices, outIndices, data.shape[axis]!);
    return loadAt(
      data,
      outIndices.map((index, dim) => (dim === axis ? position : index)),
    );
  });
}

function buildGatherND(context: OpBuildContext): TeTensor {
  const data = requireInput(context, 0).tensor;
  const indices = requireInput(context, 1).tensor;
  const batchDims = context.attributes.int("batch_dims", 0);
  const depth = indices.shape[indices.shape.length - 1] ?? 0;
  const valid =
    indices.shape.length >= 1 &&
    batchDims < Math.min(data.shape.length, indices.shape.length) &&
    batchDims + depth <= data.shape.length &&
    data.shape.slice(0, batchDims).every((extent, dim) => extent === indices.shape[dim]);
  if (!valid)
    throw shapeError(
      context.node,
      `indices [${indices.shape.join(",")}] do not index data [${data.shape.join(",")}] with batch_dims ${batchDims}`,
    );
  const outer = indices.shape.slice(0, -1);
  const shape = [...outer, ...data.shape.slice(batchDims + depth)];
  return compute(outputName(context), shape, (outIndices) => {
    const leading = outIndices.slice(0, outer.length);
    const gathered = Array.from({ length: depth }, (_, position) =>
      indexFrom(indices, [...leading, int(position)], data.shape[batchDims + position]!),
    );
    const batch = outIndices.slice(0, batchDims);
    return loadAt(data, [...batch, ...gathered, ...outIndices.slice(outer.length)]);
  });
}

const injective = (build: (context: OpBuildContext) => TeTensor): OpDefinition => ({
  pattern: () => "injective",
  build: (context) => [build(context)],
});

export const Gather = injective(buildGather);
export const GatherElements = injective(buildGatherElements);
export const GatherND = injective(buildGatherND);
