/**
 * sin, cos, tan, asin, acos, atan in the math DSL (scalar f64 and f64x2).
 *
 * sin/cos/tan: n = nearest(x * 2/pi), r = x - n*pi/2 with pi/2 split in
 * three parts (33 + 33 + 53 bits, derived below from pi's hexadecimal
 * digits), so n*P1 and n*P2 are exact for |n| < 2^20: full accuracy for
 * |x| < ~1.6e6, degrading beyond (no Payne–Hanek reduction). Taylor
 * polynomials on |r| <= pi/4 to degree 17/18, quadrant from n's low bits.
 * atan: reduce to [0, 1] by 1/x and then to |t| <= tan(pi/8) by
 * (b-1)/(b+1); Taylor to degree 49. asin and acos go through atan.
 */
import type { MathBuilder, Value } from "./dsl.js";
import { ROUNDING_MAGIC } from "./dsl.js";

/** pi in hexadecimal: 3.243F6A88 85A308D3 13198A2E 03707344 A4093822 299F31D0 082EFA98 EC4E6C89. */
const PI_FRACTION_HEX = "243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89";
const FRACTION_BITS = BigInt(PI_FRACTION_HEX.length * 4);

/** pi/2 as [P1, P2, P3]: P1 and P2 with 33 significant bits, P3 rounded to 53. */
export const HALF_PI_PARTS: readonly number[] = (() => {
  const halfPi = ((3n << FRACTION_BITS) + BigInt(`0x${PI_FRACTION_HEX}`)) >> 1n;
  const scale = 2 ** Number(FRACTION_BITS);
  const parts: number[] = [];
  let rest = halfPi;
  for (const significantBits of [33, 33]) {
    const drop = BigInt(rest.toString(2).length - significantBits);
    const part = (rest >> drop) << drop;
    parts.push(Number(part) / scale);
    rest -= part;
  }
  parts.push(Number(rest) / scale);
  return parts;
})();

const TWO_OVER_PI = 0.6366197723675814;

/** (-1)^k / (2k+1)! for k = 1..8 (sin) and (-1)^k / (2k)! for k = 2..9 (cos, from z^2 on). */
const SIN_COEFFICIENTS: readonly number[] = alternatingFactorials(3, 8);
const COS_COEFFICIENTS: readonly number[] = alternatingFactorials(4, 8).map((coefficient) => -coefficient);
/** (-1)^k / (2k+1) for k = 1..24. */
const ATAN_COEFFICIENTS: readonly number[] = Array.from(
  { length: 24 },
  (_, index) => (index % 2 === 0 ? -1 : 1) / (2 * index + 3),
);

function alternatingFactorials(firstPower: number, count: number): number[] {
  const result: number[] = [];
  for (let index = 0; index < count; index++) {
    const power = firstPower + 2 * index;
    let factorial = 1;
    for (let factor = 2; factor <= power; factor++) factorial *= factor;
    result.push((index % 2 === 0 ? -1 : 1) / factorial);
  }
  return result;
}

interface Reduced {
  /** x - n*pi/2, in [-pi/4, pi/4]. */
  readonly r: Value;
  /** r*r. */
  readonly z: Value;
  /** n's low bits (two's complement), as bits. */
  readonly quadrant: Value;
}

function reduce(m: MathBuilder, x: Value): Reduced {
  const n = m.let(m.nearest(m.mul(x, m.c(TWO_OVER_PI))), "n");
  const [p1, p2, p3] = HALF_PI_PARTS;
  const r = m.let(m.sub(m.sub(m.sub(x, m.mul(n, m.c(p1))), m.mul(n, m.c(p2))), m.mul(n, m.c(p3))), "r");
  const z = m.let(m.mul(r, r), "z");
  const quadrant = m.let(m.bits(m.add(n, m.c(ROUNDING_MAGIC))), "quadrant");
  return { r, z, quadrant };
}

