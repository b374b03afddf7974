import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { foldBatchNorm } from "../../../src/graph/passes/fold-batch-norm.js";
import type { Graph, Value } from "../../../src/graph/ir.js";

/** Conv (2 output channels, 2 input channels, 1x1) → BatchNormalization → Relu. */
function convBatchNorm(options: { withBias: boolean; convOutputIsGraphOutput?: boolean }): {
  fixture: GraphFixture;
  graph: Graph;
} {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const weight = fixture.constant("w", [2, 2, 1, 1], [1, 2, 3, 4]);
  const bias = options.withBias ? fixture.constant("b", [2], [0.5, -1]) : null;
  const [conv] = fixture.op("Conv", bias === null ? [x, weight] : [x, weight, bias], {
    name: "conv",
    outputs: ["conv_out"],
    shape: [1, 2, 4, 4],
    attributes: { kernel_shape: attr.ints([1, 1]) },
  });
  const scale = fixture.constant("scale", [2], [2, 0.5]);
  const offset = fixture.constant("offset", [2], [1, 3]);
  const mean = fixture.constant("mean", [2], [0.25, -2]);
  const variance = fixture.constant("var", [2], [3, 0]);
  const [normalized] = fixture.op("BatchNormalization", [conv!, scale, offset, mean, variance], {
    name: "bn",
    outputs: ["bn_out"],
    shape: [1, 2, 4, 4],
    attributes: { epsilon: attr.float(1) },
  });
  const [relu] = fixture.op("Relu", [normalized!], { name: "relu", outputs: ["y"], shape: [1, 2, 4, 4] });
  const outputs: Value[] = options.convOutputIsGraphOutput === true ? [relu!, conv!] : [relu!];
  return { fixture, graph: fixture.graph(outputs) };
}

test("foldBatchNorm rewrites Conv → BatchNormalization into one Conv with folded weight and bias", () => {
  const { fixture, graph } = convBatchNorm({ withBias: true });
  const after = verifyGraph(foldBatchNorm(graph, fixture.ids));
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[1,2,4,4]",
      "  %13 w_bn_folded = const float32[2,2,1,1] [1, 2, 1.5, 2]",
      "  %14 b_bn_folded = const float32[2] [1.25, 3.5]",
      "  %9 bn_out: float32[1,2,4,4] = Conv(%0, %13, %14) {kernel_shape=[1,1]}  # conv",
      "  %11 y: float32[1,2,4,4] = Relu(%9)  # relu",
      "  return %11",
    ),
  );
  // By hand: f = scale / sqrt(var + epsilon) = [2 / 2, 0.5 / 1] = [1, 0.5];
  // W' = W · f per output channel = [1, 2, 3 · 0.5, 4 · 0.5];
  // B' = (B − mean) · f + offset = [(0.5 − 0.25) · 1 + 1, (−1 + 2) · 0.5 + 3].
  const conv = after.nodes[0]!;
  assert.deepEqual([...(conv.inputs[1]!.constant!.data as Float32Array)], [1, 2, 1.5, 2]);
  assert.deepEqual([...(conv.inputs[2]!.constant!.data as Float32Array)], [1.25, 3.5]);
});

test("foldBatchNorm creates a bias for a Conv without one", () => {
  const { fixture, graph } = convBatchNorm({ withBias: false });
  const after = verifyGraph(foldBatchNorm(graph, fixture.ids));
  const conv = after.nodes[0]!;
  assert.equal(conv.inputs[2]!.name, "conv_bias_bn_folded");
  // B' = (0 − mean) · f + offset = [−0.25 + 1, 2 · 0.5 + 3].
  assert.deepEqual([...(conv.inputs[2]!.constant!.data as Float32Array)], [0.75, 4]);
  assert.equal(after.nodes.length, 2);
});

test("foldBatchNorm leaves the pair when the Conv output is also read elsewhere", () => {
  const { fixture, graph } = convBatchNorm({ withBias: true, convOutputIsGraphOutput: true });
  assert.equal(foldBatchNorm(graph, fixture.ids), graph);
});

test("foldBatchNorm leaves the pair when a parameter is not constant", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 1, 2, 2]);
  const scale = fixture.input("scale", [1]);
  const weight = fixture.constant("w", [1, 1, 1, 1], [2]);
  const [conv] = fixture.op("Conv", [x, weight], { name: "conv", shape: [1, 1, 2, 2] });
  const parameter = fixture.constant("p", [1], [1]);
  const [out] = fixture.op("BatchNormalization", [conv!, scale, parameter, parameter, parameter], { name: "bn" });
  const graph = fixture.graph([out!]);
  assert.equal(foldBatchNorm(graph, fixture.ids), graph);
});
