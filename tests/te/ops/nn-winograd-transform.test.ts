/**
 * The Winograd transform matrices: Aᵀ ((G g) ⊙ (Bᵀ d)) must be the
 * correlation y_i = Σ_k g_k d_{i+k} for every tile d and filter g. Checked in
 * float64 on random vectors for the hand-written F(2, 3), the Toom-Cook
 * F(2, 5) that the 5×5 convs use, and other sizes of the same construction.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type WinogradTransform,
  WINOGRAD_F2_3,
  WINOGRAD_F2_5,
  toomCookTransform,
  winogradTransform,
} from "../../../src/te/ops/nn/winograd.js";

const times = (matrix: readonly (readonly number[])[], vector: readonly number[]): number[] =>
  matrix.map((row) => row.reduce((sum, value, index) => sum + value * vector[index]!, 0));

/** The largest |Winograd − direct| over `trials` random tiles and filters in [-1, 1]. */
function worstError(transform: WinogradTransform, trials = 200): number {
  const { tile, kernel, alpha } = transform;
  let state = 12345;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return (state / 2147483648) * 2 - 1;
  };
  let worst = 0;
  for (let trial = 0; trial < trials; trial++) {
    const d = Array.from({ length: alpha }, random);
    const g = Array.from({ length: kernel }, random);
    const filter = times(transform.kernelMatrix, g);
    const products = times(transform.inputMatrix, d).map((value, index) => value * filter[index]!);
    const y = times(transform.outputMatrix, products);
    for (let i = 0; i < tile; i++) {
      let direct = 0;
      for (let k = 0; k < kernel; k++) direct += g[k]! * d[i + k]!;
      worst = Math.max(worst, Math.abs(direct - y[i]!));
    }
  }
  return worst;
}

test("the hand-written F(2, 3) and the Toom-Cook F(2, 3) compute the correlation", () => {
  assert.ok(worstError(WINOGRAD_F2_3) < 1e-12);
  assert.ok(worstError(toomCookTransform(2, 3, [0, 1, -1])) < 1e-12);
});

test("F(2, 5) computes the correlation, with an integral input transform", () => {
  assert.equal(WINOGRAD_F2_5.alpha, 6);
  assert.deepEqual(
    [WINOGRAD_F2_5.inputMatrix.length, WINOGRAD_F2_5.kernelMatrix[0]!.length, WINOGRAD_F2_5.outputMatrix.length],
    [6, 5, 2],
  );
  assert.ok(worstError(WINOGRAD_F2_5) < 1e-12);
  assert.ok(WINOGRAD_F2_5.inputMatrix.flat().every((value) => Number.isInteger(value)));
  assert.ok(WINOGRAD_F2_5.outputMatrix.flat().every((value) => Number.isInteger(value)));
});

test("the Toom-Cook construction holds for other tile and kernel sizes", () => {
  assert.ok(worstError(toomCookTransform(4, 3, [0, 1, -1, 2, -2])) < 1e-12);
  assert.ok(worstError(toomCookTransform(3, 2, [0, 1, -1])) < 1e-12);
  assert.ok(worstError(toomCookTransform(2, 7, [0, 1, -1, 2, -2, 3, -3])) < 1e-9);
});

test("toomCookTransform refuses the wrong number of points or repeated points", () => {
  assert.throws(() => toomCookTransform(2, 5, [0, 1, -1, 2]), /needs 5 distinct finite points/);
  assert.throws(() => toomCookTransform(2, 3, [0, 1, 1]), /needs 3 distinct finite points/);
});

test("winogradTransform finds F(2, 3) and F(2, 5) and nothing else", () => {
  assert.equal(winogradTransform(2, 3), WINOGRAD_F2_3);
  assert.equal(winogradTransform(2, 5), WINOGRAD_F2_5);
  assert.equal(winogradTransform(4, 3), null);
  assert.equal(winogradTransform(2, 7), null);
});
