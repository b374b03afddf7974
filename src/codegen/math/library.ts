/**
 * Generates the math helper functions a module needs, by name (see
 * names.ts). Each algorithm is written once in the DSL and instantiated as
 * `…f64` (scalar) and `…f64x2` (internal, two lanes). exp, log, erf, tanh
 * and sigmoid have native single-precision algorithms (single-precision.ts)
 * for `…f32` and `…f32x4`, a few ulp from the correctly rounded value; the
 * other f32 flavors widen to f64, call the f64 core and round back (`…f32x4`
 * splits into two f64x2 halves).
 * fmod (exact, by binary long division) and integer pow are scalar loops.
 *
 * Nothing here calls JS: every helper is wasm arithmetic.
 */
import { assert } from "../../support/assert.js";
import { FunctionBuilder } from "../function-builder.js";
import { call, localGet, localSet, plain, shuffle, type Instruction } from "../wasm/instructions.js";
import type { ValueType } from "../wasm/opcodes.js";
import type { FunctionDefinition } from "../wasm/module-builder.js";
import { MathBuilder, type Flavor, type Value } from "./dsl.js";
import { acoshOf, asinhOf, atanhOf, coshOf, expOf, logOf, powOf, sigmoidOf, sinhOf, tanhOf } from "./elementary.js";
import { acosOf, asinOf, atanOf, cosOf, sinOf, tanOf } from "./trigonometric.js";
import { erfOf } from "./special.js";
import { erfOfSingle, expOfSingle, logOfSingle, sigmoidOfSingle, tanhOfSingle } from "./single-precision.js";
import { emitFmod, emitIntegerPow } from "./loops.js";
import type { FloatMathFunction, TranscendentalOp } from "./names.js";

type UnaryAlgorithm = (m: MathBuilder, x: Value) => Value;

const UNARY_ALGORITHMS: Readonly<Record<TranscendentalOp, UnaryAlgorithm>> = {
  exp: expOf,
  log: logOf,
  erf: erfOf,
  tanh: tanhOf,
  sigmoid: sigmoidOf,
  sin: sinOf,
  cos: cosOf,
  tan: tanOf,
  asin: asinOf,
  acos: acosOf,
  atan: atanOf,
  sinh: sinhOf,
  cosh: coshOf,
  asinh: asinhOf,
  acosh: acoshOf,
  atanh: atanhOf,
};

/** Functions computed natively in f32 lanes (the rest of the f32 flavors widen to f64). */
const SINGLE_PRECISION_ALGORITHMS: Readonly<Partial<Record<TranscendentalOp, UnaryAlgorithm>>> = {
  exp: expOfSingle,
  log: logOfSingle,
  erf: erfOfSingle,
  tanh: tanhOfSingle,
  sigmoid: sigmoidOfSingle,
};

export interface GeneratedHelper {
  readonly definition: FunctionDefinition;
  /** Other helpers this one calls. */
  readonly calls: readonly string[];
}

const PREFIX = "tessera.";

/** Builds helper `name` (e.g. "tessera.exp.f32x4"). */
export function generateHelper(name: string): GeneratedHelper {
  const match = /^tessera\.([a-z]+)\.([a-z0-9]+)$/.exec(name);
  assert(match !== null, `not a helper name: ${name}`);
  const [, fn, flavor] = match;
  if (fn === "ipow") return { definition: integerPowFunction(name, flavor as "i32" | "i64"), calls: [] };
  if (fn === "fmod") return fmodHelper(name, flavor);
  const arity = fn === "pow" ? 2 : 1;
  const single = SINGLE_PRECISION_ALGORITHMS[fn as TranscendentalOp];
  if (single !== undefined && (flavor === "f32" || flavor === "f32x4")) {
    return { definition: singleFunction(name, single, flavor), calls: [] };
  }
  switch (flavor) {
    case "f64":
    case "f64x2":
      return { definition: coreFunction(name, fn as FloatMathFunction, flavor, arity), calls: [] };
    case "f32":
      return { definition: widenedScalar(name, `${PREFIX}${fn}.f64`, arity), calls: [`${PREFIX}${fn}.f64`] };
    case "f32x4":
      return { definition: widenedVector(name, `${PREFIX}${fn}.f64x2`, arity), calls: [`${PREFIX}${fn}.f64x2`] };
    default:
      assert(false, `unknown helper flavor ${flavor}`);
  }
}

