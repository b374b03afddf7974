/**
 * The two helpers that need loops: exact float remainder (C fmod) and
 * integer power by squaring.
 */
import type { FunctionBuilder } from "../function-builder.js";
import { block, branch, f64Const, i32Const, i64Const, localGet, localSet, plain } from "../wasm/instructions.js";
import type { MathBuilder, Value } from "./dsl.js";

const SMALLEST_NORMAL = 2.2250738585072014e-308;

/** Unbiased exponent and [1, 2) mantissa of a positive finite value (subnormals included). */
function decompose(m: MathBuilder, value: Value): { exponent: Value; mantissa: Value } {
  const v = m.let(value, "v");
  const subnormal = m.let(m.lt(v, m.c(SMALLEST_NORMAL)), "subnormal");
  const bits = m.let(m.bits(m.select(subnormal, m.mul(v, m.c(2 ** 54)), v)), "bits");
  const biased = m.integerFloat(m.shift("shr_u", bits, 52));
  const exponent = m.sub(m.sub(biased, m.c(1023)), m.select(subnormal, m.c(54), m.c(0)));
  const mantissa = m.float(
    m.bitsOp("or", m.bitsOp("and", bits, m.bitsConst(0x000fffffffffffffn)), m.bitsConst(0x3ff0000000000000n)),
  );
  return { exponent, mantissa };
}

/**
 * fmod(x, y) for scalar f64 params x (local 0) and y (local 1), exactly:
 * each step subtracts the largest |y|*2^k not above the remainder, which
 * is exact (Sterbenz), until the remainder is below |y|. At most ~2100
 * steps for f64, ~280 for f32 arguments. NaN when y is 0 or NaN or x is
 * infinite or NaN; x when |x| < |y| or y is infinite.
 */
export function emitFmod(m: MathBuilder): void {
  const builder = m.builder;
  const x = m.local(0, "float");
  const ax = m.let(m.abs(x), "ax");
  const ay = m.let(m.abs(m.local(1, "float")), "ay");
  m.emit(m.or(m.not(m.lt(ax, m.c(Infinity))), m.not(m.gt(ay, m.c(0)))));
  builder.emit(block("if"), f64Const(NaN), plain("return"), plain("end"));
  const remainder = m.newLocal("float", "remainder");
  m.set(remainder, ax);
  const r = m.local(remainder, "float");
  builder.emit(block("block"), block("loop"));
  m.emit(m.lt(r, ay));
  builder.emit(branch("br_if", 1));
  const ofRemainder = decompose(m, r);
  const ofDivisor = decompose(m, ay);
  const rMantissa = m.let(ofRemainder.mantissa, "r_mantissa");
  const yMantissa = m.let(ofDivisor.mantissa, "y_mantissa");
  const shift = m.sub(
    m.sub(ofRemainder.exponent, ofDivisor.exponent),
    m.select(m.gt(yMantissa, rMantissa), m.c(1), m.c(0)),
  );
  const k = m.let(shift, "k");
  const k1 = m.let(m.min(k, m.c(1000)), "k1");
  const k2 = m.let(m.min(m.sub(k, k1), m.c(1000)), "k2");
  const k3 = m.sub(m.sub(k, k1), k2);
  const t = m.mul(m.mul(m.mul(ay, m.pow2(k1)), m.pow2(k2)), m.pow2(k3));
  m.set(remainder, m.sub(r, t));
  builder.emit(branch("br", 0), plain("end"), plain("end"));
  m.emit(m.copysign(r, x));
}

/**
 * base^exponent for integers (params base = local 0, exponent = local 1),
 * wrapping like repeated multiplication. A negative exponent gives the
 * truncated exact result: 1 for base 1, ±1 for base -1, otherwise 0.
 */
export function emitIntegerPow(builder: FunctionBuilder, type: "i32" | "i64"): void {
  const constant = (value: number) => (type === "i32" ? i32Const(value) : i64Const(BigInt(value)));
  const base = 0;
  const exponent = 1;
  const result = builder.addLocal("result", type);
  builder.emit(localGet(exponent), constant(0), plain(`${type}.lt_s`), block("if", type));
  // base == -1 ? (odd ? -1 : 1) : (base == 1 ? 1 : 0)
  builder.emit(
    constant(1),
    constant(-1),
    localGet(exponent),
    constant(1),
    plain(`${type}.and`),
    plain(`${type}.eqz`),
    plain("select"),
  );
  builder.emit(constant(1), constant(0), localGet(base), constant(1), plain(`${type}.eq`), plain("select"));
  builder.emit(localGet(base), constant(-1), plain(`${type}.eq`), plain("select"));
  builder.emit(plain("else"), constant(1), localSet(result), block("block"), block("loop"));
  builder.emit(localGet(exponent), plain(`${type}.eqz`), branch("br_if", 1));
  builder.emit(localGet(result), localGet(result), localGet(base), plain(`${type}.mul`));
  builder.emit(
    localGet(exponent),
    constant(1),
    plain(`${type}.and`),
    plain(`${type}.eqz`),
    plain("select"),
    localSet(result),
  );
  builder.emit(localGet(base), localGet(base), plain(`${type}.mul`), localSet(base));
  builder.emit(localGet(exponent), constant(1), plain(`${type}.shr_u`), localSet(exponent), branch("br", 0));
  builder.emit(plain("end"), plain("end"), localGet(result), plain("end"));
}
