/**
 * The native single-precision helpers (exp, log, erf, tanh, sigmoid as f32
 * and f32x4) measured in ulps of float32 against float64 references, on
 * dense sweeps of every float32 input range that does not saturate. The
 * relative-error sweep in math-accuracy.test.ts allows 1e-6 (~8 ulp); these
 * keep them at a few ulp.
 *
 * Measured maxima (Node 20, 400,001 points per range, f32 and f32x4 alike):
 * exp 0.95, log 0.73 (also over [1e-37, 1e37]), erf 4.9 (6.0 over every
 * third float32 in [0, 4]), tanh 1.21, sigmoid 2.4 ulp. Bounds leave
 * headroom of about one ulp.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { UnaryOp } from "../../src/te/expr.js";
import { runUnary } from "./math-kernels.js";

/** Spacing of float32 values at |value| (subnormal spacing below 2^-126). */
function ulpOf(value: number): number {
  const magnitude = Math.abs(Math.fround(value));
  if (magnitude === 0) return 2 ** -149;
  return 2 ** Math.max(Math.floor(Math.log2(magnitude)) - 23, -149);
}

/** erf from its series (|x| < 0.5) or Laplace's continued fraction, to ~1e-16. */
function erfReference(x: number): number {
  const a = Math.abs(x);
  if (a < 0.5) {
    let sum = 0;
    let term = a;
    for (let n = 0; n < 40; n++) {
      sum += term / (2 * n + 1);
      term *= (-a * a) / (n + 1);
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  if (a > 10) return Math.sign(x);
  let fraction = a;
  for (let k = 2000; k >= 1; k--) fraction = a + k / 2 / fraction;
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / fraction);
}

interface Case {
  readonly op: UnaryOp;
  readonly reference: (x: number) => number;
  readonly range: readonly [number, number];
  readonly maxUlp: number;
}

const CASES: readonly Case[] = [
  { op: "exp", reference: Math.exp, range: [-103, 88.7], maxUlp: 2 },
  { op: "exp", reference: Math.exp, range: [-1, 1], maxUlp: 2 },
  { op: "log", reference: Math.log, range: [1e-3, 1e3], maxUlp: 2 },
  { op: "log", reference: Math.log, range: [0.5, 2], maxUlp: 2 },
  { op: "erf", reference: erfReference, range: [-4, 4], maxUlp: 7 },
  { op: "erf", reference: erfReference, range: [-0.01, 0.01], maxUlp: 7 },
  { op: "tanh", reference: Math.tanh, range: [-10, 10], maxUlp: 2.5 },
  { op: "tanh", reference: Math.tanh, range: [-0.7, 0.7], maxUlp: 2.5 },
  { op: "sigmoid", reference: (x) => 1 / (1 + Math.exp(-x)), range: [-40, 40], maxUlp: 3.5 },
];

function worstUlp(testCase: Case, variant: "f32" | "f32x4"): { ulps: number; at: number } {
  const [low, high] = testCase.range;
  const count = 200001;
  const inputs = Array.from({ length: count }, (_, index) => Math.fround(low + ((high - low) * index) / (count - 1)));
  const results = runUnary(testCase.op, variant, inputs);
  let worst = { ulps: 0, at: NaN };
  results.forEach((result, index) => {
    const reference = testCase.reference(inputs[index]);
    const ulps = Math.abs(result - reference) / ulpOf(reference);
    if (!(ulps <= worst.ulps)) worst = { ulps, at: inputs[index] };
  });
  return worst;
}

describe("native single-precision helpers: error in ulps", () => {
  for (const testCase of CASES) {
    for (const variant of ["f32", "f32x4"] as const) {
      it(`${testCase.op} ${variant} on [${testCase.range.join(", ")}] within ${testCase.maxUlp} ulp`, () => {
        const worst = worstUlp(testCase, variant);
        assert.ok(worst.ulps <= testCase.maxUlp, `${testCase.op} ${variant}: ${worst.ulps} ulp at x = ${worst.at}`);
      });
    }
  }

  it("erf saturates at ±1, never exceeds it, keeps -0 and NaN", () => {
    const inputs = [3.85, 3.9, 4, 10, 1e30, Infinity, -3.9, -Infinity, -0, 0, 1e-30, NaN];
    const want = [1, 1, 1, 1, 1, 1, -1, -1, -0, 0, 1.1283791e-30, NaN];
    const sweep = Array.from({ length: 20001 }, (_, index) => Math.fround(2.5 + index * 1e-4));
    for (const variant of ["f32", "f32x4"] as const) {
      const results = runUnary("erf", variant, inputs);
      inputs.forEach((x, index) => {
        const got = results[index]!;
        const expected = want[index]!;
        if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `erf ${variant}(${x}) = ${got}`);
        else if (Math.abs(expected) === 1)
          assert.ok(Math.abs(got - expected) <= 2 ** -24, `erf ${variant}(${x}) = ${got}`);
        else if (expected === 0) assert.ok(Object.is(got, expected), `erf ${variant}(${x}) = ${got}`);
        else assert.ok(Math.abs(got - expected) <= 2 * ulpOf(expected), `erf ${variant}(${x}) = ${got}`);
      });
      const beyond = runUnary("erf", variant, sweep).findIndex((value) => value > 1);
      assert.equal(beyond, -1, `erf ${variant}(${sweep[beyond]}) exceeds 1`);
    }
  });

  it("exp handles overflow, underflow through subnormals, and NaN", () => {
    const inputs = [89, 88.8, 1e30, Infinity, -88, -100, -103.5, -104, -1e30, -Infinity, NaN];
    for (const variant of ["f32", "f32x4"] as const) {
      const results = runUnary("exp", variant, inputs);
      inputs.forEach((x, index) => {
        const want = Math.fround(Math.exp(Math.fround(x)));
        const got = results[index];
        if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `exp(${x}) = ${got}`);
        else
          assert.ok(
            got === want || Math.abs(got - want) <= 2 * ulpOf(want),
            `exp ${variant}(${x}) = ${got}, want ${want}`,
          );
      });
    }
  });
});
