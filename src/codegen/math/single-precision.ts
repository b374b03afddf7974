/**
 * Native single-precision exp, log, erf, tanh and sigmoid (scalar f32 and
 * f32x4), written in the math DSL. These are the functions that dominate
 * elementwise time in transformers (softmax, GELU, activations); computing
 * them in f32 lanes does four elements per instruction instead of widening
 * to two f64x2 halves.
 *
 * Methods (Cephes single-precision, Moshier; erf our own fit):
 * - exp: n = round(x / ln2) by the 1.5*2^23 rounding trick, r = x - n ln2
 *   with ln2 split in two (n*LN2_HI exact), degree-7 polynomial, 2^n built
 *   in the exponent field with an integer shift.
 * - log: mantissa reduced to [sqrt(2)/2, sqrt(2)) by integer offset, f = m-1,
 *   log(1+f) = f - f^2/2 + f^3 P(f) with P of degree 8.
 * - erf: x P(x^2) / Q(x^2) with x clamped to [-3.85, 3.85], one rational
 *   minimax fit over the whole range. Against the earlier
 *   two-branch form (a polynomial below 0.93, 1 - exp(poly) above, 1.1 ulp)
 *   it rounds worse, up to 6 ulp (3.6e-7 absolute near 1; 2.4% of inputs
 *   beyond 2 ulp), for a third of the instructions: the GELU epilogue of a
 *   MatMul of bert's FFN-up shape (eight erfs per micro-kernel tile) went
 *   from 0.28 to 0.14 ms.
 * - tanh: |x| < 0.625: x + x^3 P(x^2); above: 1 - 2/(e^{2|x|} + 1).
 * - sigmoid: 1 / (1 + e^{-x}).
 * Polynomials are evaluated as two Horner chains in x² (MathBuilder.evenOdd):
 * half the dependent steps, which bound an element loop (erf 2.56 → 2.25 ns
 * per element for the earlier erf, log 1.79 → 1.62; the same worst errors
 * within 0.05 ulp). Worst errors measured against float64 references
 * (tests/codegen/math-single.test.ts): about 1 ulp, sigmoid about 2.2 ulp
 * (its negative tail), erf 6 ulp.
 */
import type { MathBuilder, Value } from "./dsl.js";

const LOG2E = 1.4426950408889634;
/** ln 2 = LN2_HI + LN2_LO; LN2_HI has 9 significant bits, so n*LN2_HI is exact for |n| < 2^15. */
const LN2_HI = 0.693359375;
const LN2_LO = -2.1219444e-4;
/** 1.5 * 2^23: adding it rounds an f32 below 2^22 in magnitude to an integer held in the low mantissa bits. */
const ROUNDING_MAGIC = 12582912;
const ROUNDING_MAGIC_BITS = 0x4b400000n;
const ONE_BITS = 0x3f800000n;
const SMALLEST_NORMAL = 1.1754943508222875e-38;

/** Coefficients of e^r = 1 + r + r^2 (c0 + c1 r + ...), |r| <= ln2/2 (Cephes expf). */
const EXP_COEFFICIENTS = [
  5.0000001201e-1, 1.6666665459e-1, 4.1665795894e-2, 8.3334519073e-3, 1.3981999507e-3, 1.98756915e-4,
];
/** log(1+f) = f - f^2/2 + f^3 (c0 + c1 f + ...), f in [sqrt(2)/2 - 1, sqrt(2) - 1] (Cephes logf). */
const LOG_COEFFICIENTS = [
  3.3333331174e-1, -2.4999993993e-1, 2.0000714765e-1, -1.6668057665e-1, 1.4249322787e-1, -1.242014084e-1,
  1.167699874e-1, -1.151461031e-1, 7.0376836292e-2,
];
/** tanh(x) = x + x^3 (c0 + c1 x^2 + ...), |x| < 0.625 (Cephes tanhf). */
const TANH_COEFFICIENTS = [-3.33332819422e-1, 1.33314422036e-1, -5.37397155531e-2, 2.06390887954e-2, -5.70498872745e-3];
const TANH_SWITCH = 0.625;
/**
 * erf(x) = x P(x^2) / Q(x^2) on |x| <= ERF_LIMIT, P and Q of degree 5: a
 * minimax fit of the relative error (1.4e-8 in float64, 0.9 ulp with the
 * coefficients rounded to float32), by iteratively reweighted least squares
 * on the linearized residual (x P - erf Q) / erf.
 */
const ERF_NUMERATOR = [
  1.1283791065216064, 0.18788670003414154, 0.052477944642305374, 0.0036733902525156736, 0.00028565083630383015,
  2.108200078509981e-6,
];
const ERF_DENOMINATOR = [
  1, 0.49984312057495117, 0.11312413960695267, 0.014783799648284912, 0.0011453491169959307, 3.872985689667985e-5,
];
/**
 * The fit's range. Its float32 value there is 1, so larger inputs are off
 * by at most 1 ulp (erf rounds to 1 from 3.92 on).
 */
const ERF_LIMIT = 3.85;

/**
 * "full": any input (overflow → inf, underflow through subnormals → 0, NaN → NaN).
 * "clamped": x already in [EXP_UNDERFLOW, 89] (or NaN): results down in the subnormals.
 * "moderate": callers guarantee x in [-87, 88] (or NaN), so 2^n is one normal
 * scale factor and no clamp is needed.
 */
type ExpRange = "full" | "clamped" | "moderate";
/** e^x rounds to +0 in float32 below ln(2^-150) ≈ -103.97. */
const EXP_UNDERFLOW = -104;

