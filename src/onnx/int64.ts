/**
 * Conversions between protobufjs's int64 representation (a `Long`, or a JS
 * number for defaults) and JS numbers and bigints.
 */

/** Structural view of a `long` Long, so this module needs no import of it. */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned: boolean;
}

export type Int64Field = number | LongLike;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The exact value of a protobufjs int64/uint64 field. */
export function int64ToBigInt(value: Int64Field): bigint {
  if (typeof value === "number") return BigInt(Math.trunc(value));
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return value.unsigned ? bits : BigInt.asIntN(64, bits);
}

/** The value of an int64 field as a JS number (exact up to 2^53; sizes and attributes never need more). */
export function int64ToNumber(value: Int64Field): number {
  if (typeof value === "number") return value;
  return Number(int64ToBigInt(value));
}

/**
 * A JS number as an int64, clamped to the int64 range. Attribute values such
 * as Slice's `ends = INT64_MAX` round up to 2^63 as doubles; clamping maps them
 * back to INT64_MAX instead of wrapping to INT64_MIN.
 */
export function numberToInt64(value: number): bigint {
  if (Number.isNaN(value)) return 0n;
  if (value >= 9.223372036854775807e18) return INT64_MAX;
  if (value <= -9.223372036854775808e18) return INT64_MIN;
  return BigInt(Math.trunc(value));
}
