/**
 * Helpers shared by op definitions: broadcasting, axis normalization and
 * shape errors. Everything here builds TE; nothing evaluates.
 */
import { TesseraError } from "../support/errors.js";
import { locationOf } from "../graph/attributes.js";
import type { Node } from "../graph/ir.js";
import { type Expr, int, tload } from "./expr.js";
import type { TeTensor } from "./tensor.js";

export function shapeError(node: Node, message: string): TesseraError {
  return new TesseraError("E_SHAPE_MISMATCH", message, locationOf(node));
}

export function unsupported(node: Node, message: string): TesseraError {
  return new TesseraError("E_UNSUPPORTED_ATTRIBUTE", message, locationOf(node));
}

/** Numpy-style broadcast of several shapes; throws E_SHAPE_MISMATCH naming the node. */
export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((shape) => shape.length));
  const out: number[] = [];
  for (let dim = 0; dim < rank; dim++) {
    let size = 1;
    for (const shape of shapes) {
      const offset = dim - (rank - shape.length);
      if (offset < 0) continue;
      const extent = shape[offset]!;
      if (extent === 1) continue;
      if (size !== 1 && size !== extent) {
        throw shapeError(node, `cannot broadcast shapes ${shapes.map((s) => `[${s.join(",")}]`).join(" and ")}`);
      }
      size = extent;
    }
    out.push(size);
  }
  return out;
}

/**
 * Loads `tensor` at the output indices of a broadcast result: leading
 * output dims the tensor lacks are dropped, size-1 dims read index 0.
 */
export function broadcastLoad(tensor: TeTensor, outputIndices: readonly Expr[]): Expr {
  const offset = outputIndices.length - tensor.shape.length;
  const indices = tensor.shape.map((extent, dim) => (extent === 1 ? int(0) : outputIndices[dim + offset]!));
  return tload(tensor, indices);
}

/** Resolves a possibly negative axis against `rank`; throws naming the node when out of range. */
export function normalizeAxis(node: Node, axis: number, rank: number): number {
  const resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw new TesseraError("E_INVALID_MODEL", `axis ${axis} is out of range for rank ${rank}`, locationOf(node));
  }
  return resolved;
}
