import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr, lines } from "./graph-fixture.js";
import { printGraph, printFusedGraph } from "../../src/graph/print-graph.js";

test("printGraph: one node per line, attributes sorted, small constants inline, large ones summarized", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", ["batch", 3, 8, 8]);
  const weight = fixture.constant("conv.weight", [4, 3, 3, 3], new Array(108).fill(0.5));
  const shape = fixture.constant("shape", [2], [1, -1], "int64");
  const [conv] = fixture.op("Conv", [x, weight, null], {
    name: "conv0",
    outputs: ["conv_out"],
    shape: [1, 4, 8, 8],
    attributes: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]), auto_pad: attr.string("NOTSET") },
  });
  const [flat] = fixture.op("Reshape", [conv!, shape], { name: "flatten", outputs: ["flat"], shape: [1, 256] });
  const [scaled] = fixture.op("Mul", [flat!, flat!], { domain: "com.example", outputs: ["scaled"] });
  const text = printGraph(fixture.graph([scaled!], "tiny"));
  assert.equal(
    text,
    lines(
      "graph tiny (opset 17)",
      "  input %0 x: float32[batch,3,8,8]",
      "  %1 conv.weight = const float32[4,3,3,3]",
      "  %2 shape = const int64[2] [1, -1]",
      '  %3 conv_out: float32[1,4,8,8] = Conv(%0, %1, _) {auto_pad="NOTSET", kernel_shape=[3,3], pads=[1,1,1,1]}  # conv0',
      "  %5 flat: float32[1,256] = Reshape(%3, %2)  # flatten",
      "  %7 scaled: float32[?] = com.example.Mul(%5, %5)  # Mul_8",
      "  return %7",
    ),
  );
});

test("printGraph: floats print with six significant digits", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [3]);
  const scale = fixture.constant("scale", [3], [1 / 3, 2, -0.125]);
  const [out] = fixture.op("Mul", [x, scale], { name: "mul", attributes: { alpha: attr.float(0.1 + 0.2) } });
  assert.equal(
    printGraph(fixture.graph([out!])),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[3]",
      "  %1 scale = const float32[3] [0.333333, 2, -0.125]",
      "  %2 mul_out: float32[?] = Mul(%0, %1) {alpha=0.3}  # mul",
      "  return %2",
    ),
  );
});

test("printFusedGraph: groups with pattern, anchor, inputs, outputs and nodes", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [4]);
  const [exp] = fixture.op("Exp", [x], { name: "exp", shape: [4] });
  const [neg] = fixture.op("Neg", [exp!], { name: "neg", shape: [4] });
  const graph = fixture.graph([neg!]);
  const group = {
    name: "fused_exp_neg_0",
    nodes: graph.nodes,
    pattern: "elementwise" as const,
    anchor: graph.nodes[1]!,
    inputs: [x],
    outputs: [neg!],
  };
  assert.equal(
    printFusedGraph({ graph, groups: [group] }),
    lines(
      "fused graph test (opset 17, 1 groups)",
      "  input %0 x: float32[4]",
      "  group fused_exp_neg_0 [elementwise, anchor neg] (%0) -> (%3)",
      "    %1 exp_out: float32[4] = Exp(%0)  # exp",
      "    %3 neg_out: float32[4] = Neg(%1)  # neg",
      "  return %3",
    ),
  );
});
