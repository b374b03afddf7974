/**
 * Deterministic pseudo-random inputs for `tessera run` when the user gives no
 * file, so that two runs (or Tessera and another runtime fed the same
 * numbers) see the same data. Floats are uniform in [-1, 1); integers are in
 * [0, 10), small enough to be valid indices for most gather/embedding inputs;
 * bools are 0 or 1.
 */
import { type DType, allocateTypedArray, isBigIntType, isFloat } from "../support/dtype.js";
import { Tensor } from "../runtime/tensor.js";

/** mulberry32: a tiny, fast, well-distributed 32-bit generator; returns values in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomTensor(dtype: DType, dims: readonly number[], seed: number): Tensor {
  const size = dims.reduce((product, dim) => product * dim, 1);
  const data = allocateTypedArray(dtype, size);
  const random = createRandom(seed);
  const integerLimit = dtype === "bool" ? 2 : 10;
  for (let index = 0; index < size; index++) {
    const uniform = random();
    if (isFloat(dtype)) data[index] = uniform * 2 - 1;
    else if (isBigIntType(dtype)) data[index] = BigInt(Math.floor(uniform * integerLimit));
    else data[index] = Math.floor(uniform * integerLimit);
  }
  return new Tensor(dtype, data, dims);
}
