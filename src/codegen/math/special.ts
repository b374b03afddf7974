/**
 * erf in the math DSL (scalar f64 and f64x2).
 *
 * |x| < 2.25: the Maclaurin series (2/sqrt(pi)) * sum (-1)^n x^(2n+1) / (n! (2n+1))
 * to n = 38 (truncation < 1e-19; cancellation costs at most ~6 ulp of 1).
 * |x| >= 2.25: erf = 1 - erfc, erfc(x) = e^(-x^2)/sqrt(pi) / K(x) with
 * Laplace's continued fraction K = x + (1/2)/(x + 1/(x + (3/2)/(x + ...))),
 * evaluated forward to depth 24 by the convergent recurrences, so it needs
 * one division (relative error of erfc < 1e-11 at 2.25, where erfc < 2e-3).
 */
import type { MathBuilder, Value } from "./dsl.js";
import { expOf } from "./elementary.js";

const SERIES_TERMS = 39;
const CONTINUED_FRACTION_DEPTH = 24;
const SWITCH_POINT = 2.25;

const ERF_COEFFICIENTS: readonly number[] = (() => {
  const result: number[] = [];
  let factorial = 1;
  for (let n = 0; n < SERIES_TERMS; n++) {
    if (n > 0) factorial *= n;
    result.push(((n % 2 === 0 ? 1 : -1) * (2 / Math.sqrt(Math.PI))) / (factorial * (2 * n + 1)));
  }
  return result;
})();

export function erfOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  const z = m.let(m.mul(a, a), "z");
  const series = m.mul(a, m.horner(z, m.terms(ERF_COEFFICIENTS, 27)));
  const tail = m.sub(m.c(1), erfcTail(m, a, z));
  return m.copysign(m.select(m.lt(a, m.c(SWITCH_POINT)), series, tail), x);
}

/** erfc(a) for a >= SWITCH_POINT (0 for large a, NaN for NaN). */
function erfcTail(m: MathBuilder, a: Value, z: Value): Value {
  const clamped = m.let(m.min(m.max(a, m.c(SWITCH_POINT)), m.c(8)), "clamped");
  // Convergents A_k/B_k of K: A_k = x*A_{k-1} + (k/2)*A_{k-2}, likewise B_k.
  let previousA = m.c(1);
  let previousB = m.c(0);
  let currentA = clamped;
  let currentB = m.c(1);
  const depth = m.precision === "double" ? CONTINUED_FRACTION_DEPTH : 14;
  for (let k = 1; k <= depth; k++) {
    const nextA = m.let(m.add(m.mul(clamped, currentA), m.mul(m.c(k / 2), previousA)), "ka");
    const nextB = m.let(m.add(m.mul(clamped, currentB), m.mul(m.c(k / 2), previousB)), "kb");
    previousA = currentA;
    previousB = currentB;
    currentA = nextA;
    currentB = nextB;
  }
  const scaled = m.mul(m.div(expOf(m, m.neg(z)), m.c(Math.sqrt(Math.PI))), m.div(currentB, currentA));
  return m.select(m.ge(a, m.c(8)), m.c(0), m.select(m.eq(a, a), scaled, a));
}
