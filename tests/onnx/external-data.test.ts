import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { importModel } from "../../src/onnx/import-model.js";
import { importModelFile } from "../../src/onnx/node-files.js";
import { encodeModel, encodeModelWithExternalData, type ModelSpec } from "../../src/onnx/encode-model.js";
import { onnxTypes } from "../../src/onnx/onnx-schema.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { constantValues, nodeNamed, tesseraError } from "./helpers.js";

function spec(): ModelSpec {
  return {
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [4] }],
    outputs: [{ name: "y", dtype: "float32" }],
    initializers: [
      { name: "big", data: makeTensorData("float32", [4], Float32Array.of(1, 2, 3, 4)) },
      { name: "ids", data: makeTensorData("int64", [3], BigInt64Array.of(2n ** 60n + 3n, -1n, 0n)) },
      { name: "tiny", data: makeTensorData("float32", [], Float32Array.of(9)) },
    ],
    nodes: [
      { name: "add", opType: "Add", inputs: ["x", "big"], outputs: ["a"] },
      { name: "mul", opType: "Mul", inputs: ["a", "tiny"], outputs: ["y"] },
      { name: "use_ids", opType: "Identity", inputs: ["ids"], outputs: ["ids_out"] },
    ],
  };
}

function withTempDir(body: (directory: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-onnx-"));
    try {
      await body(directory);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  };
}

test(
  "external data round-trips through a temp folder with importModelFile",
  withTempDir(async (directory) => {
    const { model, external } = encodeModelWithExternalData(spec(), { location: "weights/model.bin", minBytes: 8 });
    mkdirSync(join(directory, "weights"));
    writeFileSync(join(directory, "model.onnx"), model);
    writeFileSync(join(directory, "weights", "model.bin"), external);
    const graph = await importModelFile(join(directory, "model.onnx"));
    assert.deepEqual(constantValues(nodeNamed(graph, "add").inputs[1]), [1, 2, 3, 4]);
    assert.deepEqual((nodeNamed(graph, "use_ids").inputs[0]!.constant!.data as BigInt64Array)[0], 2n ** 60n + 3n);
    assert.deepEqual(constantValues(nodeNamed(graph, "mul").inputs[1]), [9], "small tensors stay inline");
  }),
);

test("importModel reads external data through readExternal, with offsets", () => {
  const { model, external } = encodeModelWithExternalData(spec(), { location: "w.bin" });
  const requested: string[] = [];
  const graph = importModel(model, {
    readExternal: (location) => {
      requested.push(location);
      return external;
    },
  });
  assert.deepEqual(constantValues(nodeNamed(graph, "mul").inputs[1]), [9]);
  assert.deepEqual(constantValues(nodeNamed(graph, "use_ids").inputs[0]), [2 ** 60 + 3, -1, 0]);
  assert.ok(requested.every((location) => location === "w.bin"));
});

test("missing or short external data is E_EXTERNAL_DATA naming the tensor", () => {
  const { model, external } = encodeModelWithExternalData(spec(), { location: "w.bin" });
  assert.throws(() => importModel(model), tesseraError("E_EXTERNAL_DATA", /'big'.*readExternal/));
  assert.throws(
    () => importModel(model, { readExternal: () => external.subarray(0, 10) }),
    tesseraError("E_EXTERNAL_DATA", /tensor '(big|ids|tiny)'.*'w.bin'/),
  );
  assert.throws(
    () =>
      importModel(model, {
        readExternal: () => {
          throw new Error("disk on fire");
        },
      }),
    tesseraError("E_EXTERNAL_DATA", /disk on fire/),
  );
});

test("a bad external offset or length is E_EXTERNAL_DATA; a length that disagrees with dims is E_INVALID_MODEL", () => {
  const entries = (offset: string, length: string) => [
    { key: "location", value: "w.bin" },
    { key: "offset", value: offset },
    { key: "length", value: length },
  ];
  const modelWith = (offset: string, length: string): Uint8Array => {
    const tensor = { name: "t", dims: [2], dataType: 1, dataLocation: 1, externalData: entries(offset, length) };
    const graph = { initializer: [tensor], output: [{ name: "t", type: { tensorType: { elemType: 1 } } }] };
    const model = { irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph };
    return onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
  };
  const file = new Uint8Array(new Float32Array([0, 5, 6]).buffer);
  const readExternal = (): Uint8Array => file;
  const good = importModel(modelWith("4", "8"), { readExternal });
  assert.deepEqual(constantValues(good.outputs[0]), [5, 6]);
  assert.throws(() => importModel(modelWith("-4", "8"), { readExternal }), tesseraError("E_EXTERNAL_DATA", /offset/));
  assert.throws(() => importModel(modelWith("8", "8"), { readExternal }), tesseraError("E_EXTERNAL_DATA", /\[8, 16\)/));
  assert.throws(() => importModel(modelWith("0", "12"), { readExternal }), tesseraError("E_INVALID_MODEL", /12 bytes/));
});

test(
  "importModelFile refuses external locations outside the model's folder",
  withTempDir(async (directory) => {
    for (const location of ["../escape.bin", "/etc/passwd", "a/../../escape.bin"]) {
      const { model } = encodeModelWithExternalData(spec(), { location });
      writeFileSync(join(directory, "model.onnx"), model);
      await assert.rejects(importModelFile(join(directory, "model.onnx")), tesseraError("E_EXTERNAL_DATA", /inside/));
    }
    const { model } = encodeModelWithExternalData(spec(), { location: "absent.bin" });
    writeFileSync(join(directory, "model.onnx"), model);
    await assert.rejects(importModelFile(join(directory, "model.onnx")), tesseraError("E_EXTERNAL_DATA", /absent.bin/));
    await assert.rejects(importModelFile(join(directory, "nope.onnx")), tesseraError("E_USAGE", /nope.onnx/));
    writeFileSync(join(directory, "inline.onnx"), encodeModel(spec()));
    const graph = await importModelFile(join(directory, "inline.onnx"));
    assert.equal(graph.nodes.length, 3);
  }),
);
