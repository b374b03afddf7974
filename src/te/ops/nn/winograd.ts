/**
 * Winograd convolution F(m×m, r×r) (Lavin & Gray), as the two transforms
 * around a batched matrix product:
 *
 *   V[ξ·α+ν, n, th, tw, c] = (Bᵀ d B)[ξ, ν]        d: the α×α input tile at (m·th − pt, m·tw − pl)
 *   M[ξ·α+ν, t, o]         = Σ_c V[ξ·α+ν, t, c] · U[ξ·α+ν, c, o]     (a MatMul; U = G g Gᵀ, folded at compile time)
 *   Y[n, o, h, w]          = (Aᵀ M Α)[h mod m, w mod m] + B[o]   of tile t = (n, ⌊h/m⌋, ⌊w/m⌋)
 *
 * with α = m + r − 1. The rewrite that introduces them (graph/passes/
 * winograd-conv.ts) lives in the "ai.tessera" domain: these are not ONNX ops.
 *
 * Both transforms select one of α² (or m²) closed-form sums by an index
 * (the tile position ξ·α+ν, or the output phase): a select evaluates every
 * arm, so their schedules (schedule/winograd-schedule.ts) unroll that index,
 * and the simplifier keeps the one arm each copy needs. The sums are built
 * row transform first, so the unrolled copies share the row sums.
 */
import { assert } from "../../../support/assert.js";
import { type Expr, add, compare, constant, div, int, mul, rem, select, sub, tload } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { shapeError, unsupported } from "../../builders.js";
import { clampIndex, conjunction, optionalInput, outputName, requireInput, withinBounds } from "./common.js";

/** The transform matrices of one F(m, r) variant. */
export interface WinogradTransform {
  /** Output tile size m. */
  readonly tile: number;
  /** Kernel size r. */
  readonly kernel: number;
  /** Input tile size α = m + r − 1. */
  readonly alpha: number;
  /** Aᵀ: m × α. */
  readonly outputMatrix: readonly (readonly number[])[];
  /** G: α × r. */
  readonly kernelMatrix: readonly (readonly number[])[];
  /** Bᵀ: α × α. */
  readonly inputMatrix: readonly (readonly number[])[];
}

/** F(2×2, 3×3): interpolation points 0, 1, −1, ∞; every input and output coefficient is 0 or ±1. */
export const WINOGRAD_F2_3: WinogradTransform = {
  tile: 2,
  kernel: 3,
  alpha: 4,
  outputMatrix: [
    [1, 1, 1, 0],
    [0, 1, -1, -1],
  ],
  kernelMatrix: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, -0.5, 0.5],
    [0, 0, 1],
  ],
  inputMatrix: [
    [1, 0, -1, 0],
    [0, 1, 1, 0],
    [0, -1, 1, 0],
    [0, 1, 0, -1],
  ],
};

/**
 * The transform of F(m, r) from Toom-Cook at the α − 1 finite `points` and
 * infinity (Lavin & Gray, section 4). Minimal filtering is the transpose of
 * the linear convolution s = h ∗ x of h (r taps) with x (m taps), computed
 * by evaluating both at the points, multiplying, and interpolating s:
 * s = V⁻¹ ((E_r h) ⊙ (E_m x)), where E_k evaluates a k-coefficient
 * polynomial (the infinity row takes the leading coefficient) and V is E_α.
 * Transposed: y = E_mᵀ ((E_r g) ⊙ (V⁻ᵀ d)), so Aᵀ = E_mᵀ, G = E_r, Bᵀ = V⁻ᵀ.
 * Row j of Bᵀ is then scaled by N_j = Π_{l≠j} (p_j − p_l), which makes it
 * integral, and row j of G by 1/N_j: the fractions stay in the weights,
 * transformed once at compile time in float64, and the input transform
 * multiplies by small integers only. `points` must be distinct integers.
 */
export function toomCookTransform(tile: number, kernel: number, points: readonly number[]): WinogradTransform {
  const alpha = tile + kernel - 1;
  assert(
    points.length === alpha - 1 && new Set(points).size === points.length,
    `F(${tile}, ${kernel}) needs ${alpha - 1} distinct finite points`,
  );
  // E_k: α × k; row j < α − 1 is (1, p_j, p_j², …), the last row picks the leading coefficient.
  const evaluation = (coefficients: number): number[][] =>
    Array.from({ length: alpha }, (_, j) =>
      Array.from({ length: coefficients }, (_, t) =>
        j < alpha - 1 ? points[j]! ** t : t === coefficients - 1 ? 1 : 0,
      ),
    );
  const inverse = invert(evaluation(alpha));
  const scales = Array.from({ length: alpha }, (_, j) =>
    j < alpha - 1 ? points.reduce((product, point, l) => (l === j ? product : product * (points[j]! - point)), 1) : 1,
  );
  const outputs = evaluation(tile);
  const clean = (value: number): number => (Math.abs(value - Math.round(value)) < 1e-9 ? Math.round(value) : value);
  return {
    tile,
    kernel,
    alpha,
    outputMatrix: Array.from({ length: tile }, (_, i) => outputs.map((row) => row[i]!)),
    kernelMatrix: evaluation(kernel).map((row, j) => row.map((value) => value / scales[j]!)),
    // Bᵀ[j][t] = V⁻¹[t][j] · N_j.
    inputMatrix: Array.from({ length: alpha }, (_, j) =>
      Array.from({ length: alpha }, (_, t) => clean(inverse[t]![j]! * scales[j]!) + 0),
    ),
  };
}

