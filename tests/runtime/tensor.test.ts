import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Tensor } from "../../src/runtime/tensor.js";
import { TesseraError } from "../../src/support/errors.js";

function badFeed(pattern: RegExp) {
  return (error: unknown) =>
    error instanceof TesseraError && error.code === "E_BAD_FEED" && pattern.test(error.message);
}

describe("Tensor", () => {
  it("holds type, data, dims and size like onnxruntime-web's Tensor", () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const tensor = new Tensor("float32", data, [2, 3]);
    assert.equal(tensor.type, "float32");
    assert.equal(tensor.data, data, "typed arrays are kept, not copied");
    assert.deepEqual(tensor.dims, [2, 3]);
    assert.equal(tensor.size, 6);
  });

  it("infers the type from the typed array and defaults dims to [length]", () => {
    const tensor = new Tensor(new BigInt64Array([1n, 2n]));
    assert.equal(tensor.type, "int64");
    assert.deepEqual(tensor.dims, [2]);
    assert.equal(new Tensor(new Int32Array(4), [2, 2]).type, "int32");
  });

  it("maps bool to Uint8Array and int64 to BigInt64Array", () => {
    assert.ok(new Tensor("bool", new Uint8Array([1, 0]), [2]).data instanceof Uint8Array);
    assert.ok(new Tensor("int64", new BigInt64Array(1), [1]).data instanceof BigInt64Array);
    assert.ok(new Tensor("uint64", new BigUint64Array(1), []).data instanceof BigUint64Array);
  });

  it("copies plain arrays into the type's typed array", () => {
    assert.deepEqual([...new Tensor("float32", [1.5, 2], [2]).data], [1.5, 2]);
    assert.deepEqual([...new Tensor("int64", [3, 4n], [2]).data], [3n, 4n]);
    assert.deepEqual([...new Tensor("bool", [true, false], [2]).data], [1, 0]);
    assert.throws(() => new Tensor("int64", [1.5], [1]), badFeed(/1.5/));
  });

  it("accepts scalars (dims []) and empty tensors", () => {
    assert.equal(new Tensor("float32", new Float32Array([7]), []).size, 1);
    assert.equal(new Tensor("float32", new Float32Array(0), [0, 3]).size, 0);
  });

  it("rejects a data length that does not match dims", () => {
    assert.throws(() => new Tensor("float32", new Float32Array(5), [2, 3]), badFeed(/5 elements.*\[2, 3\] need 6/));
  });

  it("rejects data of another array type", () => {
    assert.throws(
      () => new Tensor("float32", new Float64Array(6), [6]),
      badFeed(/needs a Float32Array, got a Float64Array/),
    );
    assert.throws(() => new Tensor("int64", new Int32Array(2), [2]), badFeed(/BigInt64Array/));
    assert.throws(() => new Tensor("bool", new Int8Array(2), [2]), badFeed(/Uint8Array/));
  });

  it("rejects unknown types and bad dims", () => {
    assert.throws(
      () => new Tensor("float16" as never, new Uint16Array(1), [1]),
      badFeed(/unsupported tensor type 'float16'/),
    );
    assert.throws(() => new Tensor("float32", new Float32Array(2), [-1, -2]), badFeed(/non-negative integers/));
    assert.throws(() => new Tensor("float32", new Float32Array(2), [2.5]), badFeed(/non-negative integers/));
    assert.throws(() => new Tensor([1, 2] as never), badFeed(/typed array/));
  });
});
