/**
 * Matrix products: MatMul (numpy semantics) and Gemm. Both are a single sum
 * over the inner dimension; Gemm's alpha/beta/C form the epilogue.
 */
import {
  type Expr,
  add,
  binary,
  compare,
  constant,
  div,
  int,
  makeIterVar,
  mul,
  reduce,
  rem,
  select,
  tload,
} from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { broadcastLoad, broadcastShapes, shapeError } from "../../builders.js";
import { VECTOR_LANES, optionalInput, outputName, requireInput } from "./common.js";

/**
 * MatMul: a 1-D left operand is a row [1, K] and a 1-D right operand a
 * column [K, 1], their unit dim removed from the result; leading (batch)
 * dims broadcast.
 */
function buildMatMul(context: OpBuildContext): TeTensor {
  const a = requireInput(context, 0).tensor;
  const b = requireInput(context, 1).tensor;
  if (a.shape.length === 0 || b.shape.length === 0)
    throw shapeError(context.node, "MatMul operands must not be scalars");
  const aRows = a.shape.length === 1 ? null : a.shape[a.shape.length - 2]!;
  const bColumns = b.shape.length === 1 ? null : b.shape[b.shape.length - 1]!;
  const inner = a.shape[a.shape.length - 1]!;
  const bInner = b.shape[Math.max(0, b.shape.length - 2)]!;
  if (inner !== bInner) {
    throw shapeError(context.node, `inner dims differ: [${a.shape.join(",")}] x [${b.shape.join(",")}]`);
  }
  const aBatch = a.shape.slice(0, Math.max(0, a.shape.length - 2));
  const bBatch = b.shape.slice(0, Math.max(0, b.shape.length - 2));
  const batch = broadcastShapes(context.node, [aBatch, bBatch]);
  const shape = [...batch, ...(aRows === null ? [] : [aRows]), ...(bColumns === null ? [] : [bColumns])];
  const k = makeIterVar("k", inner);
  const packed =
    requireInput(context, 1).constant !== null && bColumns !== null && bColumns % VECTOR_LANES === 0
      ? packColumns(b, bBatch, inner, bColumns, (batchIndices, row, column) => tload(b, [...batchIndices, row, column]))
      : null;
  return compute(outputName(context), shape, (indices) => {
    const batchIndices = indices.slice(0, batch.length);
    const row = aRows === null ? null : indices[batch.length]!;
    const column = bColumns === null ? null : indices[indices.length - 1]!;
    const left = aRows === null ? tload(a, [k.variable]) : batchedLoad(a, aBatch, batchIndices, [row!, k.variable]);
    const right =
      packed !== null
        ? loadPacked(packed, batchedIndices(bBatch, batchIndices), k.variable, column!)
        : bColumns === null
          ? tload(b, [k.variable])
          : batchedLoad(b, bBatch, batchIndices, [k.variable, column!]);
    return reduce("sum", [k], mul(left, right));
  });
}

/** Column panel width of packed weights: two f32x4 vectors, the default micro-kernel's width. */
export const PANEL_WIDTH = 8;

/**
 * A constant right operand re-laid as [batch…][ceil(N/8)][K][8] panels
 * (zero-padded past N), so the micro-kernel reads one contiguous panel row
 * per k step instead of striding across the whole matrix. Marked
 * `materialize`: the compiler evaluates it once, at compile time, into a
 * new weight. Only when 4 divides N: otherwise the last vector would cross
 * into a panel's zero padding, which it cannot store; the operand is then
 * read as [K][N] rows (Gemm's Bᵀ transposed at compile time), where any 4
 * neighbouring columns are contiguous and the micro-kernel covers N with
 * overlapping column blocks (a 10-class head).
 */
function packColumns(
  b: TeTensor,
  batch: readonly number[],
  inner: number,
  columns: number,
  read: (batchIndices: readonly Expr[], row: Expr, column: Expr) => Expr,
): TeTensor {
  const panels = Math.ceil(columns / PANEL_WIDTH);
  const zero = constant(0, b.dtype);
  return compute(
    `${b.name}_panels`,
    [...batch, panels, inner, PANEL_WIDTH],
    (indices) => {
      const [panel, row, lane] = indices.slice(batch.length);
      const column = add(mul(panel!, int(PANEL_WIDTH)), lane!);
      const batchIndices = indices.slice(0, batch.length);
      // Whole panels need no bounds test (and evaluate faster at compile time).
      if (columns % PANEL_WIDTH === 0) return read(batchIndices, row!, column);
      const clamped = binary("min", column, int(columns - 1));
      return select(compare("lt", column, int(columns)), read(batchIndices, row!, clamped), zero);
    },
    [...batch.map((_, dim) => `b${dim}`), "panel", "k", "lane"],
    { materialize: true },
  );
}

