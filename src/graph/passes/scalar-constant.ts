/** Reading a one-element constant operand, for passes that match patterns with literal operands. */
import type { Value } from "../ir.js";
import { elementAsNumber, sizeOf } from "../../support/tensor-data.js";

/**
 * The number in `value` when it is a one-element float constant (or any
 * numeric one with `allowIntegers`) of rank at most `rank`, so broadcasting
 * it against a rank-`rank` operand leaves that operand's shape; null otherwise.
 */
export function scalarConstant(
  value: Value | null,
  rank: number,
  options: { allowIntegers?: boolean } = {},
): number | null {
  const data = value?.constant;
  if (data === undefined || sizeOf(data.shape) !== 1 || data.shape.length > rank) return null;
  const isFloatType = data.dtype === "float32" || data.dtype === "float64";
  if (!isFloatType && options.allowIntegers !== true) return null;
  return elementAsNumber(data, 0);
}
