import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { decodeModel } from "../../src/onnx/decode-model.js";
import { decodeTensor } from "../../src/onnx/tensor-proto.js";
import { encodeModel, encodeModelWithExternalData, encodeTensor } from "../../src/onnx/encode-model.js";
import { attr } from "../../src/graph/builder.js";
import { type TensorData, makeTensorData } from "../../src/support/tensor-data.js";
import { smallModel, smallModelSpec } from "./helpers.js";

const TENSORS: readonly TensorData[] = [
  makeTensorData("float32", [2], Float32Array.of(0.1, -3)),
  makeTensorData("float64", [1], Float64Array.of(1e-300)),
  makeTensorData("int8", [2], Int8Array.of(-5, 5)),
  makeTensorData("uint16", [1], Uint16Array.of(65535)),
  makeTensorData("int32", [1, 1], Int32Array.of(-7)),
  makeTensorData("uint32", [1], Uint32Array.of(4000000000)),
  makeTensorData("int64", [2], BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n)),
  makeTensorData("uint64", [1], BigUint64Array.of(2n ** 64n - 1n)),
  makeTensorData("bool", [2], Uint8Array.of(0, 1)),
];

test("encodeTensor → decodeTensor is exact for every dtype and both storages", () => {
  for (const storage of ["raw", "typed"] as const) {
    for (const tensor of TENSORS) {
      const decoded = decodeTensor(encodeTensor(tensor, { name: "t", storage }));
      assert.equal(decoded.dtype, tensor.dtype);
      assert.deepEqual(decoded.shape, tensor.shape);
      assert.deepEqual(Array.from(decoded.data as ArrayLike<unknown>), Array.from(tensor.data as ArrayLike<unknown>));
    }
  }
});

test("attribute shorthands encode to the ONNX attribute types", () => {
  const tensor = makeTensorData("float32", [1], Float32Array.of(2));
  const subgraph = { inputs: [], outputs: [{ name: "o", dtype: "float32" as const }], nodes: [] };
  const model = decodeModel(
    encodeModel({
      ...smallModelSpec(),
      nodes: [
        {
          name: "n",
          opType: "Custom",
          inputs: ["x"],
          outputs: ["y"],
          attributes: {
            int: 3,
            float: 0.5,
            forcedFloat: attr.float(1),
            string: "same_upper",
            ints: [1, -2],
            floats: [0.5, 1],
            forcedFloats: attr.floats([1, 2]),
            strings: ["a", "b"],
            tensor,
            body: { kind: "graph", value: subgraph },
          },
        },
      ],
    }),
  );
  const byName = new Map(model.graph.node[0]!.attribute.map((attribute) => [attribute.name, attribute]));
  const typeOf = (name: string): number => byName.get(name)!.type;
  // AttributeProto.AttributeType: FLOAT 1, INT 2, STRING 3, TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8.
  assert.deepEqual(
    ["int", "float", "forcedFloat", "string", "ints", "floats", "forcedFloats", "strings", "tensor", "body"].map(
      typeOf,
    ),
    [2, 1, 1, 3, 7, 6, 6, 8, 4, 5],
  );
  assert.equal(byName.get("int")!.i, 3);
  assert.equal(byName.get("float")!.f, 0.5);
  assert.equal(byName.get("string")!.s, "same_upper");
  assert.deepEqual(byName.get("ints")!.ints, [1, -2]);
  assert.deepEqual(byName.get("strings")!.strings, ["a", "b"]);
  assert.equal(byName.get("body")!.g!.output[0]!.name, "o");
});

test("onnxruntime-node runs an encoded model and gets the expected numbers", async () => {
  const session = await ort.InferenceSession.create(smallModel());
  const x = new ort.Tensor("float32", Float32Array.of(1, -1, 2, 0.5, -3, 1), [2, 3]);
  const { y } = await session.run({ x });
  assert.deepEqual(Array.from(y!.data as Float32Array), [1, 0, 6, 0.5, 0, 3]);
});

test("onnxruntime-node loads a model whose weights are external data written by the encoder", async () => {
  const directory = mkdtempSync(join(tmpdir(), "tessera-ort-"));
  try {
    const { model, external } = encodeModelWithExternalData(smallModelSpec(), { location: "weights.bin" });
    writeFileSync(join(directory, "model.onnx"), model);
    writeFileSync(join(directory, "weights.bin"), external);
    const session = await ort.InferenceSession.create(join(directory, "model.onnx"));
    const x = new ort.Tensor("float32", Float32Array.of(1, 1, 1, 1, 1, 1), [2, 3]);
    const { y } = await session.run({ x });
    assert.deepEqual(Array.from(y!.data as Float32Array), [1, 2, 3, 1, 2, 3]);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