/** A constant [N, K] operand as [K, N], materialized at compile time. */
function transposeWeights(b: TeTensor): TeTensor {
  const [columns, inner] = b.shape as [number, number];
  return compute(`${b.name}_rows`, [inner, columns], ([k, n]) => tload(b, [n!, k!]), ["k", "n"], {
    materialize: true,
  });
}

function loadPacked(packed: TeTensor, batchIndices: readonly Expr[], row: Expr, column: Expr): Expr {
  return tload(packed, [...batchIndices, div(column, int(PANEL_WIDTH)), row, rem(column, int(PANEL_WIDTH))]);
}

/** The indices into an operand's batch dims that broadcast against the result's batch indices. */
function batchedIndices(batchShape: readonly number[], batchIndices: readonly Expr[]): Expr[] {
  const offset = batchIndices.length - batchShape.length;
  return batchShape.map((extent, dim) => (extent === 1 ? int(0) : batchIndices[dim + offset]!));
}

/** Loads a matrix operand whose batch dims broadcast against the result's. */
function batchedLoad(
  tensor: TeTensor,
  batchShape: readonly number[],
  batchIndices: readonly Expr[],
  matrix: readonly Expr[],
): Expr {
  return tload(tensor, [...batchedIndices(batchShape, batchIndices), ...matrix]);
}

/** Gemm: Y = alpha · A' · B' + beta · C, A' = transA ? Aᵀ : A, B' likewise, C broadcast to [M, N]. */
function buildGemm(context: OpBuildContext): TeTensor {
  const a = requireInput(context, 0).tensor;
  const b = requireInput(context, 1).tensor;
  const c = optionalInput(context, 2)?.tensor ?? null;
  if (a.shape.length !== 2 || b.shape.length !== 2) {
    throw shapeError(context.node, `A and B must be 2-D, got [${a.shape.join(",")}] and [${b.shape.join(",")}]`);
  }
  const transA = context.attributes.int("transA", 0) !== 0;
  const transB = context.attributes.int("transB", 0) !== 0;
  const alpha = context.attributes.float("alpha", 1);
  const beta = context.attributes.float("beta", 1);
  const [rows, inner] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [bInner, columns] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (inner !== bInner) throw shapeError(context.node, `inner dims differ: ${inner} vs ${bInner}`);
  const shape = [rows, columns];
  if (c !== null) broadcastToExactly(context, c, shape);
  const k = makeIterVar("k", inner);
  const constantB = requireInput(context, 1).constant !== null;
  // Columns off the vector grid read rows of B' (see packColumns); B' = Bᵀ is transposed at compile time.
  const rowsOfB = constantB && columns % VECTOR_LANES !== 0 && transB ? transposeWeights(b) : null;
  const readB = (kIndex: Expr, column: Expr): Expr =>
    rowsOfB !== null ? tload(rowsOfB, [kIndex, column]) : tload(b, transB ? [column, kIndex] : [kIndex, column]);
  const packed =
    constantB && columns % VECTOR_LANES === 0
      ? packColumns(b, [], inner, columns, (_, kIndex, column) => readB(kIndex, column))
      : null;
  return compute(
    outputName(context),
    shape,
    ([row, column]) => {
      const left = tload(a, transA ? [k.variable, row!] : [row!, k.variable]);
      const right = packed !== null ? loadPacked(packed, [], k.variable, column!) : readB(k.variable, column!);
      const product = scaled(reduce("sum", [k], mul(left, right)), alpha);
      if (c === null || beta === 0) return product;
      return add(product, scaled(broadcastLoad(c, [row!, column!]), beta));
    },
    ["m", "n"],
  );
}

function scaled(value: Expr, factor: number): Expr {
  return factor === 1 ? value : mul(value, constant(factor, value.dtype));
}

/** Checks that `tensor` broadcasts to `shape` without growing it (unidirectional broadcast). */
function broadcastToExactly(context: OpBuildContext, tensor: TeTensor, shape: readonly number[]): void {
  const result = broadcastShapes(context.node, [tensor.shape, shape]);
  if (result.length !== shape.length || result.some((extent, dim) => extent !== shape[dim])) {
    throw shapeError(context.node, `C [${tensor.shape.join(",")}] does not broadcast to [${shape.join(",")}]`);
  }
}

export const MatMul: OpDefinition = {
  pattern: () => "out-fusable",
  build: (context) => [buildMatMul(context)],
};

export const Gemm: OpDefinition = {
  pattern: () => "out-fusable",
  build: (context) => [buildGemm(context)],
};
