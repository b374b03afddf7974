/**
 * Views: ops that keep the bytes and only change the shape (Reshape,
 * Flatten, Squeeze, Unsqueeze, Identity, inference-mode Dropout). The runtime
 * aliases their output to their input; the computes built here read the
 * input at the same flat position, so the ops also work when evaluated as TE
 * or fused into a neighbour.
 */
import { constant, int } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError, unsupported } from "../../builders.js";
import {
  constantInts,
  hasOutput,
  loadAt,
  optionalInput,
  outputName,
  requireInput,
  reshapeCompute,
  sizeOf,
} from "./common.js";

/** Resolves Reshape's target: 0 copies the input dim (unless allowzero), one −1 takes the rest. */
export function reshapeTarget(
  context: OpBuildContext,
  input: readonly number[],
  requested: readonly number[],
): number[] {
  const allowZero = context.attributes.int("allowzero", 0) !== 0;
  const shape = requested.map((extent, dim) => {
    if (extent === 0 && !allowZero) {
      if (dim >= input.length)
        throw shapeError(context.node, `shape entry ${dim} is 0 but the input has rank ${input.length}`);
      return input[dim]!;
    }
    return extent;
  });
  const inferred = shape.indexOf(-1);
  if (inferred !== shape.lastIndexOf(-1)) throw shapeError(context.node, "shape has more than one -1 entry");
  if (shape.some((extent) => extent < -1)) throw shapeError(context.node, `invalid shape [${requested.join(",")}]`);
  const total = sizeOf(input);
  if (inferred >= 0) {
    const known = sizeOf(shape.filter((extent) => extent !== -1));
    if (known === 0 || total % known !== 0) {
      throw shapeError(context.node, `cannot reshape [${input.join(",")}] to [${requested.join(",")}]`);
    }
    shape[inferred] = total / known;
  }
  if (sizeOf(shape) !== total)
    throw shapeError(context.node, `cannot reshape [${input.join(",")}] to [${requested.join(",")}]`);
  return shape;
}

function buildReshape(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const requested = constantInts(context, 1, "the target shape") ?? context.attributes.ints("shape");
  return reshapeCompute(outputName(context), x, reshapeTarget(context, x.shape, requested));
}

function buildFlatten(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const rank = x.shape.length;
  const axis = context.attributes.int("axis", 1);
  const resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved > rank) throw shapeError(context.node, `axis ${axis} is out of range for rank ${rank}`);
  const shape = [sizeOf(x.shape.slice(0, resolved)), sizeOf(x.shape.slice(resolved))];
  return reshapeCompute(outputName(context), x, shape);
}

/** Axes from the constant input 1 (opset ≥ 13) or the `axes` attribute (older opsets), or null. */
function axesOf(context: OpBuildContext): readonly number[] | null {
  const fromInput = constantInts(context, 1, "axes");
  if (fromInput !== null) return fromInput;
  return context.attributes.has("axes") ? context.attributes.ints("axes") : null;
}

function buildSqueeze(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const requested = axesOf(context);
  const squeezed = new Set<number>();
  if (requested === null) {
    x.shape.forEach((extent, dim) => {
      if (extent === 1) squeezed.add(dim);
    });
  } else {
    for (const axis of requested) {
      const dim = normalizeAxis(context.node, axis, x.shape.length);
      if (x.shape[dim] !== 1) throw shapeError(context.node, `cannot squeeze dim ${dim} of size ${x.shape[dim]}`);
      squeezed.add(dim);
    }
  }
  const kept = x.shape.map((_, dim) => dim).filter((dim) => !squeezed.has(dim));
  return compute(
    outputName(context),
    kept.map((dim) => x.shape[dim]!),
    (indices) =>
      loadAt(
        x,
        x.shape.map((_, dim) => (squeezed.has(dim) ? int(0) : indices[kept.indexOf(dim)]!)),
      ),
  );
}

function buildUnsqueeze(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  const requested = axesOf(context);
  if (requested === null) throw shapeError(context.node, "Unsqueeze needs axes");
  const rank = x.shape.length + requested.length;
  const inserted = new Set(requested.map((axis) => normalizeAxis(context.node, axis, rank)));
  if (inserted.size !== requested.length) throw shapeError(context.node, `repeated axes [${requested.join(",")}]`);
  const kept: number[] = [];
  const shape: number[] = [];
  let next = 0;
  for (let dim = 0; dim < rank; dim++) {
    if (inserted.has(dim)) {
      shape.push(1);
    } else {
      kept.push(dim);
      shape.push(x.shape[next++]!);
    }
  }
  return compute(outputName(context), shape, (indices) =>
    loadAt(
      x,
      kept.map((dim) => indices[dim]!),
    ),
  );
}

function buildIdentity(context: OpBuildContext): TeTensor {
  const x = requireInput(context, 0).tensor;
  return compute(outputName(context), x.shape, (indices) => loadAt(x, indices));
}

/** Inference Dropout: the data unchanged and, when asked for, a mask of all true. */
function buildDropout(context: OpBuildContext): (TeTensor | null)[] {
  const training = optionalInput(context, 2);
  if (training !== null) {
    const isTraining = training.constant === null || Number(training.constant.data[0]) !== 0;
    if (isTraining)
      throw unsupported(context.node, "training_mode (only inference, training_mode = false, is supported)");
  }
  const x = requireInput(context, 0).tensor;
  const output = buildIdentity(context);
  if (!hasOutput(context, 1)) return [output];
  const mask = compute(outputName(context, 1), x.shape, () => constant(1, "bool"));
  return [output, mask];
}

const view = (build: (context: OpBuildContext) => TeTensor): OpDefinition => ({
  pattern: () => "view",
  build: (context) => [build(context)],
});

export const Reshape = view(buildReshape);
export const Flatten = view(buildFlatten);
export const Squeeze = view(buildSqueeze);
export const Unsqueeze = view(buildUnsqueeze);
export const Identity = view(buildIdentity);

export const Dropout: OpDefinition = {
  /** With its mask output Dropout computes a second tensor, so it is no longer a pure view. */
  pattern: (context) => (hasOutput(context, 1) ? "injective" : "view"),
  build: buildDropout,
};