/** The inverse of a small square matrix, by Gauss-Jordan elimination with partial pivoting (float64). */
function invert(matrix: readonly (readonly number[])[]): number[][] {
  const size = matrix.length;
  const rows = matrix.map((row, i) => [...row, ...Array.from({ length: size }, (_, j) => (i === j ? 1 : 0))]);
  for (let column = 0; column < size; column++) {
    let pivot = column;
    for (let row = column + 1; row < size; row++) {
      if (Math.abs(rows[row]![column]!) > Math.abs(rows[pivot]![column]!)) pivot = row;
    }
    [rows[column], rows[pivot]] = [rows[pivot]!, rows[column]!];
    const lead = rows[column]![column]!;
    assert(lead !== 0, "singular matrix");
    rows[column] = rows[column]!.map((value) => value / lead);
    for (let row = 0; row < size; row++) {
      if (row === column) continue;
      const factor = rows[row]![column]!;
      if (factor !== 0) rows[row] = rows[row]!.map((value, index) => value - factor * rows[column]![index]!);
    }
  }
  return rows.map((row) => row.slice(size));
}

/**
 * F(2×2, 5×5) at 0, ±1, ±2 and infinity: 36 multiplies per 2×2 output tile
 * where the direct convolution does 100 (2.8× fewer). The same points as the
 * common F(4×4, 3×3); its input transform multiplies by integers up to 5.
 */
export const WINOGRAD_F2_5: WinogradTransform = toomCookTransform(2, 5, [0, 1, -1, 2, -2]);

/** Every transform the compiler uses: output tiles of 2×2, for 3×3 and 5×5 kernels. */
const TRANSFORMS: readonly WinogradTransform[] = [WINOGRAD_F2_3, WINOGRAD_F2_5];

export function winogradTransform(tile: number, kernel: number): WinogradTransform | null {
  return TRANSFORMS.find((transform) => transform.tile === tile && transform.kernel === kernel) ?? null;
}

/** Σ_k coefficients[k] · terms(k) over the nonzero coefficients, as adds and subtracts where they are ±1. */
function linearCombination(coefficients: readonly number[], term: (index: number) => Expr, dtype: "float32"): Expr {
  let sum: Expr | null = null;
  coefficients.forEach((coefficient, index) => {
    if (coefficient === 0) return;
    const value = term(index);
    const magnitude = Math.abs(coefficient);
    const scaled = magnitude === 1 ? value : mul(value, constant(magnitude, dtype));
    if (sum === null) sum = coefficient > 0 ? scaled : sub(constant(0, dtype), scaled);
    else sum = coefficient > 0 ? add(sum, scaled) : sub(sum, scaled);
  });
  return sum ?? constant(0, dtype);
}

/** select(index == 0, arms[0], select(index == 1, arms[1], … arms[last])). */
function selectByIndex(index: Expr, arms: readonly Expr[]): Expr {
  let result = arms[arms.length - 1]!;
  for (let position = arms.length - 2; position >= 0; position--) {
    result = select(compare("eq", index, int(position)), arms[position]!, result);
  }
  return result;
}

function transformOf(context: OpBuildContext): WinogradTransform {
  const tile = context.attributes.int("tile");
  const kernel = context.attributes.int("kernel");
  const transform = winogradTransform(tile, kernel);
  if (transform === null) throw unsupported(context.node, `Winograd F(${tile}, ${kernel})`);
  return transform;
}

/** Number of output tiles along a dim of `size` outputs. */
export function tileCount(size: number, tile: number): number {
  return Math.ceil(size / tile);
}

/**
 * WinogradInput(X) → V [α², N, TH, TW, C]. Attributes: tile, kernel, pads
 * [top, left, bottom, right] (the convolution's); positions outside X read 0.
 */
