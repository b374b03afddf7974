/**
 * Host-side tensor contents: constants, initializers and folded values.
 * Shapes are concrete here; symbolic dims only exist on graph values.
 */
import { type DType, type TypedArray, allocateTypedArray } from "./dtype.js";
import { assert } from "./assert.js";

export interface TensorData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Row-major contents; length equals the product of `shape`. */
  readonly data: TypedArray;
}

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

export function makeTensorData(dtype: DType, shape: readonly number[], data?: TypedArray): TensorData {
  const size = sizeOf(shape);
  const contents = data ?? allocateTypedArray(dtype, size);
  assert(contents.length === size, `tensor data length ${contents.length} != shape size ${size}`);
  return { dtype, shape: [...shape], data: contents };
}

/** Reads element `index` as a JS number (bigints converted; callers use this for small shape tensors). */
export function elementAsNumber(tensor: TensorData, index: number): number {
  const value = tensor.data[index];
  return typeof value === "bigint" ? Number(value) : (value as number);
}

/** All elements as JS numbers; intended for small index/shape tensors. */
export function toNumberArray(tensor: TensorData): number[] {
  const out: number[] = [];
  for (let i = 0; i < tensor.data.length; i++) out.push(elementAsNumber(tensor, i));
  return out;
}
