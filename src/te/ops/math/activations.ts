/**
 * Elementwise activation functions, written with the same comparisons and
 * operation order as the ONNX reference (and onnxruntime) so results agree
 * to float32 rounding.
 */
import { type Expr, binary, compare, select, unary } from "../../expr.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { unsupported } from "../../builders.js";
import { FLOAT_TYPES, NUMERIC_TYPES, SIGNED_NUMERIC_TYPES, typed } from "./common.js";
import { unaryOpDefinition } from "./unary.js";

const add = (a: Expr, b: Expr): Expr => binary("add", a, b);
const sub = (a: Expr, b: Expr): Expr => binary("sub", a, b);
const mul = (a: Expr, b: Expr): Expr => binary("mul", a, b);
const min = (a: Expr, b: Expr): Expr => binary("min", a, b);
const max = (a: Expr, b: Expr): Expr => binary("max", a, b);

function floatAttribute(context: OpBuildContext, name: string, fallback: number, dtype: Expr["dtype"]): Expr {
  return typed(context.attributes.float(name, fallback), dtype);
}

/** max(0, min(1, alpha·x + beta)). */
function hardSigmoid(x: Expr, alpha: Expr, beta: Expr): Expr {
  const zero = typed(0, x.dtype);
  const one = typed(1, x.dtype);
  return max(zero, min(one, add(mul(alpha, x), beta)));
}

function leakyRelu(x: Expr, context: OpBuildContext): Expr {
  const alpha = floatAttribute(context, "alpha", 0.01, x.dtype);
  return select(compare("lt", x, typed(0, x.dtype)), mul(alpha, x), x);
}

function elu(x: Expr, context: OpBuildContext): Expr {
  const alpha = floatAttribute(context, "alpha", 1, x.dtype);
  const negativePart = mul(alpha, sub(unary("exp", x), typed(1, x.dtype)));
  return select(compare("lt", x, typed(0, x.dtype)), negativePart, x);
}

/** gamma·x for x > 0, else gamma·(alpha·eˣ − alpha); defaults are the float32 constants of the spec. */
function selu(x: Expr, context: OpBuildContext): Expr {
  const alpha = floatAttribute(context, "alpha", 1.67326319217681884765625, x.dtype);
  const gamma = floatAttribute(context, "gamma", 1.05070102214813232421875, x.dtype);
  const negativePart = mul(gamma, sub(mul(alpha, unary("exp", x)), alpha));
  return select(compare("gt", x, typed(0, x.dtype)), mul(gamma, x), negativePart);
}

/** max(0, x) + min(0, alpha·(exp(x/alpha) − 1)). */
function celu(x: Expr, context: OpBuildContext): Expr {
  const alpha = floatAttribute(context, "alpha", 1, x.dtype);
  const zero = typed(0, x.dtype);
  const expm1 = sub(unary("exp", binary("div", x, alpha)), typed(1, x.dtype));
  return add(max(zero, x), min(zero, mul(alpha, expm1)));
}

function thresholdedRelu(x: Expr, context: OpBuildContext): Expr {
  const alpha = floatAttribute(context, "alpha", 1, x.dtype);
  return select(compare("gt", x, alpha), x, typed(0, x.dtype));
}

/**
 * log(1 + eˣ) in the overflow-free form max(x, 0) + log(1 + e^(−|x|)):
 * the direct form is +inf for x > 88 in float32.
 */
function softplus(x: Expr): Expr {
  const onePlus = add(typed(1, x.dtype), unary("exp", unary("neg", unary("abs", x))));
  return add(max(x, typed(0, x.dtype)), unary("log", onePlus));
}

function softsign(x: Expr): Expr {
  return binary("div", x, add(typed(1, x.dtype), unary("abs", x)));
}

/** x < −lambd: x + bias; x > lambd: x − bias; else 0. */
function shrink(x: Expr, context: OpBuildContext): Expr {
  const lambd = context.attributes.float("lambd", 0.5);
  const bias = floatAttribute(context, "bias", 0, x.dtype);
  const zero = typed(0, x.dtype);
  const above = select(compare("gt", x, typed(lambd, x.dtype)), sub(x, bias), zero);
  return select(compare("lt", x, typed(-lambd, x.dtype)), add(x, bias), above);
}

/** Gelu: x·Φ(x) with Φ(x) = (1 + erf(x/√2))/2, or its tanh approximation (approximate="tanh"). */
function gelu(x: Expr, context: OpBuildContext): Expr {
  const approximate = context.attributes.string("approximate", "none");
  const half = typed(0.5, x.dtype);
  const one = typed(1, x.dtype);
  if (approximate === "none") {
    return mul(mul(half, x), add(one, unary("erf", mul(x, typed(Math.SQRT1_2, x.dtype)))));
  }
  if (approximate !== "tanh") throw unsupported(context.node, `approximate='${approximate}' must be none or tanh`);
  const cube = mul(mul(x, x), x);
  const inner = mul(typed(Math.sqrt(2 / Math.PI), x.dtype), add(x, mul(typed(0.044715, x.dtype), cube)));
  return mul(mul(half, x), add(one, unary("tanh", inner)));
}

export const ACTIVATION_OPS: Record<string, OpDefinition> = {
  Relu: unaryOpDefinition(SIGNED_NUMERIC_TYPES, (x) => max(x, typed(0, x.dtype))),
  LeakyRelu: unaryOpDefinition(FLOAT_TYPES, leakyRelu),
  Elu: unaryOpDefinition(FLOAT_TYPES, elu),
  Selu: unaryOpDefinition(FLOAT_TYPES, selu),
  Celu: unaryOpDefinition(FLOAT_TYPES, celu),
  ThresholdedRelu: unaryOpDefinition(FLOAT_TYPES, thresholdedRelu),
  Softplus: unaryOpDefinition(FLOAT_TYPES, softplus),
  Softsign: unaryOpDefinition(FLOAT_TYPES, softsign),
  HardSigmoid: unaryOpDefinition(FLOAT_TYPES, (x, context) =>
    hardSigmoid(x, floatAttribute(context, "alpha", 0.2, x.dtype), floatAttribute(context, "beta", 0.5, x.dtype)),
  ),
  HardSwish: unaryOpDefinition(FLOAT_TYPES, (x) => mul(x, hardSigmoid(x, typed(1 / 6, x.dtype), typed(0.5, x.dtype)))),
  Shrink: unaryOpDefinition(NUMERIC_TYPES, shrink),
  Gelu: unaryOpDefinition(FLOAT_TYPES, gelu),
  Mish: unaryOpDefinition(FLOAT_TYPES, (x) => mul(x, unary("tanh", softplus(x)))),
};