export function expOfSingle(m: MathBuilder, input: Value, range: ExpRange = "full"): Value {
  if (range === "full") {
    // Below -104 the result rounds to +0: return it without computing 2^n down
    // in the subnormals, which costs x64 a microcode assist per lane (a
    // softmax over a causal mask takes e^(-1e9) for half its elements).
    // The underflowing lanes compute e^0 and are replaced by +0: clamped to
    // -104 they would still compute a subnormal 2^n, and pay the assist.
    const unclamped = m.let(input, "exp_input");
    const underflows = m.let(m.lt(unclamped, m.c(EXP_UNDERFLOW)), "underflows");
    const safe = m.select(underflows, m.c(0), m.clamp(unclamped, EXP_UNDERFLOW, 89));
    return m.select(underflows, m.c(0), expOfSingle(m, safe, "clamped"));
  }
  const x = m.let(input, "x");
  const shifted = m.let(m.add(m.mul(x, m.c(LOG2E)), m.c(ROUNDING_MAGIC)), "shifted");
  const n = m.let(m.sub(shifted, m.c(ROUNDING_MAGIC)), "n");
  const r = m.let(m.sub(m.sub(x, m.mul(n, m.c(LN2_HI))), m.mul(n, m.c(LN2_LO))), "r");
  const polynomial = m.evenOdd(r, EXP_COEFFICIENTS);
  const p = m.add(m.add(m.mul(polynomial, m.mul(r, r)), r), m.c(1));
  if (range === "moderate") {
    // The magic's low 9 bits are zero, so shifting its bits left by 23 leaves n << 23.
    return m.mul(p, m.float(m.bitsOp("add", m.shift("shl", m.bits(shifted), 23), m.bitsConst(ONE_BITS))));
  }
  // n in [-151, 129]: 2^n as two normal factors 2^half * 2^(n-half), so subnormal results round once.
  const integer = m.let(m.bitsOp("sub", m.bits(shifted), m.bitsConst(ROUNDING_MAGIC_BITS)), "integer");
  const half = m.let(m.shift("shr_s", integer, 1), "half");
  const scale = (k: Value): Value => m.float(m.bitsOp("add", m.shift("shl", k, 23), m.bitsConst(ONE_BITS)));
  return m.mul(m.mul(p, scale(half)), scale(m.bitsOp("sub", integer, half)));
}

export function logOfSingle(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const subnormal = m.let(m.lt(x, m.c(SMALLEST_NORMAL)), "subnormal");
  const scaled = m.select(subnormal, m.mul(x, m.c(2 ** 23)), x);
  // Offsetting by the bits of 1 - sqrt(2)/2 makes the exponent field round at sqrt(2).
  const shifted = m.let(m.bitsOp("add", m.bits(scaled), m.bitsConst(ONE_BITS - 0x3f3504f3n)), "shifted");
  const exponent = m.convertInteger(m.bitsOp("sub", m.shift("shr_u", shifted, 23), m.bitsConst(127n)));
  const k = m.let(m.sub(exponent, m.select(subnormal, m.c(23), m.c(0))), "k");
  const mantissa = m.float(m.bitsOp("add", m.bitsOp("and", shifted, m.bitsConst(0x7fffffn)), m.bitsConst(0x3f3504f3n)));
  const f = m.let(m.sub(mantissa, m.c(1)), "f");
  const z = m.let(m.mul(f, f), "z");
  const cubic = m.mul(m.mul(m.evenOdd(f, LOG_COEFFICIENTS), f), z);
  const correction = m.sub(m.add(cubic, m.mul(k, m.c(LN2_LO))), m.mul(m.c(0.5), z));
  const result = m.add(m.add(f, correction), m.mul(k, m.c(LN2_HI)));
  const withInfinity = m.select(m.eq(x, m.c(Infinity)), m.c(Infinity), result);
  const withZero = m.select(m.eq(x, m.c(0)), m.c(-Infinity), withInfinity);
  return m.select(m.ge(x, m.c(0)), withZero, m.c(NaN));
}

export function erfOfSingle(m: MathBuilder, input: Value): Value {
  // Clamping keeps NaN and odd symmetry (erf(-0) = -0); the result's clamp
  // removes the float32 rounding that can put the ratio a hair above 1.
  const x = m.let(m.clamp(input, -ERF_LIMIT, ERF_LIMIT), "x");
  const t = m.let(m.mul(x, x), "t");
  const ratio = m.div(m.mul(x, m.evenOdd(t, ERF_NUMERATOR)), m.evenOdd(t, ERF_DENOMINATOR));
  return m.clamp(ratio, -1, 1);
}

export function tanhOfSingle(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  const z = m.let(m.mul(x, x), "z");
  // Both branches compute tanh|x| (so tanh(-0) = -0 comes from the copysign).
  const small = m.add(m.mul(m.mul(m.evenOdd(z, TANH_COEFFICIENTS), z), a), a);
  // tanh(10) rounds to 1 in f32; clamping keeps e^{2a} finite.
  const e = m.let(expOfSingle(m, m.mul(m.c(2), m.atMost(a, 10)), "moderate"), "e");
  const large = m.sub(m.c(1), m.div(m.c(2), m.add(e, m.c(1))));
  return m.copysign(m.select(m.lt(a, m.c(TANH_SWITCH)), small, large), x);
}

export function sigmoidOfSingle(m: MathBuilder, input: Value): Value {
  return m.div(m.c(1), m.add(m.c(1), expOfSingle(m, m.neg(input))));
}
