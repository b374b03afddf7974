/**
 * ScatterElements (and the deprecated Scatter) and ScatterND, for
 * compile-time constant indices only. Knowing the indices, each output
 * element's writers are resolved in JS at build time; the TE is then a
 * chain of selects on the output's flat index, one per written element,
 * each combining data with the updates written there (in order). The cost
 * grows with the number of updates, which suits the small scatters models
 * use with constant indices; run-time indices are E_DYNAMIC_SHAPE.
 */
import { type Expr, binary, compare, int, select, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError, unsupported } from "../../builders.js";
import { constantInts, loadAt, outputName, ravel, requireInput, sizeOf, stridesOf } from "./common.js";

type Reduction = "none" | "add" | "mul" | "max" | "min";

/** Output flat index → update flat indices writing it, in update order. */
type Writers = Map<number, number[]>;

function reductionOf(context: OpBuildContext): Reduction {
  const reduction = context.attributes.string("reduction", "none");
  if (reduction === "none" || reduction === "add" || reduction === "mul" || reduction === "max" || reduction === "min")
    return reduction;
  throw unsupported(context.node, `reduction '${reduction}'`);
}

function unravelNumber(flat: number, shape: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return shape.map((extent, dim) => Math.floor(flat / strides[dim]!) % extent);
}

function wrapConstant(context: OpBuildContext, index: number, extent: number): number {
  const wrapped = index < 0 ? index + extent : index;
  if (wrapped < 0 || wrapped >= extent)
    throw shapeError(context.node, `index ${index} is out of range for a dim of ${extent}`);
  return wrapped;
}

function elementWriters(context: OpBuildContext, data: TeTensor, updates: TeTensor): Writers {
  const indices = constantInts(context, 1, "indices")!;
  const axis = normalizeAxis(context.node, context.attributes.int("axis", 0), data.shape.length);
  const shape = requireInput(context, 1).tensor.shape;
  const fits = shape.length === data.shape.length && shape.every((extent, dim) => extent === updates.shape[dim]);
  if (!fits)
    throw shapeError(context.node, `indices [${shape.join(",")}] and updates [${updates.shape.join(",")}] differ`);
  const dataStrides = stridesOf(data.shape);
  const writers: Writers = new Map();
  indices.forEach((value, updateFlat) => {
    const position = unravelNumber(updateFlat, shape);
    position[axis] = wrapConstant(context, value, data.shape[axis]!);
    const target = position.reduce((flat, index, dim) => flat + index * dataStrides[dim]!, 0);
    writers.set(target, [...(writers.get(target) ?? []), updateFlat]);
  });
  return writers;
}

function ndWriters(context: OpBuildContext, data: TeTensor, updates: TeTensor): Writers {
  const indices = constantInts(context, 1, "indices")!;
  const shape = requireInput(context, 1).tensor.shape;
  const depth = shape[shape.length - 1] ?? 0;
  const sliceShape = data.shape.slice(depth);
  const expected = [...shape.slice(0, -1), ...sliceShape];
  if (
    depth > data.shape.length ||
    expected.length !== updates.shape.length ||
    expected.some((extent, dim) => extent !== updates.shape[dim])
  ) {
    throw shapeError(
      context.node,
      `updates [${updates.shape.join(",")}] do not match indices [${shape.join(",")}] into data [${data.shape.join(",")}]`,
    );
  }
  const dataStrides = stridesOf(data.shape);
  const sliceSize = sizeOf(sliceShape);
  const writers: Writers = new Map();
  for (let tuple = 0; tuple < sizeOf(shape.slice(0, -1)); tuple++) {
    let base = 0;
    for (let position = 0; position < depth; position++) {
      base += wrapConstant(context, indices[tuple * depth + position]!, data.shape[position]!) * dataStrides[position]!;
    }
    for (let offset = 0; offset < sliceSize; offset++) {
      const target = base + offset;
      writers.set(target, [...(writers.get(target) ?? []), tuple * sliceSize + offset]);
    }
  }
  return writers;
}

function combine(reduction: Reduction, current: Expr, update: Expr): Expr {
  switch (reduction) {
    case "none":
      return update;
    case "add":
    case "mul":
    case "max":
    case "min":
      return binary(reduction, current, update);
  }
}

function buildScatter(
  context: OpBuildContext,
  writersOf: (context: OpBuildContext, data: TeTensor, updates: TeTensor) => Writers,
): TeTensor {
  const data = requireInput(context, 0).tensor;
  const updates = requireInput(context, 2).tensor;
  const reduction = reductionOf(context);
  const writers = writersOf(context, data, updates);
  const targets = [...writers.keys()].sort((a, b) => a - b);
  return compute(outputName(context), data.shape, (indices) => {
    const flat = ravel(indices, data.shape);
    const original = loadAt(data, indices);
    let value: Expr = original;
    for (const target of targets) {
      let written = original;
      for (const updateFlat of writers.get(target)!) {
        const update = tload(
          updates,
          unravelNumber(updateFlat, updates.shape).map((index) => int(index)),
        );
        written = combine(reduction, written, update);
      }
      value = select(compare("eq", flat, int(target)), written, value);
    }
    return value;
  });
}

/** Checks the indices are constant before anything else, so the error is E_DYNAMIC_SHAPE. */
function withConstantIndices(build: (context: OpBuildContext) => TeTensor): OpDefinition {
  return {
    pattern: () => "injective",
    build: (context) => {
      constantInts(context, 1, "indices");
      return [build(context)];
    },
  };
}

export const ScatterElements = withConstantIndices((context) => buildScatter(context, elementWriters));
export const Scatter = ScatterElements;
export const ScatterND = withConstantIndices((context) => buildScatter(context, ndWriters));
