/**
 * Exponential, logarithm, power and hyperbolic functions written once in the
 * math DSL (scalar f64 and f64x2). Each takes its argument as a local read
 * and returns a Value; intermediate values are `let` into locals.
 *
 * Method: Cody–Waite range reduction to |r| <= ln2/2 and a Taylor polynomial
 * of degree 13 (truncation error < 1e-17 relative); log reduces the mantissa
 * to [sqrt(2)/2, sqrt(2)) and sums the atanh series of s = f/(2+f). The
 * other functions are built from these with the usual cancellation-free
 * identities (expm1/log1p near zero). Measured accuracy is in
 * tests/codegen/math-accuracy.test.ts.
 */
import type { MathBuilder, Value } from "./dsl.js";

const LOG2E = 1.4426950408889634;
/** ln 2 split so that k*LN2_HI is exact for |k| < 2^20. */
const LN2_HI = 6.9314718036912381649e-1;
const LN2_LO = 1.90821492927058770002e-10;
const LN2 = Math.LN2;
const SMALLEST_NORMAL = 2.2250738585072014e-308;
const TWO_POW_54 = 2 ** 54;

function factorialReciprocals(count: number): number[] {
  const result: number[] = [];
  let factorial = 1;
  for (let index = 0; index < count; index++) {
    if (index > 0) factorial *= index;
    result.push(1 / factorial);
  }
  return result;
}

/** 1/k! for k = 0..13. */
const EXP_COEFFICIENTS = factorialReciprocals(14);
/** 1/k! for k = 1..15: e^x - 1 = x * (1 + x/2 + x^2/6 + ...). */
const EXPM1_COEFFICIENTS = factorialReciprocals(16).slice(1);
/** Coefficients of 2/(2k+1), k = 1..10, for log's atanh series. */
const LOG_COEFFICIENTS = Array.from({ length: 10 }, (_, index) => 2 / (2 * index + 3));

export function expOf(m: MathBuilder, input: Value): Value {
  const x = m.let(m.min(m.max(input, m.c(-746)), m.c(710)), "x");
  const n = m.let(m.nearest(m.mul(x, m.c(LOG2E))), "n");
  const r = m.let(m.sub(m.sub(x, m.mul(n, m.c(LN2_HI))), m.mul(n, m.c(LN2_LO))), "r");
  const p = m.horner(r, m.terms(EXP_COEFFICIENTS, 9));
  const half = m.let(m.floor(m.mul(n, m.c(0.5))), "half");
  return m.mul(m.mul(p, m.pow2(half)), m.pow2(m.sub(n, half)));
}

/** e^x - 1 without cancellation near 0. */
export function expm1Of(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const series = m.mul(x, m.horner(x, m.terms(EXPM1_COEFFICIENTS, 9)));
  const direct = m.sub(expOf(m, x), m.c(1));
  return m.select(m.lt(m.abs(x), m.c(0.34657359027997264)), series, direct);
}

export function logOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const subnormal = m.let(m.lt(x, m.c(SMALLEST_NORMAL)), "subnormal");
  const scaled = m.select(subnormal, m.mul(x, m.c(TWO_POW_54)), x);
  // Offsetting by the bits of 1 - sqrt(2)/2 makes the exponent field round at sqrt(2).
  const shifted = m.let(
    m.bitsOp("add", m.bits(scaled), m.bitsConst(0x3ff0000000000000n - 0x3fe6a09e00000000n)),
    "shifted",
  );
  const exponent = m.integerFloat(m.shift("shr_u", shifted, 52));
  const k = m.let(m.sub(m.sub(exponent, m.c(1023)), m.select(subnormal, m.c(54), m.c(0))), "k");
  const mantissa = m.float(
    m.bitsOp("add", m.bitsOp("and", shifted, m.bitsConst(0x000fffffffffffffn)), m.bitsConst(0x3fe6a09e00000000n)),
  );
  const f = m.let(m.sub(mantissa, m.c(1)), "f");
  const s = m.let(m.div(f, m.add(m.c(2), f)), "s");
  const z = m.let(m.mul(s, s), "z");
  const hfsq = m.let(m.mul(m.mul(m.c(0.5), f), f), "hfsq");
  const series = m.mul(z, m.horner(z, m.terms(LOG_COEFFICIENTS, 5)));
  const correction = m.add(m.mul(s, m.add(hfsq, series)), m.mul(k, m.c(LN2_LO)));
  const result = m.sub(m.mul(k, m.c(LN2_HI)), m.sub(m.sub(hfsq, correction), f));
  const withInfinity = m.select(m.eq(x, m.c(Infinity)), m.c(Infinity), result);
  const withZero = m.select(m.eq(x, m.c(0)), m.c(-Infinity), withInfinity);
  return m.select(m.ge(x, m.c(0)), withZero, m.c(NaN));
}

