/**
 * Elementwise unary ops whose element function is a single math operation:
 * `out[i…] = f(x[i…])`, same shape and dtype as the input.
 */
import type { DType } from "../../../support/dtype.js";
import { type Expr, type UnaryOp, binary, compare, select, tload, unary } from "../../expr.js";
import { compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import {
  FLOAT_TYPES,
  INTEGER_TYPES,
  NUMERIC_TYPES,
  SIGNED_NUMERIC_TYPES,
  checkDtype,
  outputName,
  requireInput,
  typed,
} from "./common.js";

/**
 * An elementwise op over input 0: `apply` receives the loaded element (and
 * the context, for attributes) and returns the output element.
 */
export function unaryOpDefinition(
  dtypes: readonly DType[],
  apply: (x: Expr, context: OpBuildContext) => Expr,
): OpDefinition {
  return {
    pattern: () => "elementwise",
    build(context) {
      const input = requireInput(context, 0);
      checkDtype(context, input, dtypes, "input X");
      return [compute(outputName(context), input.shape, (indices) => apply(tload(input, indices), context))];
    },
  };
}

function mathOp(op: UnaryOp, dtypes: readonly DType[] = FLOAT_TYPES): OpDefinition {
  return unaryOpDefinition(dtypes, (x) => unary(op, x));
}

/** sign(x): 1, −1, or x itself for ±0 and NaN (so NaN stays NaN, as in ONNX). */
function sign(x: Expr): Expr {
  const zero = typed(0, x.dtype);
  const negative = select(compare("lt", x, zero), typed(-1, x.dtype), x);
  return select(compare("gt", x, zero), typed(1, x.dtype), negative);
}

/** ~x as x xor all-ones, which needs no bitwise-not in the backends. */
function bitwiseNot(x: Expr): Expr {
  return binary("xor", x, typed(-1, x.dtype));
}

export const UNARY_OPS: Record<string, OpDefinition> = {
  Sqrt: mathOp("sqrt"),
  Reciprocal: unaryOpDefinition(FLOAT_TYPES, (x) => binary("div", typed(1, x.dtype), x)),
  Exp: mathOp("exp"),
  Log: mathOp("log"),
  Erf: mathOp("erf"),
  Tanh: mathOp("tanh"),
  Sigmoid: mathOp("sigmoid"),
  Floor: mathOp("floor"),
  Ceil: mathOp("ceil"),
  Round: mathOp("round"),
  Sin: mathOp("sin"),
  Cos: mathOp("cos"),
  Tan: mathOp("tan"),
  Asin: mathOp("asin"),
  Acos: mathOp("acos"),
  Atan: mathOp("atan"),
  Sinh: mathOp("sinh"),
  Cosh: mathOp("cosh"),
  Asinh: mathOp("asinh"),
  Acosh: mathOp("acosh"),
  Atanh: mathOp("atanh"),
  Neg: mathOp("neg", SIGNED_NUMERIC_TYPES),
  Abs: mathOp("abs", NUMERIC_TYPES),
  Sign: unaryOpDefinition(NUMERIC_TYPES, sign),
  Not: unaryOpDefinition(["bool"], (x) => compare("eq", x, typed(0, "bool"))),
  BitwiseNot: unaryOpDefinition(INTEGER_TYPES, bitwiseNot),
  IsNaN: unaryOpDefinition(FLOAT_TYPES, (x) => compare("ne", x, x)),
  IsInf: unaryOpDefinition(FLOAT_TYPES, isInf),
};

function isInf(x: Expr, context: OpBuildContext): Expr {
  const positive = context.attributes.int("detect_positive", 1) !== 0;
  const negative = context.attributes.int("detect_negative", 1) !== 0;
  const isPositive = compare("eq", x, typed(Infinity, x.dtype));
  const isNegative = compare("eq", x, typed(-Infinity, x.dtype));
  if (positive && negative) return binary("or", isPositive, isNegative);
  if (positive) return isPositive;
  if (negative) return isNegative;
  return compare("lt", x, typed(-Infinity, x.dtype));
}
