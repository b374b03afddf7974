import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeModel } from "../../src/onnx/decode-model.js";
import { importModel } from "../../src/onnx/import-model.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { TesseraError } from "../../src/support/errors.js";
import { seededRandom, smallModel, smallModelSpec, tesseraError } from "./helpers.js";

test("decodeModel reads every section of a model written by the encoder", () => {
  const model = decodeModel(smallModel());
  assert.equal(model.irVersion, 8);
  assert.deepEqual(model.opsetImport, [{ domain: "", version: 17 }]);
  assert.deepEqual(
    model.graph.node.map((node) => [node.name, node.opType, node.input, node.output]),
    [
      ["mul", "Mul", ["x", "w"], ["m"]],
      ["relu", "Relu", ["m"], ["y"]],
    ],
  );
  assert.deepEqual(model.graph.input[0]!.type, {
    kind: "tensor",
    elemType: 1,
    shape: [
      { kind: "value", value: 2 },
      { kind: "value", value: 3 },
    ],
  });
  assert.equal(model.graph.initializer[0]!.name, "w");
  assert.equal(model.graph.initializer[0]!.rawData?.length, 12);
});

test("field numbers follow onnx.proto: ir_version is field 1, graph field 7, opset_import field 8", () => {
  const bytes = smallModel();
  assert.equal(bytes[0], (1 << 3) | 0, "ir_version tag");
  assert.equal(bytes[1], 8, "ir_version value");
  const graphTag = bytes.indexOf((7 << 3) | 2);
  const opsetTag = bytes.lastIndexOf((8 << 3) | 2);
  assert.ok(graphTag > 0 && opsetTag > graphTag, "graph precedes opset_import, in field-number order");
});

test("every truncation of a model is E_CORRUPT_MODEL", { timeout: 30_000 }, () => {
  const bytes = smallModel();
  for (let length = 0; length < bytes.length; length++) {
    assert.throws(() => decodeModel(bytes.subarray(0, length)), tesseraError("E_CORRUPT_MODEL"), `length ${length}`);
  }
});

// The timeout is the hang guard: 3000 decodes of a small model take well under a second.
test("random byte flips never crash, hang or throw anything but a TesseraError", { timeout: 30_000 }, () => {
  const bytes = smallModel();
  const random = seededRandom(7);
  let rejected = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const corrupt = bytes.slice();
    const flips = 1 + Math.floor(random() * 4);
    for (let flip = 0; flip < flips; flip++) {
      corrupt[Math.floor(random() * corrupt.length)] = Math.floor(random() * 256);
    }
    try {
      decodeModel(corrupt);
    } catch (error) {
      assert.ok(error instanceof TesseraError && error.code === "E_CORRUPT_MODEL", `trial ${trial}: ${String(error)}`);
    }
    try {
      importModel(corrupt);
    } catch (error) {
      assert.ok(error instanceof TesseraError, `trial ${trial}: ${String(error)}`);
      rejected++;
    }
  }
  assert.ok(rejected > 100, `most corruptions are detected (${rejected})`);
});

test("garbage and non-protobuf inputs are E_CORRUPT_MODEL", { timeout: 30_000 }, () => {
  const random = seededRandom(11);
  const inputs: Uint8Array[] = [
    new Uint8Array(0),
    new TextEncoder().encode("this is not an onnx model"),
    Uint8Array.of(0x0b, 0x0b, 0x0b, 0x0b), // start-group tags with no end
    Uint8Array.of(0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f), // graph field claiming 4 GiB
    new Uint8Array(20000).fill(0x0b), // deep group nesting
    new Uint8Array(20000).map((_, index) => (index % 2 === 0 ? 0x3a : 0x7f)),
  ];
  for (let trial = 0; trial < 200; trial++) {
    inputs.push(new Uint8Array(1 + Math.floor(random() * 300)).map(() => Math.floor(random() * 256)));
  }
  for (const input of inputs) {
    assert.throws(() => decodeModel(input), tesseraError("E_CORRUPT_MODEL"));
  }
});

test("deeply nested subgraphs are rejected, not a stack overflow", () => {
  // Each level is ModelProto.graph → node → attribute.g → node → …, hand-encoded as nested length prefixes.
  let graph = new Uint8Array(0);
  for (let depth = 0; depth < 400; depth++) {
    const attribute = withTag((6 << 3) | 2, graph); // AttributeProto.g
    const node = withTag((5 << 3) | 2, attribute); // NodeProto.attribute
    graph = withTag((1 << 3) | 2, node); // GraphProto.node
  }
  const model = Uint8Array.from([0x08, 0x08, ...withTag((7 << 3) | 2, graph)]);
  assert.throws(() => decodeModel(model), tesseraError("E_CORRUPT_MODEL"));
});

test("a tensor whose dims claim far more data than stored allocates nothing and is rejected", () => {
  const spec = smallModelSpec();
  // The encoder writes dims and data as given, so a mismatched TensorData makes a lying initializer.
  const lying = (shape: number[]): Uint8Array =>
    encodeModel({
      ...spec,
      initializers: [{ name: "w", data: { dtype: "float32", shape, data: new Float32Array(3) } }],
    });
  assert.throws(() => importModel(lying([1 << 20, 1 << 20])), tesseraError("E_INVALID_MODEL", /impossibly large/));
  assert.throws(
    () => importModel(lying([1000, 1000])),
    tesseraError("E_INVALID_MODEL", /12 bytes of data, expected 4000000/),
  );
});

function withTag(tag: number, payload: Uint8Array): Uint8Array {
  const length: number[] = [];
  let remaining = payload.length;
  do {
    length.push((remaining & 0x7f) | (remaining > 0x7f ? 0x80 : 0));
    remaining >>>= 7;
  } while (remaining > 0);
  return Uint8Array.from([tag, ...length, ...payload]);
}