function sinPolynomial(m: MathBuilder, reduced: Reduced): Value {
  return m.add(reduced.r, m.mul(m.mul(reduced.r, reduced.z), m.horner(reduced.z, m.terms(SIN_COEFFICIENTS, 5))));
}

function cosPolynomial(m: MathBuilder, reduced: Reduced): Value {
  const z = reduced.z;
  return m.add(m.sub(m.c(1), m.mul(m.c(0.5), z)), m.mul(m.mul(z, z), m.horner(z, m.terms(COS_COEFFICIENTS, 5))));
}

/** sin(x) (quarterTurns 0) or cos(x) = sin(x + pi/2) (quarterTurns 1). */
function sineOf(m: MathBuilder, input: Value, quarterTurns: 0 | 1): Value {
  const x = m.let(input, "x");
  const reduced = reduce(m, x);
  const s = m.let(sinPolynomial(m, reduced), "s");
  const c = m.let(cosPolynomial(m, reduced), "c");
  const turns = m.let(m.bitsOp("add", reduced.quadrant, m.bitsConst(BigInt(quarterTurns))), "turns");
  const swap = m.bitsEq(m.bitsOp("and", turns, m.bitsConst(1n)), m.bitsConst(1n));
  const sign = m.shift("shl", m.bitsOp("and", turns, m.bitsConst(2n)), 62);
  const result = m.float(m.bitsOp("xor", m.bits(m.select(swap, c, s)), sign));
  if (quarterTurns === 1) return result;
  return m.select(m.lt(m.abs(x), m.c(2 ** -27)), x, result);
}

export const sinOf = (m: MathBuilder, input: Value): Value => sineOf(m, input, 0);
export const cosOf = (m: MathBuilder, input: Value): Value => sineOf(m, input, 1);

export function tanOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const reduced = reduce(m, x);
  const s = m.let(sinPolynomial(m, reduced), "s");
  const c = m.let(cosPolynomial(m, reduced), "c");
  const swap = m.let(m.bitsEq(m.bitsOp("and", reduced.quadrant, m.bitsConst(1n)), m.bitsConst(1n)), "swap");
  const result = m.div(m.select(swap, m.neg(c), s), m.select(swap, s, c));
  return m.select(m.lt(m.abs(x), m.c(2 ** -27)), x, result);
}

/** atan of a non-negative (or NaN) argument. */
function atanNonNegative(m: MathBuilder, input: Value): Value {
  const a = m.let(input, "a");
  const inverted = m.let(m.gt(a, m.c(1)), "inverted");
  const b = m.let(m.select(inverted, m.div(m.c(1), a), a), "b");
  const shifted = m.let(m.gt(b, m.c(0.41421356237309503)), "shifted");
  const t = m.let(m.select(shifted, m.div(m.sub(b, m.c(1)), m.add(b, m.c(1))), b), "t");
  const z = m.let(m.mul(t, t), "z");
  const series = m.add(t, m.mul(m.mul(t, z), m.horner(z, m.terms(ATAN_COEFFICIENTS, 12))));
  const reducedResult = m.let(m.add(m.select(shifted, m.c(Math.PI / 4), m.c(0)), series), "atan_b");
  return m.select(inverted, m.sub(m.c(Math.PI / 2), reducedResult), reducedResult);
}

export function atanOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  return m.copysign(atanNonNegative(m, m.abs(x)), x);
}

export function asinOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const a = m.let(m.abs(x), "a");
  const ratio = m.div(a, m.sqrt(m.mul(m.sub(m.c(1), a), m.add(m.c(1), a))));
  return m.copysign(atanNonNegative(m, ratio), x);
}

export function acosOf(m: MathBuilder, input: Value): Value {
  const x = m.let(input, "x");
  const ratio = m.sqrt(m.div(m.sub(m.c(1), x), m.add(m.c(1), x)));
  return m.mul(m.c(2), atanNonNegative(m, ratio));
}
