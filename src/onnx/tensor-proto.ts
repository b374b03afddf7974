/**
 * TensorProto → TensorData: the one place that reads tensor contents, for
 * initializers, Constant attributes and the conformance tests' .pb files.
 *
 * Contract: the element count implied by `dims` must match the stored data
 * exactly (raw_data bytes, the typed field for the dtype, or the external
 * slice); nothing is allocated before that check, so a corrupt `dims` cannot
 * trigger a huge allocation. The result owns its memory (raw bytes are
 * copied, never aliased into the model file's buffer).
 */
import protobuf from "protobufjs";
import { type DType, type TypedArray, allocateTypedArray, dtypeBytes, dtypeFromOnnx } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";
import { assert, unreachable } from "../support/assert.js";
import { type TensorData, makeTensorData } from "../support/tensor-data.js";
import { type RawTensor, decodeMessage, tensorFromRaw } from "./decode-model.js";
import type { TensorProto } from "./onnx-records.js";
import { DataLocation, onnxTypes } from "./onnx-schema.js";

/** Returns the whole contents of an external data file, by its `location` as written in the model. */
export type ExternalDataReader = (location: string) => Uint8Array;

export interface TensorReadOptions {
  readonly readExternal?: ExternalDataReader;
  /** Where the tensor sits, for messages (e.g. " in node 'conv1'"). */
  readonly where?: string;
}

const ONNX_STRING = 8;
const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reads a TensorProto's contents. Throws E_UNSUPPORTED_DTYPE, E_INVALID_MODEL or E_EXTERNAL_DATA. */
export function tensorDataFromProto(proto: TensorProto, options: TensorReadOptions = {}): TensorData {
  const where = `tensor '${proto.name}'${options.where ?? ""}`;
  const dtype = dtypeFromOnnx(proto.dataType, ` (${where})`);
  if (proto.hasSegment) {
    throw new TesseraError("E_UNSUPPORTED_ATTRIBUTE", `${where} is stored in segments, which Tessera does not support`);
  }
  const shape = checkedDims(proto.dims, where);
  const count = elementCount(shape, where);
  if (proto.dataLocation === DataLocation.EXTERNAL) {
    return makeTensorData(
      dtype,
      shape,
      fromRawBytes(dtype, readExternalSlice(proto, dtype, count, where, options), count, where),
    );
  }
  if (proto.rawData !== null) return makeTensorData(dtype, shape, fromRawBytes(dtype, proto.rawData, count, where));
  return makeTensorData(dtype, shape, fromTypedField(proto, dtype, count, where));
}

function checkedDims(dims: readonly number[], where: string): number[] {
  for (const dim of dims) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new TesseraError("E_INVALID_MODEL", `${where} has an invalid dimension ${dim}`);
    }
  }
  return [...dims];
}

/** The element count, rejecting sizes no stored data could match (beyond 2^32 elements). */
function elementCount(shape: readonly number[], where: string): number {
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (count > 2 ** 32) throw new TesseraError("E_INVALID_MODEL", `${where} has an impossibly large shape [${shape}]`);
  }
  return count;
}

function fromRawBytes(dtype: DType, bytes: Uint8Array, count: number, where: string): TypedArray {
  assert(IS_LITTLE_ENDIAN, "tensor decoding assumes a little-endian host");
  const expected = count * dtypeBytes(dtype);
  if (bytes.length !== expected) {
    throw new TesseraError("E_INVALID_MODEL", `${where} has ${bytes.length} bytes of data, expected ${expected}`);
  }
  if (dtype === "bool") return Uint8Array.from(bytes, (byte) => (byte === 0 ? 0 : 1));
  const array = allocateTypedArray(dtype, count);
  new Uint8Array(array.buffer, array.byteOffset, expected).set(bytes);
  return array;
}

function fromTypedField(proto: TensorProto, dtype: DType, count: number, where: string): TypedArray {
  const values = typedFieldFor(proto, dtype);
  if (values.length !== count) {
    throw new TesseraError("E_INVALID_MODEL", `${where} has ${values.length} values, expected ${count}`);
  }
  const array = allocateTypedArray(dtype, count);
  if (dtype === "bool") {
    for (let index = 0; index < count; index++) array[index] = values[index] === 0 ? 0 : 1;
    return array;
  }
  if (dtype === "uint32") {
    for (let index = 0; index < count; index++) array[index] = Number(values[index]);
    return array;
  }
  (array as { set(values: ArrayLike<number | bigint>): void }).set(values);
  return array;
}