/** log(1 + y), exact-ish near 0 by the u = 1 + y correction y / (u - 1). */
export function log1pOf(m: MathBuilder, input: Value): Value {
  const y = m.let(input, "y");
  const u = m.let(m.add(m.c(1), y), "u");
  const corrected = m.mul(logOf(m, u), m.div(y, m.sub(u, m.c(1))));
  const result = m.select(m.eq(u, m.c(1)), y, corrected);
  return m.select(m.eq(y, m.c(Infinity)), y, result);
}

export function sigmoidOf(m: MathBuilder, input: Value): Value {
  return m.div(m.c(1), m.add(m.c(1), expOf(m, m.neg(input))));
}

export function tanhOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const magnitude = m.min(m.abs(x), m.c(20));
  const e = m.let(expm1Of(m, m.mul(m.c(2), magnitude)), "e");
  return m.copysign(m.div(e, m.add(e, m.c(2))), x);
}

/** (0.5 * e^(a/2)) * e^(a/2): e^a / 2 without overflowing before the result does. */
function halfExpLarge(m: MathBuilder, magnitude: Value): Value {
  const h = m.let(expOf(m, m.mul(m.c(0.5), magnitude)), "h");
  return m.mul(m.mul(m.c(0.5), h), h);
}

export function sinhOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  const e = m.let(expm1Of(m, m.min(a, m.c(22))), "e");
  const small = m.mul(m.add(e, m.div(e, m.add(e, m.c(1)))), m.c(0.5));
  return m.copysign(m.select(m.lt(a, m.c(22)), small, halfExpLarge(m, a)), x);
}

export function coshOf(m: MathBuilder, input: Value): Value {
  const a = m.let(m.abs(input), "a");
  const e = m.let(expOf(m, m.min(a, m.c(22))), "e");
  const small = m.mul(m.c(0.5), m.add(e, m.div(m.c(1), e)));
  return m.select(m.lt(a, m.c(22)), small, halfExpLarge(m, a));
}

export function asinhOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  const square = m.let(m.mul(a, a), "square");
  const small = log1pOf(m, m.add(a, m.div(square, m.add(m.c(1), m.sqrt(m.add(m.c(1), square))))));
  const large = m.add(logOf(m, a), m.c(LN2));
  return m.copysign(m.select(m.lt(a, m.c(2 ** 28)), small, large), x);
}

export function acoshOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const t = m.let(m.sub(x, m.c(1)), "t");
  const small = log1pOf(m, m.add(t, m.sqrt(m.mul(t, m.add(t, m.c(2))))));
  const large = m.add(logOf(m, x), m.c(LN2));
  const result = m.select(m.lt(x, m.c(2 ** 28)), small, large);
  return m.select(m.ge(x, m.c(1)), result, m.c(NaN));
}

export function atanhOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  return m.copysign(m.mul(m.c(0.5), log1pOf(m, m.div(m.mul(m.c(2), a), m.sub(m.c(1), a)))), x);
}

/**
 * C99 pow: pow(x, 0) = 1, pow(1, y) = 1, pow(-1, ±inf) = 1; a negative base
 * with an odd integer exponent is negative, with a non-integer one NaN.
 */
export function powOf(m: MathBuilder, base: Value, exponent: Value): Value {
  const x = m.let(base, "x");
  const y = m.let(exponent, "y");
  const ax = m.let(m.abs(x), "ax");
  const magnitude = m.let(expOf(m, m.mul(y, logOf(m, ax))), "magnitude");
  const isInteger = m.let(m.eq(m.floor(y), y), "is_integer");
  const halfY = m.let(m.mul(y, m.c(0.5)), "half_y");
  const isOdd = m.and(isInteger, m.ne(m.floor(halfY), halfY));
  const negativeBase = m.let(m.lt(m.copysign(m.c(1), x), m.c(0)), "negative_base");
  const signed = m.select(m.and(negativeBase, isOdd), m.neg(magnitude), magnitude);
  const finiteNegative = m.and(m.lt(x, m.c(0)), m.gt(x, m.c(-Infinity)));
  const domain = m.select(m.and(finiteNegative, m.not(isInteger)), m.c(NaN), signed);
  const unitBase = m.or(m.eq(x, m.c(1)), m.and(m.eq(ax, m.c(1)), m.eq(m.abs(y), m.c(Infinity))));
  return m.select(m.or(unitBase, m.eq(y, m.c(0))), m.c(1), domain);
}
