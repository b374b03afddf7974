/**
 * Comparisons (bool results), logical and bitwise ops, and Where, all with
 * numpy broadcasting.
 */
import type { DType } from "../../../support/dtype.js";
import { type BinaryOp, type CompareOp, binary, compare, select } from "../../expr.js";
import type { OpDefinition } from "../../op.js";
import { binaryOpDefinition } from "./binary.js";
import {
  ALL_TYPES,
  INTEGER_TYPES,
  NUMERIC_TYPES,
  broadcastCompute,
  checkDtype,
  checkSameDtype,
  elementwisePattern,
  requireInput,
} from "./common.js";

function comparison(op: CompareOp, dtypes: readonly DType[] = NUMERIC_TYPES): OpDefinition {
  return binaryOpDefinition(dtypes, (a, b) => compare(op, a, b));
}

function bitwise(op: BinaryOp, dtypes: readonly DType[]): OpDefinition {
  return binaryOpDefinition(dtypes, (a, b) => binary(op, a, b));
}

/** Where(condition, X, Y): X where the condition holds, else Y; three-way broadcast. */
const where: OpDefinition = {
  pattern: elementwisePattern,
  build(context) {
    const condition = requireInput(context, 0);
    const whenTrue = requireInput(context, 1);
    const whenFalse = requireInput(context, 2);
    checkDtype(context, condition, ["bool"], "condition");
    checkSameDtype(context, [whenTrue, whenFalse]);
    return [broadcastCompute(context, [condition, whenTrue, whenFalse], ([c, x, y]) => select(c!, x!, y!))];
  },
};

export const COMPARE_LOGIC_OPS: Record<string, OpDefinition> = {
  Equal: comparison("eq", ALL_TYPES),
  Less: comparison("lt"),
  LessOrEqual: comparison("le"),
  Greater: comparison("gt"),
  GreaterOrEqual: comparison("ge"),
  And: bitwise("and", ["bool"]),
  Or: bitwise("or", ["bool"]),
  Xor: bitwise("xor", ["bool"]),
  BitwiseAnd: bitwise("and", INTEGER_TYPES),
  BitwiseOr: bitwise("or", INTEGER_TYPES),
  BitwiseXor: bitwise("xor", INTEGER_TYPES),
  Where: where,
};
