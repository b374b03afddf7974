import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeModel } from "../../src/onnx/decode-model.js";
import { importDecodedModel } from "../../src/onnx/import-model.js";
import { importModelFile } from "../../src/onnx/node-files.js";
import { IdSource } from "../../src/graph/builder.js";
import { SHARED_MODELS_DIR, manifestDtype, readManifest, sharedModelsSkipReason } from "../support/shared-models.js";

const skip = sharedModelsSkipReason();
if (skip !== undefined) console.log(`# skipping shared-model import tests: ${skip}`);

test("every shared model decodes and imports with the manifest's ops, inputs and outputs", { skip }, () => {
  for (const [name, entry] of Object.entries(readManifest())) {
    const model = decodeModel(readFileSync(join(SHARED_MODELS_DIR, entry.file)));
    const graph = importDecodedModel(model, { ids: new IdSource() });
    const counts: Record<string, number> = {};
    for (const node of graph.nodes) counts[node.opType] = (counts[node.opType] ?? 0) + 1;
    // Constant nodes become constant values, so count them in the decoded proto.
    const constants = model.graph.node.filter((node) => node.opType === "Constant").length;
    if (constants > 0) counts.Constant = constants;
    assert.deepEqual(counts, { ...entry.op_types }, name);
    assert.deepEqual(
      graph.inputs.map((value) => [value.name, value.dtype, value.shape]),
      entry.inputs.map((input) => [input.name, manifestDtype(input.dtype), input.shape]),
      name,
    );
    assert.deepEqual(
      graph.outputs.map((value) => value.name),
      entry.outputs.map((output) => output.name),
      name,
    );
    const names = new Set<string>();
    for (const node of graph.nodes) for (const value of node.outputs) names.add(value.name);
    assert.equal(
      names.size,
      graph.nodes.reduce((sum, node) => sum + node.outputs.length, 0),
      `${name}: unique names`,
    );
  }
});

test("importModelFile reads a shared model from disk", { skip }, async () => {
  const graph = await importModelFile(join(SHARED_MODELS_DIR, "mlp_mnist.onnx"));
  assert.deepEqual(
    graph.nodes.map((node) => node.opType),
    ["Gemm", "Relu", "Gemm", "Relu", "Gemm"],
  );
  const weights = graph.nodes[0]!.inputs[1]!.constant!;
  assert.equal(weights.dtype, "float32");
  assert.equal(
    weights.data.length,
    weights.shape.reduce((product, dim) => product * dim, 1),
  );
});
