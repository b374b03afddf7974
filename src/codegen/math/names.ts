/**
 * Names of the generated math helper functions. A kernel asks for
 * `mathHelperName("exp", "f32x4")`; emit-module generates each requested
 * helper (and what it calls) once per module.
 */
import type { UnaryOp } from "../../te/expr.js";

/** Unary ops that wasm has no instruction for. */
export type TranscendentalOp = Exclude<UnaryOp, "neg" | "abs" | "sqrt" | "floor" | "ceil" | "round" | "trunc" | "not">;

export const TRANSCENDENTAL_OPS: readonly TranscendentalOp[] = [
  "exp",
  "log",
  "erf",
  "tanh",
  "sigmoid",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "sinh",
  "cosh",
  "asinh",
  "acosh",
  "atanh",
];

export type FloatMathFunction = TranscendentalOp | "pow" | "fmod";
export type FloatFlavor = "f32" | "f64" | "f32x4";
export type IntegerFlavor = "i32" | "i64";

const PREFIX = "tessera.";

export function isTranscendental(op: UnaryOp): op is TranscendentalOp {
  return (TRANSCENDENTAL_OPS as readonly string[]).includes(op);
}

export function mathHelperName(fn: FloatMathFunction, flavor: FloatFlavor): string {
  return `${PREFIX}${fn}.${flavor}`;
}

/** Integer power by squaring (ONNX Pow on integer tensors). */
export function integerPowName(flavor: IntegerFlavor): string {
  return `${PREFIX}ipow.${flavor}`;
}

export function isHelperName(name: string): boolean {
  return name.startsWith(PREFIX);
}
