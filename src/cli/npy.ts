/**
 * Input files for `tessera run --input name=file`: NumPy .npy arrays and raw
 * .bin dumps.
 *
 * .npy (format versions 1, 2 and 3): the magic "\x93NUMPY", a version, the
 * header length (u16 in v1, u32 in v2/v3), a Python dict literal header
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } and the data.
 * Supported: little-endian (or byte-order-free) element types f4 f8 i1 u1 i2
 * u2 i4 u4 i8 u8 b1 in C order. Anything else is TesseraError E_BAD_FEED
 * naming the file, never a wrong tensor.
 *
 * .bin: the raw little-endian bytes of a tensor whose dtype and dims are the
 * model input's declared ones; only the byte count can be checked.
 */
import { type DType, dtypeBytes, typedArrayFromBytes } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";
import { Tensor } from "../runtime/tensor.js";

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const NPY_TYPES: Readonly<Record<string, DType>> = {
  f4: "float32",
  f8: "float64",
  i1: "int8",
  u1: "uint8",
  i2: "int16",
  u2: "uint16",
  i4: "int32",
  u4: "uint32",
  i8: "int64",
  u8: "uint64",
  b1: "bool",
};

interface NpyHeader {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly dataOffset: number;
}

/** Decodes a .npy file into a Tensor; `fileName` is for error messages. */
export function parseNpy(bytes: Uint8Array, fileName: string): Tensor {
  const header = parseHeader(bytes, fileName);
  const size = header.shape.reduce((product, dim) => product * dim, 1);
  const dataBytes = size * dtypeBytes(header.dtype);
  const available = bytes.byteLength - header.dataOffset;
  if (available !== dataBytes) {
    throw bad(
      fileName,
      `holds ${available} data bytes, its header (${header.dtype} [${header.shape}]) needs ${dataBytes}`,
    );
  }
  const data = bytes.subarray(header.dataOffset, header.dataOffset + dataBytes);
  return new Tensor(header.dtype, typedArrayFromBytes(header.dtype, data, size), header.shape);
}

/** Reads raw bytes as a tensor of the given dtype and dims. */
export function parseRawTensor(bytes: Uint8Array, dtype: DType, dims: readonly number[], fileName: string): Tensor {
  const size = dims.reduce((product, dim) => product * dim, 1);
  const expected = size * dtypeBytes(dtype);
  if (bytes.byteLength !== expected) {
    throw bad(fileName, `has ${bytes.byteLength} bytes; ${dtype} [${dims.join(", ")}] needs ${expected}`);
  }
  return new Tensor(dtype, typedArrayFromBytes(dtype, bytes, size), dims);
}

function parseHeader(bytes: Uint8Array, fileName: string): NpyHeader {
  if (bytes.byteLength < 10 || !MAGIC.every((byte, index) => bytes[index] === byte)) {
    throw bad(fileName, "is not a .npy file (no \\x93NUMPY magic)");
  }
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major !== 1 && major !== 2 && major !== 3) throw bad(fileName, `has unsupported .npy version ${major}`);
  const lengthBytes = major === 1 ? 2 : 4;
  if (bytes.byteLength < 8 + lengthBytes) throw bad(fileName, "is truncated");
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerStart = 8 + lengthBytes;
  if (headerStart + headerLength > bytes.byteLength) throw bad(fileName, "is truncated inside its header");
  const decoder = new TextDecoder(major === 3 ? "utf-8" : "latin1");
  const text = decoder.decode(bytes.subarray(headerStart, headerStart + headerLength));
  return { ...parseDictionary(text, fileName), dataOffset: headerStart + headerLength };
}

function parseDictionary(text: string, fileName: string): { dtype: DType; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(text)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(fileName, `has a malformed header: ${text.trim()}`);
  }
  const shape = parseShape(shapeText, fileName);
  if (fortran === "True" && shape.filter((dim) => dim > 1).length > 1) {
    throw bad(fileName, "is in Fortran order; save it in C order (numpy.ascontiguousarray)");
  }
  return { dtype: parseDescr(descr, fileName), shape };
}

function parseDescr(descr: string, fileName: string): DType {
  const byteOrder = descr[0];
  const dtype = NPY_TYPES[descr.slice(1)];
  if (byteOrder === ">" && dtype !== undefined && dtypeBytes(dtype) > 1) {
    throw bad(fileName, `is big-endian (${descr}); save it little-endian`);
  }
  if (!["<", "|", "=", ">"].includes(byteOrder) || dtype === undefined) {
    throw bad(fileName, `has unsupported element type '${descr}'`);
  }
  return dtype;
}

function parseShape(text: string, fileName: string): number[] {
  const parts = text
    .split(",")
    .map((part) => part.trim().replace(/L$/, ""))
    .filter((part) => part !== "");
  const shape = parts.map(Number);
  if (!shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
    throw bad(fileName, `has a malformed shape (${text})`);
  }
  return shape;
}

function bad(fileName: string, problem: string): TesseraError {
  return new TesseraError("E_BAD_FEED", `${fileName} ${problem}`);
}