function coreFunction(name: string, fn: FloatMathFunction, flavor: Flavor, arity: number): FunctionDefinition {
  const type: ValueType = flavor === "f64" ? "f64" : "v128";
  const params = ["x", "y"].slice(0, arity).map((param) => ({ name: param, type }));
  const builder = new FunctionBuilder(name, params, [type]);
  // The f64x2 cores exist only for the f32x4 helpers: single precision suffices.
  const m = new MathBuilder(flavor, builder, flavor === "f64x2" ? "single" : "double");
  const x = m.local(0, "float");
  let result: Value;
  if (fn === "pow") result = powOf(m, x, m.local(1, "float"));
  else {
    assert(fn !== "fmod", "fmod has no vector core");
    result = UNARY_ALGORITHMS[fn](m, x);
  }
  m.emit(result);
  return builder.finish(false);
}

/**
 * Emits a native single-precision f32x4 algorithm in place, into `builder`,
 * on the operand the caller has just pushed: no call, so the caller's live
 * vectors (a micro-kernel's accumulators) are not spilled around it. Returns
 * false when `fn` has no single-precision algorithm (the caller calls the helper).
 */
export function emitInlineSingle(builder: FunctionBuilder, fn: string): boolean {
  const algorithm = SINGLE_PRECISION_ALGORITHMS[fn as TranscendentalOp];
  if (algorithm === undefined) return false;
  const operand = builder.addLocal(`${fn}_operand`, "v128");
  builder.emit(localSet(operand));
  const m = new MathBuilder("f32x4", builder);
  m.emit(algorithm(m, m.local(operand, "float")));
  return true;
}

/** A native single-precision helper: one f32 (or f32x4) parameter, computed in f32 lanes. */
function singleFunction(name: string, algorithm: UnaryAlgorithm, flavor: "f32" | "f32x4"): FunctionDefinition {
  const type: ValueType = flavor === "f32" ? "f32" : "v128";
  const builder = new FunctionBuilder(name, [{ name: "x", type }], [type]);
  const m = new MathBuilder(flavor, builder);
  m.emit(algorithm(m, m.local(0, "float")));
  return builder.finish(false);
}

/** f32 → f64 → core → f32. */
function widenedScalar(name: string, core: string, arity: number): FunctionDefinition {
  const params = ["x", "y"].slice(0, arity).map((param) => ({ name: param, type: "f32" as const }));
  const builder = new FunctionBuilder(name, params, ["f32"]);
  for (let index = 0; index < arity; index++) builder.emit(localGet(index), plain("f64.promote_f32"));
  builder.emit(call(core), plain("f32.demote_f64"));
  return builder.finish(false);
}

const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
const JOIN_LOW_HALVES = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];

/** f32x4 → two f64x2 halves → core each → demote and join. */
function widenedVector(name: string, core: string, arity: number): FunctionDefinition {
  const params = ["x", "y"].slice(0, arity).map((param) => ({ name: param, type: "v128" as const }));
  const builder = new FunctionBuilder(name, params, ["v128"]);
  const half = (high: boolean): Instruction[] => {
    const code: Instruction[] = [];
    for (let index = 0; index < arity; index++) {
      code.push(localGet(index));
      if (high) code.push(localGet(index), shuffle(HIGH_HALF));
      code.push(plain("f64x2.promote_low_f32x4"));
    }
    return [...code, call(core), plain("f32x4.demote_f64x2_zero")];
  };
  builder.emit(...half(false), ...half(true), shuffle(JOIN_LOW_HALVES));
  return builder.finish(false);
}

function fmodHelper(name: string, flavor: string): GeneratedHelper {
  if (flavor === "f64") {
    const builder = new FunctionBuilder(
      name,
      [
        { name: "x", type: "f64" },
        { name: "y", type: "f64" },
      ],
      ["f64"],
    );
    emitFmod(new MathBuilder("f64", builder));
    return { definition: builder.finish(false), calls: [] };
  }
  assert(flavor === "f32", `fmod flavor ${flavor}`);
  return { definition: widenedScalar(name, `${PREFIX}fmod.f64`, 2), calls: [`${PREFIX}fmod.f64`] };
}

function integerPowFunction(name: string, flavor: "i32" | "i64"): FunctionDefinition {
  const builder = new FunctionBuilder(
    name,
    [
      { name: "base", type: flavor },
      { name: "exponent", type: flavor },
    ],
    [flavor],
  );
  emitIntegerPow(builder, flavor);
  return builder.finish(false);
}

/** Every helper reachable from `roots`, each once, roots' dependencies included. */
export function generateHelpers(roots: Iterable<string>): FunctionDefinition[] {
  const done = new Map<string, FunctionDefinition>();
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (done.has(name)) continue;
    const helper = generateHelper(name);
    done.set(name, helper.definition);
    pending.push(...helper.calls);
  }
  return [...done.keys()].sort().map((name) => done.get(name) as FunctionDefinition);
}
