/**
 * Broadcasting arithmetic: `out[i…] = a[bcast(i…)] op b[bcast(i…)]` with
 * numpy broadcasting, plus the variadic Sum/Mean/Min/Max and PRelu.
 */
import { type DType, isFloat, isSigned } from "../../../support/dtype.js";
import { type BinaryOp, type Expr, binary, cast, compare, constant, select, unary } from "../../expr.js";
import type { OpBuildContext, OpBuildResult, OpDefinition } from "../../op.js";
import { unsupported } from "../../builders.js";
import {
  FLOAT_TYPES,
  NUMERIC_TYPES,
  UNSIGNED_INTEGER_TYPES,
  broadcastCompute,
  checkDtype,
  checkSameDtype,
  elementwisePattern,
  invalidModel,
  requireAllInputs,
  requireInput,
  typed,
} from "./common.js";

/** A two-input op whose inputs share `dtypes`; `apply` combines the two broadcast elements. */
export function binaryOpDefinition(
  dtypes: readonly DType[],
  apply: (a: Expr, b: Expr, context: OpBuildContext) => Expr,
): OpDefinition {
  return {
    pattern: elementwisePattern,
    build(context) {
      const a = requireInput(context, 0);
      const b = requireInput(context, 1);
      checkDtype(context, a, dtypes, "input A");
      checkSameDtype(context, [a, b]);
      return [broadcastCompute(context, [a, b], ([x, y]) => apply(x!, y!, context))];
    },
  };
}

function arithmetic(op: BinaryOp): OpDefinition {
  return binaryOpDefinition(NUMERIC_TYPES, (a, b) => binary(op, a, b));
}

/** A variadic op folding its inputs left to right with `op` (one input: a copy). */
function variadic(op: BinaryOp, dtypes: readonly DType[], finish = (x: Expr, _count: number) => x): OpDefinition {
  return {
    pattern: elementwisePattern,
    build(context) {
      const operands = requireAllInputs(context);
      checkDtype(context, operands[0]!, dtypes, "input 0");
      checkSameDtype(context, operands);
      return [
        broadcastCompute(context, operands, (values) =>
          finish(
            values.slice(1).reduce((accumulator, value) => binary(op, accumulator, value), values[0]!),
            values.length,
          ),
        ),
      ];
    },
  };
}

/**
 * Pow: the result has the base's dtype. A float base takes the exponent cast
 * to its type; an integer base is raised in float64 and truncated back, as
 * onnxruntime does (std::pow then static_cast). With a whole exponent in
 * [0, 64) the power is an integer, and it is computed by repeated squaring,
 * exact wherever float64 holds it: exp(6·log 3) is 728.99999999999994,
 * which would truncate to 728 where std::pow's correctly rounded 729 does not.
 */
function pow(context: OpBuildContext): OpBuildResult {
  const base = requireInput(context, 0);
  const exponent = requireInput(context, 1);
  checkDtype(context, base, NUMERIC_TYPES, "input X");
  checkDtype(context, exponent, NUMERIC_TYPES, "input Y");
  return [
    broadcastCompute(context, [base, exponent], ([x, y]) => {
      if (isFloat(base.dtype)) return binary("pow", x!, cast(y!, base.dtype));
      const power = cast(y!, "float64");
      const wide = cast(x!, "float64");
      const whole = binary("and", compare("eq", unary("floor", power), power), compare("ge", power, float64(0)));
      const small = binary("and", whole, compare("lt", power, float64(2 ** SQUARINGS)));
      return cast(select(small, powerBySquaring(wide, power), binary("pow", wide, power)), base.dtype);
    }),
  ];
}

/** Bits of a whole exponent that powerBySquaring reads. */
const SQUARINGS = 6;

const float64 = (value: number): Expr => constant(value, "float64");

/** x^n for a whole float64 n in [0, 2^SQUARINGS): one multiply per set bit of n and one squaring per bit. */
function powerBySquaring(x: Expr, n: Expr): Expr {
  let result = float64(1);
  let square = x;
  let rest = n;
  for (let bit = 0; bit < SQUARINGS; bit++) {
    const half = unary("floor", binary("mul", rest, float64(0.5)));
    const odd = compare("ne", binary("mul", half, float64(2)), rest);
    result = select(odd, binary("mul", result, square), result);
    square = binary("mul", square, square);
    rest = half;
  }
  return result;
}

/**
 * Mod: fmod=1 is C fmod (the dividend's sign; the only form for floats);
 * fmod=0 is integer modulo with the divisor's sign, as Python's %.
 */
function mod(a: Expr, b: Expr, context: OpBuildContext): Expr {
  const fmod = context.attributes.int("fmod", 0);
  if (fmod !== 0 && fmod !== 1) throw unsupported(context.node, `fmod=${fmod} must be 0 or 1`);
  if (isFloat(a.dtype) && fmod === 0) throw invalidModel(context, "Mod of floating-point inputs requires fmod=1");
  const remainder = binary("rem", a, b);
  if (fmod === 1 || !isSigned(a.dtype)) return remainder;
  const zero = typed(0, a.dtype);
  const signsDiffer = compare("ne", compare("lt", remainder, zero), compare("lt", b, zero));
  const needsFix = binary("and", compare("ne", remainder, zero), signsDiffer);
  return select(needsFix, binary("add", remainder, b), remainder);
}

function bitShift(a: Expr, b: Expr, context: OpBuildContext): Expr {
  const direction = context.attributes.string("direction");
  if (direction === "LEFT") return binary("shl", a, b);
  if (direction === "RIGHT") return binary("shr", a, b);
  throw unsupported(context.node, `direction '${direction}' must be LEFT or RIGHT`);
}

/** PRelu: x < 0 ? slope·x : x, the slope broadcasting to X's shape (unidirectionally). */
const prelu: OpDefinition = {
  pattern: elementwisePattern,
  build(context) {
    const x = requireInput(context, 0);
    const slope = requireInput(context, 1);
    checkDtype(context, x, NUMERIC_TYPES, "input X");
    checkSameDtype(context, [x, slope]);
    const result = broadcastCompute(context, [x, slope], ([value, factor]) =>
      select(compare("lt", value!, typed(0, x.dtype)), binary("mul", factor!, value!), value!),
    );
    if (result.shape.length !== x.shape.length || result.shape.some((extent, dim) => extent !== x.shape[dim])) {
      throw invalidModel(context, `slope [${slope.shape.join(",")}] does not broadcast to X [${x.shape.join(",")}]`);
    }
    return [result];
  },
};

export const BINARY_OPS: Record<string, OpDefinition> = {
  Add: arithmetic("add"),
  Sub: arithmetic("sub"),
  Mul: arithmetic("mul"),
  Div: arithmetic("div"),
  Pow: { pattern: elementwisePattern, build: pow },
  Mod: binaryOpDefinition(NUMERIC_TYPES, mod),
  BitShift: binaryOpDefinition(UNSIGNED_INTEGER_TYPES, bitShift),
  PRelu: prelu,
  Min: variadic("min", NUMERIC_TYPES),
  Max: variadic("max", NUMERIC_TYPES),
  Sum: variadic("add", NUMERIC_TYPES),
  Mean: variadic("add", FLOAT_TYPES, (sum, count) => binary("div", sum, typed(count, sum.dtype))),
};