function buildInput(context: OpBuildContext): TeTensor {
  const transform = transformOf(context);
  const x = requireInput(context, 0).tensor;
  if (x.shape.length !== 4 || x.dtype !== "float32") {
    throw shapeError(context.node, `X must be float32 [N, C, H, W], got ${x.dtype} [${x.shape.join(",")}]`);
  }
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  const [top, left, bottom, right] = context.attributes.ints("pads", [0, 0, 0, 0]);
  const outHeight = height + top! + bottom! - transform.kernel + 1;
  const outWidth = width + left! + right! - transform.kernel + 1;
  if (outHeight < 1 || outWidth < 1) throw shapeError(context.node, "the kernel does not fit the padded input");
  const { tile, alpha, inputMatrix } = transform;
  const rows = tileCount(outHeight, tile);
  const columns = tileCount(outWidth, tile);
  const shape = [alpha * alpha, batch, rows, columns, channels];
  return compute(
    outputName(context),
    shape,
    ([position, n, th, tw, c]) => {
      const rowStart = sub(mul(th!, int(tile)), int(top!));
      const columnStart = sub(mul(tw!, int(tile)), int(left!));
      const element = (i: number, j: number): Expr =>
        paddedElement(x, [n!, c!], add(rowStart, int(i)), add(columnStart, int(j)), height, width);
      const rowSums = (i: number): Expr[] =>
        inputMatrix.map((coefficients) => linearCombination(coefficients, (j) => element(i, j), "float32"));
      const rowTransforms = Array.from({ length: alpha }, (_, i) => rowSums(i));
      const arms = inputMatrix.flatMap((outer) =>
        inputMatrix.map((_, nu) => linearCombination(outer, (i) => rowTransforms[i]![nu]!, "float32")),
      );
      return selectByIndex(position!, arms);
    },
    ["xy", "n", "th", "tw", "c"],
  );
}

/** x[prefix…, row, column], or 0 outside the input (indices clamped so the load stays in bounds). */
function paddedElement(
  x: TeTensor,
  prefix: readonly Expr[],
  row: Expr,
  column: Expr,
  height: number,
  width: number,
): Expr {
  const inBounds = conjunction([withinBounds(row, height), withinBounds(column, width)]);
  const value = tload(x, [...prefix, clampIndex(row, height), clampIndex(column, width)]);
  return inBounds === null ? value : select(inBounds, value, constant(0, x.dtype));
}

/**
 * WinogradOutput(M [α², N·TH·TW, O], B?) → Y [N, O, H, W]. Attributes: tile,
 * kernel, output_size [H, W].
 */
function buildOutput(context: OpBuildContext): TeTensor {
  const transform = transformOf(context);
  const products = requireInput(context, 0).tensor;
  const bias = optionalInput(context, 1)?.tensor ?? null;
  const [height, width] = context.attributes.ints("output_size") as [number, number];
  const { tile, alpha, outputMatrix } = transform;
  const rows = tileCount(height, tile);
  const columns = tileCount(width, tile);
  const [positions, tiles, channels] = products.shape as [number, number, number];
  if (products.shape.length !== 3 || positions !== alpha * alpha || tiles % (rows * columns) !== 0) {
    throw shapeError(context.node, `M [${products.shape.join(",")}] does not hold ${rows}×${columns} tiles`);
  }
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== channels)) {
    throw shapeError(context.node, `B must have shape [${channels}], got [${bias.shape.join(",")}]`);
  }
  const shape = [tiles / (rows * columns), channels, height, width];
  return compute(
    outputName(context),
    shape,
    ([n, o, h, w]) => {
      const t = add(mul(add(mul(n!, int(rows)), div(h!, int(tile))), int(columns)), div(w!, int(tile)));
      const product = (xi: number, nu: number): Expr => tload(products, [int(xi * alpha + nu), t, o!]);
      // (M Aᵀ)[ξ][b] for output column phase b, shared by every row phase a.
      const rightTransform = outputMatrix.map((columnCoefficients) =>
        Array.from({ length: alpha }, (_, xi) =>
          linearCombination(columnCoefficients, (nu) => product(xi, nu), "float32"),
        ),
      );
      // Arm a·m + b: (Aᵀ M A)[a][b] = Σ_ξ Aᵀ[a][ξ] (M Aᵀ)[ξ][b].
      const arms = outputMatrix.flatMap((rowCoefficients) =>
        outputMatrix.map((_, b) => linearCombination(rowCoefficients, (xi) => rightTransform[b]![xi]!, "float32")),
      );
      const phase = add(mul(rem(h!, int(tile)), int(tile)), rem(w!, int(tile)));
      const value = selectByIndex(phase, arms);
      return bias === null ? value : add(value, tload(bias, [o!]));
    },
    ["n", "c", "h", "w"],
  );
}

/** Never fused: its consumer is the MatMul's reshape, and its schedule is its own. */
export const WinogradInput: OpDefinition = {
  pattern: () => "opaque",
  build: (context) => [buildInput(context)],
};

/** Anchors a group, so the convolution's activation and residual add fuse into it as they did into the Conv. */
export const WinogradOutput: OpDefinition = {
  pattern: () => "out-fusable",
  build: (context) => [buildOutput(context)],
};
