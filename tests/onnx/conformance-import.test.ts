/**
 * The ONNX backend test data (Debian's libonnx-testdata) as importer input:
 * selected models whose old opset forms must be normalized, every model as a
 * no-crash check, and every .pb file through decodeTensor.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { importModel } from "../../src/onnx/import-model.js";
import { decodeModel } from "../../src/onnx/decode-model.js";
import { decodeTensor } from "../../src/onnx/tensor-proto.js";
import { IdSource } from "../../src/graph/builder.js";
import type { Graph, Node } from "../../src/graph/ir.js";
import { TesseraError } from "../../src/support/errors.js";
import { constantValues } from "./helpers.js";

const DATA_DIR = process.env.TESSERA_ONNX_TEST_DATA ?? "/usr/share/libonnx-testdata/data";
const skip = existsSync(join(DATA_DIR, "node")) ? undefined : `ONNX test data not found at ${DATA_DIR}`;
if (skip !== undefined) console.log(`# skipping conformance import tests: ${skip}`);

function importTest(path: string): Graph {
  return importModel(readFileSync(join(DATA_DIR, path, "model.onnx")), { ids: new IdSource() });
}

function only(graph: Graph, opType: string): Node {
  const nodes = graph.nodes.filter((node) => node.opType === opType);
  assert.equal(nodes.length, 1, `one ${opType} in ${graph.nodes.map((node) => node.opType).join(", ")}`);
  return nodes[0]!;
}

test("modern conformance models import with their inputs in place", { skip }, () => {
  const clip = only(importTest("node/test_clip_default_inbounds"), "Clip");
  assert.equal(clip.inputs.length, 1);
  const squeeze = only(importTest("node/test_squeeze"), "Squeeze");
  assert.equal(squeeze.opset, 13);
  assert.equal(squeeze.inputs[1]!.constant, undefined, "axes is a graph input here, not a constant");
  const slice = importTest("node/test_slice");
  assert.deepEqual(
    slice.inputs.map((value) => value.name),
    ["x", "starts", "ends", "axes", "steps"],
  );
});

test("old-opset conformance models come out in the newest input forms", { skip }, () => {
  const clip = only(importTest("pytorch-operator/test_operator_clip"), "Clip");
  assert.equal(clip.opset, 6);
  assert.deepEqual([constantValues(clip.inputs[1]), constantValues(clip.inputs[2])], [[-0.5], [0.5]]);
  const slice = only(importTest("pytorch-operator/test_operator_index"), "Slice");
  assert.equal(slice.inputs.length, 4);
  assert.equal(slice.attributes.size, 0);
  const split = only(importTest("pytorch-operator/test_operator_chunk"), "Split");
  assert.equal(split.inputs[1]!.dtype, "int64");
  const sum = only(importTest("pytorch-operator/test_operator_reduced_sum"), "ReduceSum");
  assert.ok(constantValues(sum.inputs[1]).length > 0);
  const pad = only(importTest("pytorch-converted/test_ConstantPad2d"), "Pad");
  assert.equal(pad.inputs.length, 3);
  assert.deepEqual([...pad.attributes.keys()], ["mode"]);
  const batchNorm = only(importTest("pytorch-converted/test_BatchNorm2d_eval"), "BatchNormalization");
  assert.equal(batchNorm.attributes.has("is_test"), false);
  const upsample = only(importTest("node/test_upsample_nearest"), "Resize");
  assert.equal(upsample.opset, 9);
  assert.equal(upsample.inputs[1], null);
  const dropout = only(importTest("node/test_dropout_random_old"), "Dropout");
  assert.equal(dropout.inputs[1]!.constant!.dtype, "float32");
  const unsqueeze = only(importTest("node/test_unsqueeze_axis_3"), "Unsqueeze");
  assert.deepEqual(constantValues(unsqueeze.inputs[1]), [3]);
});

function testFolders(): string[] {
  return ["node", "pytorch-converted", "pytorch-operator", "simple"]
    .filter((suite) => existsSync(join(DATA_DIR, suite)))
    .flatMap((suite) => readdirSync(join(DATA_DIR, suite)).map((name) => join(suite, name)))
    .filter((folder) => existsSync(join(DATA_DIR, folder, "model.onnx")));
}

test("every conformance model imports or fails with a TesseraError", { skip }, () => {
  const failures = new Map<string, number>();
  let imported = 0;
  for (const folder of testFolders()) {
    try {
      importTest(folder);
      imported++;
    } catch (error) {
      assert.ok(error instanceof TesseraError, `${folder}: ${String(error)}`);
      failures.set(error.code, (failures.get(error.code) ?? 0) + 1);
    }
  }
  console.log(`# imported ${imported} conformance models; refused: ${JSON.stringify(Object.fromEntries(failures))}`);
  assert.ok(imported > 900, `imported ${imported}`);
});

test("decodeTensor reads the conformance .pb files; the shapes match the models' inputs", { skip }, () => {
  let tensors = 0;
  let refused = 0;
  const mismatches: string[] = [];
  for (const folder of testFolders().filter((name) => name.startsWith("node/"))) {
    const model = decodeModel(readFileSync(join(DATA_DIR, folder, "model.onnx")));
    const dataSet = join(DATA_DIR, folder, "test_data_set_0");
    if (!existsSync(dataSet)) continue;
    const initializers = new Set(model.graph.initializer.map((tensor) => tensor.name));
    const inputs = model.graph.input.filter((info) => !initializers.has(info.name));
    for (const file of readdirSync(dataSet).filter((name) => name.endsWith(".pb"))) {
      let tensor;
      try {
        tensor = decodeTensor(readFileSync(join(dataSet, file)));
      } catch (error) {
        assert.ok(error instanceof TesseraError && error.code === "E_UNSUPPORTED_DTYPE", `${folder}/${file}: ${error}`);
        refused++;
        continue;
      }
      tensors++;
      const match = /^input_(\d+)\.pb$/.exec(file);
      const declared = match === null ? undefined : inputs[Number(match[1])]?.type;
      if (declared?.kind === "tensor" && declared.shape?.every((dim) => dim.kind === "value")) {
        const dims = declared.shape.map((dim) => (dim.kind === "value" ? dim.value : -1));
        if (tensor.shape.join() !== dims.join()) mismatches.push(`${folder}/${file}`);
      }
    }
  }
  // The CastLike tests' "like" files really hold a [1] tensor where the model declares [3, 4].
  assert.deepEqual(
    mismatches.filter((path) => !/test_castlike_.*input_1\.pb$/.test(path)),
    [],
  );
  console.log(`# decoded ${tensors} conformance tensors; ${refused} are sequences, optionals, strings or float16`);
  assert.ok(tensors > 2000, `decoded ${tensors}`);
});

test("decodeTensor names sequence and optional files instead of misreading them", { skip }, () => {
  const sequence = readFileSync(join(DATA_DIR, "node/test_identity_sequence/test_data_set_0/input_0.pb"));
  assert.throws(
    () => decodeTensor(sequence),
    (error: unknown) => {
      return (
        error instanceof TesseraError && error.code === "E_UNSUPPORTED_DTYPE" && /SequenceProto/.test(error.message)
      );
    },
  );
  const optional = readFileSync(join(DATA_DIR, "node/test_optional_has_element_empty/test_data_set_0/input_0.pb"));
  assert.throws(() => decodeTensor(optional), /OptionalProto/);
});
