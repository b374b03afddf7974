import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr } from "./graph-fixture.js";
import { GRAPH_PASS_NAMES, optimizeGraph } from "../../src/graph/optimize-graph.js";
import { verifyGraph } from "../../src/graph/verify-graph.js";
import { TesseraError } from "../../src/support/errors.js";
import type { Value } from "../../src/graph/ir.js";
import { inferShapes } from "../../src/graph/infer-shapes.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { evaluateFusedGraph, evaluateGraph, maxDifference } from "./evaluate-graph.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { importModel } from "../../src/onnx/index.js";
import {
  SHARED_MODELS_DIR,
  manifestDtype,
  readManifest,
  readRawTensor,
  sharedModelsSkipReason,
} from "../support/shared-models.js";

/** conv → bn → relu → Identity → conv → bn → Dropout → add(x) → relu, no shapes given. */
function residualBlock(): { fixture: GraphFixture; output: Value } {
  const fixture = new GraphFixture();
  const x = fixture.input("x", ["batch", 2, 4, 4]);
  const attributes = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) };
  let current = x;
  for (const index of [1, 2]) {
    const weight = fixture.constant(`w${index}`, [2, 2, 3, 3], new Array(36).fill(0.1));
    const [conv] = fixture.op("Conv", [current, weight], { name: `conv${index}`, attributes });
    const parameters = ["scale", "offset", "mean", "var"].map((name) =>
      fixture.constant(`${name}${index}`, [2], [1, 2]),
    );
    [current] = fixture.op("BatchNormalization", [conv!, ...parameters], { name: `bn${index}` });
    const follower = index === 1 ? "Relu" : "Dropout";
    [current] = fixture.op(follower, [current!], { name: `${follower.toLowerCase()}${index}` });
    if (index === 1) [current] = fixture.op("Identity", [current!], { name: "copy" });
  }
  const [sum] = fixture.op("Add", [current!, x], { name: "residual" });
  const [output] = fixture.op("Relu", [sum!], { name: "relu2", outputs: ["y"] });
  return { fixture, output: output! };
}

test("optimizeGraph runs the pipeline: BN folded, copies gone, conv epilogues fused", () => {
  const { fixture, output } = residualBlock();
  const dumps: string[] = [];
  const { graph, fused } = optimizeGraph(fixture.graph([output]), {
    ids: fixture.ids,
    bindings: new Map([["batch", 3]]),
    dumpAfter: "fold-batch-norm",
    log: (text) => dumps.push(text),
  });
  verifyGraph(graph, { requireShapes: true });
  assert.deepEqual(
    graph.nodes.map((node) => `${node.opType}:${node.name}`),
    [
      "Transpose:x_nhwc_transpose",
      "Pad:conv1_pad",
      "Conv:conv1",
      "Relu:relu1",
      "Pad:conv2_pad",
      "Conv:conv2",
      "Add:residual",
      "Relu:relu2",
      "Transpose:y_transpose",
    ],
    "the conv chain runs channels-last, with transposes only at the graph's edges and explicitly padded inputs",
  );
  assert.deepEqual(
    graph.outputs.map((value) => [value.name, value.shape]),
    [["y", [3, 2, 4, 4]]],
  );
  assert.deepEqual(
    fused.groups.map((group) => group.name),
    [
      "fused_transpose_0",
      "fused_pad_1",
      "fused_conv_relu_2",
      "fused_pad_3",
      "fused_conv_add_relu_4",
      "fused_transpose_5",
    ],
  );
  assert.equal(dumps.length, 1);
  assert.match(dumps[0]!, /^\/\/ after fold-batch-norm\ngraph test/);
  assert.doesNotMatch(dumps[0]!, /BatchNormalization/);
});

test("optimizeGraph names its passes and rejects an unknown dumpAfter", () => {
  assert.deepEqual(GRAPH_PASS_NAMES, [
    "infer-shapes",
    "remove-identity",
    "fold-batch-norm",
    "fold-constants",
    "fuse-layer-norm",
    "expand-pow",
    "winograd-conv",
    "convert-layout",
    "explicit-pad",
    "eliminate-dead-nodes",
    "verify-graph",
    "fuse-operators",
  ]);
  const { fixture, output } = residualBlock();
  assert.throws(
    () => optimizeGraph(fixture.graph([output]), { ids: fixture.ids, dumpAfter: "no-such-pass" }),
    (error) => error instanceof TesseraError && error.code === "E_USAGE" && /infer-shapes/.test(error.message),
  );
});

test("optimizeGraph keeps the numbers: the fused residual block matches the unoptimized graph", () => {
  const { fixture, output } = residualBlock();
  const graph = fixture.graph([output]);
  const bindings = new Map([["batch", 2]]);
  const reference = inferShapes(graph, { bindings, ids: fixture.ids });
  const { fused } = optimizeGraph(graph, { bindings, ids: fixture.ids });
  const input = new Float32Array(2 * 2 * 4 * 4).map((_, index) => Math.sin(index * 0.7) * 3);
  const feeds = new Map([["x", makeTensorData("float32", [2, 2, 4, 4], input)]]);
  const expected = evaluateGraph(reference, feeds).get("y")!;
  const actual = evaluateFusedGraph(fused, feeds).get("y")!;
  assert.ok(maxDifference(actual, expected) < 1e-5, `max difference ${maxDifference(actual, expected)}`);
});

const skipModels = sharedModelsSkipReason();
test("optimizeGraph on mlp_mnist: the fused graph, interpreted, matches PyTorch", { skip: skipModels }, () => {
  const model = readManifest()["mlp_mnist"]!;
  const { fused } = optimizeGraph(importModel(readFileSync(join(SHARED_MODELS_DIR, model.file))));
  const feeds = new Map(
    model.inputs.map((input) => [
      input.name,
      makeTensorData(manifestDtype(input.dtype), input.shape, readRawTensor(input)),
    ]),
  );
  const reference = model.outputs[0]!;
  const actual = evaluateFusedGraph(fused, feeds).get(reference.name)!;
  const expected = makeTensorData("float32", reference.shape, readRawTensor(reference));
  assert.ok(maxDifference(actual, expected) < 1e-4, `max difference ${maxDifference(actual, expected)}`);
});
