/**
 * The public Tensor: the same shape as onnxruntime-web's CPU tensor
 * (`new Tensor(type, data, dims)`, `.type`, `.data`, `.dims`, `.size`), so
 * code written for onnxruntime-web switches with a one-line change.
 *
 * Contract: `data` is a typed array of the type's own class (float32 →
 * Float32Array, int64 → BigInt64Array, bool → Uint8Array, …) whose length is
 * the product of `dims`; anything else throws TesseraError E_BAD_FEED at
 * construction, so a bad feed never reaches wasm memory. Plain JS arrays are
 * accepted and copied into a fresh typed array, as onnxruntime-web does.
 */
import { type DType, type TypedArray, ALL_DTYPES, allocateTypedArray, isBigIntType } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";

export type TensorData = TypedArray | readonly number[] | readonly bigint[] | readonly boolean[];

export class Tensor {
  readonly type: DType;
  readonly data: TypedArray;
  readonly dims: readonly number[];
  /** Number of elements (product of dims). */
  readonly size: number;

  /** `new Tensor(type, data, dims?)`; dims default to `[data.length]`. */
  constructor(type: DType, data: TensorData, dims?: readonly number[]);
  /** `new Tensor(data, dims?)`: the type is inferred from the typed array's class. */
  constructor(data: TypedArray, dims?: readonly number[]);
  constructor(
    typeOrData: DType | TypedArray,
    dataOrDims?: TensorData | readonly number[],
    maybeDims?: readonly number[],
  ) {
    const typeGiven = typeof typeOrData === "string";
    const type = typeGiven ? checkType(typeOrData) : inferType(typeOrData);
    const rawData = (typeGiven ? dataOrDims : typeOrData) as TensorData | undefined;
    if (rawData === undefined) throw new TesseraError("E_BAD_FEED", `tensor of type ${type} needs data`);
    const data = toTypedArray(type, rawData);
    const dims = checkDims(typeGiven ? maybeDims : (dataOrDims as readonly number[] | undefined), data.length);
    this.type = type;
    this.data = data;
    this.dims = Object.freeze([...dims]);
    this.size = data.length;
  }
}

function checkType(type: string): DType {
  if (!(ALL_DTYPES as readonly string[]).includes(type)) {
    throw new TesseraError(
      "E_BAD_FEED",
      `unsupported tensor type '${type}' (expected one of ${ALL_DTYPES.join(", ")})`,
    );
  }
  return type as DType;
}

function inferType(data: unknown): DType {
  for (const type of ALL_DTYPES) {
    if (type !== "bool" && data instanceof arrayClassOf(type)) return type;
  }
  throw new TesseraError("E_BAD_FEED", "tensor data must be a typed array when no type is given");
}

/** The typed array class that holds `type`'s elements. */
export function arrayClassOf(type: DType): new (length: number) => TypedArray {
  return allocateTypedArray(type, 0).constructor as new (length: number) => TypedArray;
}

function toTypedArray(type: DType, data: TensorData): TypedArray {
  const expected = arrayClassOf(type);
  if (data instanceof expected) return data;
  if (!Array.isArray(data)) {
    const actual = (data as object)?.constructor?.name ?? typeof data;
    throw new TesseraError("E_BAD_FEED", `tensor of type ${type} needs a ${expected.name}, got a ${actual}`);
  }
  const array = allocateTypedArray(type, data.length);
  const bigint = isBigIntType(type);
  for (let index = 0; index < data.length; index++) {
    const value: unknown = data[index];
    array[index] = convertElement(value, bigint, type) as never;
  }
  return array;
}

function convertElement(value: unknown, bigint: boolean, type: DType): number | bigint {
  if (bigint) {
    if (typeof value === "bigint") return value;
    if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  } else if (typeof value === "number") {
    return value;
  } else if (typeof value === "boolean" && type === "bool") {
    return value ? 1 : 0;
  }
  throw new TesseraError("E_BAD_FEED", `element ${String(value)} does not fit a tensor of type ${type}`);
}

function checkDims(dims: readonly number[] | undefined, length: number): readonly number[] {
  if (dims === undefined) return [length];
  if (!Array.isArray(dims) || !dims.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw new TesseraError("E_BAD_FEED", `tensor dims must be non-negative integers, got [${String(dims)}]`);
  }
  const size = dims.reduce((product, dim) => product * dim, 1);
  if (size !== length) {
    throw new TesseraError(
      "E_BAD_FEED",
      `tensor data has ${length} elements but dims [${dims.join(", ")}] need ${size}`,
    );
  }
  return dims;
}
