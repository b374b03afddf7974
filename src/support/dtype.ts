/**
 * Element types. `DType` names follow onnxruntime-web's Tensor types so the
 * public API can use them unchanged. Narrow integer types (int8..uint16, bool)
 * live in memory at their own width and are computed on as i32.
 */
import { TesseraError } from "./errors.js";

export type DType =
  "float32" | "float64" | "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32" | "int64" | "uint64" | "bool";

/** The wasm value type a DType is computed in. */
export type WasmValueType = "f32" | "f64" | "i32" | "i64";

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

interface DTypeInfo {
  readonly bytes: number;
  readonly valueType: WasmValueType;
  readonly isFloat: boolean;
  readonly isSigned: boolean;
  /** ONNX TensorProto.DataType enum value. */
  readonly onnxCode: number;
}

const INFO: Readonly<Record<DType, DTypeInfo>> = {
  float32: { bytes: 4, valueType: "f32", isFloat: true, isSigned: true, onnxCode: 1 },
  uint8: { bytes: 1, valueType: "i32", isFloat: false, isSigned: false, onnxCode: 2 },
  int8: { bytes: 1, valueType: "i32", isFloat: false, isSigned: true, onnxCode: 3 },
  uint16: { bytes: 2, valueType: "i32", isFloat: false, isSigned: false, onnxCode: 4 },
  int16: { bytes: 2, valueType: "i32", isFloat: false, isSigned: true, onnxCode: 5 },
  int32: { bytes: 4, valueType: "i32", isFloat: false, isSigned: true, onnxCode: 6 },
  int64: { bytes: 8, valueType: "i64", isFloat: false, isSigned: true, onnxCode: 7 },
  bool: { bytes: 1, valueType: "i32", isFloat: false, isSigned: false, onnxCode: 9 },
  float64: { bytes: 8, valueType: "f64", isFloat: true, isSigned: true, onnxCode: 11 },
  uint32: { bytes: 4, valueType: "i32", isFloat: false, isSigned: false, onnxCode: 12 },
  uint64: { bytes: 8, valueType: "i64", isFloat: false, isSigned: false, onnxCode: 13 },
};

const ONNX_NAMES: Readonly<Record<number, string>> = {
  0: "undefined",
  8: "string",
  10: "float16",
  14: "complex64",
  15: "complex128",
  16: "bfloat16",
};

export function dtypeBytes(dtype: DType): number {
  return INFO[dtype].bytes;
}
export function valueTypeOf(dtype: DType): WasmValueType {
  return INFO[dtype].valueType;
}
export function isFloat(dtype: DType): boolean {
  return INFO[dtype].isFloat;
}
export function isSigned(dtype: DType): boolean {
  return INFO[dtype].isSigned;
}
export function isInteger(dtype: DType): boolean {
  return !INFO[dtype].isFloat && dtype !== "bool";
}
/** True for types held in an i64 (int64, uint64): their values are bigints in JS. */
export function isBigIntType(dtype: DType): boolean {
  return INFO[dtype].valueType === "i64";
}
export function onnxCodeOf(dtype: DType): number {
  return INFO[dtype].onnxCode;
}

/** Maps an ONNX TensorProto.DataType code to a DType, or throws E_UNSUPPORTED_DTYPE. */
export function dtypeFromOnnx(code: number, where = ""): DType {
  for (const [name, info] of Object.entries(INFO)) {
    if (info.onnxCode === code) return name as DType;
  }
  const typeName = ONNX_NAMES[code] ?? `code ${code}`;
  throw new TesseraError("E_UNSUPPORTED_DTYPE", `element type ${typeName} is not supported${where}`);
}

export function allocateTypedArray(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(length);
    case "float64":
      return new Float64Array(length);
    case "int8":
      return new Int8Array(length);
    case "uint8":
    case "bool":
      return new Uint8Array(length);
    case "int16":
      return new Int16Array(length);
    case "uint16":
      return new Uint16Array(length);
    case "int32":
      return new Int32Array(length);
    case "uint32":
      return new Uint32Array(length);
    case "int64":
      return new BigInt64Array(length);
    case "uint64":
      return new BigUint64Array(length);
  }
}

/** A typed array of `dtype` that views `bytes` (copied when unaligned). */
export function typedArrayFromBytes(dtype: DType, bytes: Uint8Array, length: number): TypedArray {
  const size = dtypeBytes(dtype);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const buffer = aligned.buffer;
  const offset = aligned.byteOffset;
  switch (dtype) {
    case "float32":
      return new Float32Array(buffer, offset, length);
    case "float64":
      return new Float64Array(buffer, offset, length);
    case "int8":
      return new Int8Array(buffer, offset, length);
    case "uint8":
    case "bool":
      return new Uint8Array(buffer, offset, length);
    case "int16":
      return new Int16Array(buffer, offset, length);
    case "uint16":
      return new Uint16Array(buffer, offset, length);
    case "int32":
      return new Int32Array(buffer, offset, length);
    case "uint32":
      return new Uint32Array(buffer, offset, length);
    case "int64":
      return new BigInt64Array(buffer, offset, length);
    case "uint64":
      return new BigUint64Array(buffer, offset, length);
  }
}

export const ALL_DTYPES: readonly DType[] = Object.keys(INFO) as DType[];
