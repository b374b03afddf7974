import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseNpy, parseRawTensor } from "../../src/cli/npy.js";
import { TesseraError } from "../../src/support/errors.js";

/** Builds a .npy file by hand: magic, version, header length, padded dict header, data. */
function npy(header: string, data: Uint8Array, major = 1): Uint8Array {
  const lengthBytes = major === 1 ? 2 : 4;
  const unpadded = 8 + lengthBytes + header.length + 1;
  const padded = header + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const headerBytes = new TextEncoder().encode(padded);
  const prefix = new Uint8Array(8 + lengthBytes);
  prefix.set([0x93, ...new TextEncoder().encode("NUMPY"), major, 0]);
  const view = new DataView(prefix.buffer);
  if (major === 1) view.setUint16(8, headerBytes.length, true);
  else view.setUint32(8, headerBytes.length, true);
  const file = new Uint8Array(prefix.length + headerBytes.length + data.length);
  file.set(prefix);
  file.set(headerBytes, prefix.length);
  file.set(data, prefix.length + headerBytes.length);
  return file;
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function badFeed(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof TesseraError && error.code === "E_BAD_FEED" && pattern.test(error.message);
}

describe("parseNpy", () => {
  it("reads a v1 float32 array in C order", () => {
    const file = npy(
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
      bytesOf(new Float32Array([1, 2, 3, 4, 5, 6.5])),
    );
    assert.equal(file.length % 64, 24, "data follows a 64-byte aligned header");
    const tensor = parseNpy(file, "x.npy");
    assert.equal(tensor.type, "float32");
    assert.deepEqual(tensor.dims, [2, 3]);
    assert.deepEqual([...tensor.data], [1, 2, 3, 4, 5, 6.5]);
  });

  it("reads v2 and v3 headers", () => {
    const int64 = npy(
      "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
      bytesOf(new BigInt64Array([1n, -2n, 3n])),
      2,
    );
    assert.deepEqual([...parseNpy(int64, "a.npy").data], [1n, -2n, 3n]);
    const bools = npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 1), }", new Uint8Array([1, 0]), 3);
    const tensor = parseNpy(bools, "b.npy");
    assert.equal(tensor.type, "bool");
    assert.deepEqual(tensor.dims, [2, 1]);
  });

  it("maps every supported descr and reads scalars", () => {
    const cases: [string, string, ArrayBufferView][] = [
      ["<f8", "float64", new Float64Array([1.25])],
      ["|i1", "int8", new Int8Array([-3])],
      ["|u1", "uint8", new Uint8Array([200])],
      ["<i2", "int16", new Int16Array([-300])],
      ["<u2", "uint16", new Uint16Array([60000])],
      ["<i4", "int32", new Int32Array([-70000])],
      ["<u4", "uint32", new Uint32Array([4000000000])],
      ["<u8", "uint64", new BigUint64Array([2n ** 63n])],
    ];
    for (const [descr, type, data] of cases) {
      const tensor = parseNpy(
        npy(`{'descr': '${descr}', 'fortran_order': False, 'shape': (), }`, bytesOf(data)),
        "s.npy",
      );
      assert.equal(tensor.type, type);
      assert.deepEqual(tensor.dims, []);
      assert.deepEqual([...tensor.data], [...(data as unknown as ArrayLike<unknown>)] as unknown[]);
    }
  });

  it("rejects what it cannot read faithfully", () => {
    const four = bytesOf(new Float32Array([1, 2, 3, 4]));
    assert.throws(
      () => parseNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), "z.npy"),
      badFeed(/z.npy is not a .npy file/),
    );
    assert.throws(
      () => parseNpy(npy("{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", four), "b.npy"),
      badFeed(/big-endian/),
    );
    assert.throws(
      () => parseNpy(npy("{'descr': '<f2', 'fortran_order': False, 'shape': (8,), }", four), "h.npy"),
      badFeed(/'<f2'/),
    );
    assert.throws(
      () => parseNpy(npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", four), "f.npy"),
      badFeed(/Fortran/),
    );
    assert.throws(
      () => parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", four), "n.npy"),
      badFeed(/16 data bytes.*needs 20/),
    );
    assert.throws(() => parseNpy(npy("{'descr': '<f4', 'shape': (4,), }", four), "m.npy"), badFeed(/malformed header/));
    assert.throws(
      () => parseNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", four, 4), "v.npy"),
      badFeed(/version 4/),
    );
  });
});

describe("parseRawTensor", () => {
  it("reads raw bytes with the declared dtype and dims", () => {
    const tensor = parseRawTensor(bytesOf(new Int32Array([7, 8, 9, 10])), "int32", [2, 2], "x.bin");
    assert.deepEqual([...tensor.data], [7, 8, 9, 10]);
    assert.deepEqual(tensor.dims, [2, 2]);
  });

  it("rejects a byte count that does not match", () => {
    assert.throws(
      () => parseRawTensor(new Uint8Array(15), "float32", [2, 2], "x.bin"),
      badFeed(/x.bin has 15 bytes; float32 \[2, 2\] needs 16/),
    );
  });
});