/** The typed field that ONNX stores `dtype` in when raw_data is absent. */
function typedFieldFor(proto: TensorProto, dtype: DType): readonly (number | bigint)[] {
  switch (dtype) {
    case "float32":
      return proto.floatData;
    case "float64":
      return proto.doubleData;
    case "int8":
    case "uint8":
    case "int16":
    case "uint16":
    case "int32":
    case "bool":
      return proto.int32Data;
    case "int64":
      return proto.int64Data;
    case "uint32":
    case "uint64":
      return proto.uint64Data;
    default:
      return unreachable(dtype);
  }
}

function readExternalSlice(
  proto: TensorProto,
  dtype: DType,
  count: number,
  where: string,
  options: TensorReadOptions,
): Uint8Array {
  const entries = new Map(proto.externalData.map((entry) => [entry.key, entry.value]));
  const location = entries.get("location");
  if (location === undefined || location === "") {
    throw new TesseraError("E_EXTERNAL_DATA", `${where} is external but names no location`);
  }
  if (options.readExternal === undefined) {
    throw new TesseraError(
      "E_EXTERNAL_DATA",
      `${where} is stored in external file '${location}'; pass readExternal (or use importModelFile)`,
    );
  }
  const file = callReader(options.readExternal, location, where);
  const expected = count * dtypeBytes(dtype);
  const offset = parseExternalInteger(entries.get("offset"), 0, "offset", where);
  const length = parseExternalInteger(entries.get("length"), expected, "length", where);
  if (offset + length > file.length) {
    throw new TesseraError(
      "E_EXTERNAL_DATA",
      `${where} wants bytes [${offset}, ${offset + length}) of '${location}', which has ${file.length} bytes`,
    );
  }
  return file.subarray(offset, offset + length);
}

function callReader(readExternal: ExternalDataReader, location: string, where: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readExternal(location);
  } catch (error) {
    if (error instanceof TesseraError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TesseraError("E_EXTERNAL_DATA", `cannot read external file '${location}' for ${where}: ${reason}`);
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new TesseraError("E_EXTERNAL_DATA", `readExternal('${location}') did not return a Uint8Array`);
  }
  return bytes;
}

function parseExternalInteger(text: string | undefined, fallback: number, key: string, where: string): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new TesseraError("E_EXTERNAL_DATA", `${where} has an invalid external ${key} '${text}'`);
  }
  return Number(text);
}

/**
 * Decodes a serialized TensorProto (a conformance test's input_K.pb or
 * output_K.pb). A file holding a SequenceProto or OptionalProto instead, or a
 * string tensor, throws E_UNSUPPORTED_DTYPE saying so; other bad bytes throw
 * E_CORRUPT_MODEL or E_INVALID_MODEL.
 */
export function decodeTensor(bytes: Uint8Array): TensorData {
  const proto = tensorFromRaw(decodeMessage<RawTensor>(onnxTypes.TensorProto, bytes, "TensorProto"));
  if (proto.dataType === ONNX_STRING) {
    throw new TesseraError(
      "E_UNSUPPORTED_DTYPE",
      `tensor '${proto.name}' holds strings, which Tessera does not support`,
    );
  }
  try {
    return tensorDataFromProto(proto);
  } catch (error) {
    const container = error instanceof TesseraError ? recognizeContainer(bytes) : null;
    if (container === null) throw error;
    throw new TesseraError(
      "E_UNSUPPORTED_DTYPE",
      `'${container}' is a SequenceProto or OptionalProto, not a TensorProto: sequence and optional values are not supported`,
    );
  }
}

/**
 * Returns the name of a SequenceProto/OptionalProto when the bytes have that
 * layout (field 1 a name string, field 2 an elem_type in 0..5, every other
 * top-level field a length-delimited value), else null.
 */
function recognizeContainer(bytes: Uint8Array): string | null {
  try {
    const reader = protobuf.Reader.create(bytes);
    let elemType = -1;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 2 && wireType === 0) elemType = reader.int32();
      else if (field !== 2 && field <= 7 && wireType === 2) reader.skipType(wireType);
      else return null;
    }
    if (elemType < 0 || elemType > 5) return null;
    const container = decodeMessage<{ name: string }>(onnxTypes.SequenceProto, bytes, "SequenceProto");
    return container.name;
  } catch {
    return null;
  }
}
