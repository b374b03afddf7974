import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr, lines } from "../graph-fixture.js";
import { printFusedGraph } from "../../../src/graph/print-graph.js";
import { inferShapes } from "../../../src/graph/infer-shapes.js";
import { foldBatchNorm } from "../../../src/graph/passes/fold-batch-norm.js";
import { fuseOperators } from "../../../src/graph/passes/fuse-operators.js";
import type { FusedGraph } from "../../../src/graph/fused.js";
import type { Value } from "../../../src/graph/ir.js";

/** Group names with their node names, the part of a fused graph these tests pin down. */
function grouping(fused: FusedGraph): string[] {
  return fused.groups.map((group) => `${group.name}: ${group.nodes.map((node) => node.name).join(" ")}`);
}

/** A residual block: conv → bn → relu → conv → bn → add(x) → relu, with shapes given. */
function residualBlock(): { fixture: GraphFixture; output: Value } {
  const fixture = new GraphFixture();
  const shape = [1, 2, 4, 4];
  const x = fixture.input("x", shape);
  const ones = (name: string) => fixture.constant(name, [2], [1, 1]);
  let current = x;
  for (const index of [1, 2]) {
    const weight = fixture.constant(`w${index}`, [2, 2, 3, 3], new Array(36).fill(0.1));
    const [conv] = fixture.op("Conv", [current, weight], {
      name: `conv${index}`,
      shape,
      attributes: { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) },
    });
    const parameters = [ones(`scale${index}`), ones(`offset${index}`), ones(`mean${index}`), ones(`var${index}`)];
    [current] = fixture.op("BatchNormalization", [conv!, ...parameters], { name: `bn${index}`, shape });
    if (index === 1) [current] = fixture.op("Relu", [current!], { name: "relu1", shape });
  }
  const [sum] = fixture.op("Add", [current!, x], { name: "residual", shape });
  const [output] = fixture.op("Relu", [sum!], { name: "relu2", outputs: ["y"], shape });
  return { fixture, output: output! };
}

test("fuseOperators: conv + folded bn + relu, and conv + residual add + relu", () => {
  const { fixture, output } = residualBlock();
  const fused = fuseOperators(foldBatchNorm(fixture.graph([output]), fixture.ids));
  assert.deepEqual(grouping(fused), ["fused_conv_relu_0: conv1 relu1", "fused_conv_add_relu_1: conv2 residual relu2"]);
  assert.deepEqual(
    fused.groups.map((group) => [group.pattern, group.anchor.name]),
    [
      ["out-fusable", "conv1"],
      ["out-fusable", "conv2"],
    ],
  );
  const text = printFusedGraph(fused);
  assert.match(text, /group fused_conv_add_relu_1 \[out-fusable, anchor conv2\] \(%\d+, %\d+, %\d+, %0\) -> \(%\d+\)/);
});

test("fuseOperators: the GELU chain joins its MatMul, as its uses of h meet again", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 4]);
  const weight = fixture.constant("w", [4, 3], new Array(12).fill(0.25));
  const bias = fixture.constant("b", [3], [1, 2, 3]);
  const [product] = fixture.op("MatMul", [x, weight], { name: "matmul" });
  const [h] = fixture.op("Add", [product!, bias], { name: "bias" });
  const [scaled] = fixture.op("Div", [h!, fixture.constant("sqrt2", [], [Math.SQRT2])], { name: "div" });
  const [erf] = fixture.op("Erf", [scaled!], { name: "erf" });
  const [shifted] = fixture.op("Add", [erf!, fixture.constant("one", [], [1])], { name: "plus_one" });
  const [gated] = fixture.op("Mul", [h!, shifted!], { name: "gate" });
  const [gelu] = fixture.op("Mul", [gated!, fixture.constant("half", [], [0.5])], { name: "half", outputs: ["gelu"] });
  const [out] = fixture.op("Transpose", [gelu!], { name: "transpose" });
  const fused = fuseOperators(inferShapes(fixture.graph([out!]), { ids: fixture.ids }));
  assert.deepEqual(grouping(fused), [
    "fused_matmul_add_div_erf_add_mul_mul_0: matmul bias div erf plus_one gate half",
    "fused_transpose_1: transpose",
  ]);
  assert.equal(fused.groups[0]!.outputs[0]!.name, "gelu");
});

test("fuseOperators: uses that meet only after a node of another kind stay apart", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 2]);
  const [product] = fixture.op("MatMul", [x, fixture.constant("w", [2, 2], [1, 2, 3, 4])], { name: "matmul" });
  const [h] = fixture.op("Add", [product!, fixture.constant("b", [2], [1, 1])], { name: "bias" });
  const [activated] = fixture.op("Tanh", [h!], { name: "tanh" });
  const [projected] = fixture.op("MatMul", [h!, fixture.constant("v", [2, 2], [1, 0, 0, 1])], { name: "project" });
  const [sum] = fixture.op("Add", [activated!, projected!], { name: "sum" });
  const fused = fuseOperators(inferShapes(fixture.graph([sum!]), { ids: fixture.ids }));
  assert.deepEqual(grouping(fused), [
    "fused_matmul_add_0: matmul bias",
    "fused_tanh_1: tanh",
    "fused_matmul_add_2: project sum",
  ]);
});

test("fuseOperators: a value read outside the chain, or returned, ends the group", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [8]);
  const [exp] = fixture.op("Exp", [x], { name: "exp" });
  const [neg] = fixture.op("Neg", [exp!], { name: "neg" });
  const [abs] = fixture.op("Abs", [neg!], { name: "abs" });
  const [shape] = fixture.op("Reshape", [abs!, fixture.constant("shape", [2], [2, 4], "int64")], { name: "view" });
  const [sqrt] = fixture.op("Sqrt", [shape!], { name: "sqrt" });
  const [parts0, parts1] = fixture.op("Split", [sqrt!], {
    name: "split",
    outputs: ["p0", "p1"],
    attributes: { axis: attr.int(1), num_outputs: attr.int(2) },
  });
  const [sum] = fixture.op("Add", [parts0!, parts1!], { name: "sum" });
  const fused = fuseOperators(inferShapes(fixture.graph([neg!, sum!]), { ids: fixture.ids }));
  assert.deepEqual(grouping(fused), [
    "fused_exp_neg_0: exp neg",
    "fused_abs_1: abs",
    "fused_reshape_2: view",
    "fused_sqrt_3: sqrt",
    "fused_split_4: split",
    "fused_add_5: sum",
  ]);
  const split = fused.groups[4]!;
  assert.deepEqual(
    split.outputs.map((value) => value.name),
    ["p0", "p1"],
  );
  assert.equal(fused.groups[2]!.pattern, "view");
});

test("fuseOperators: injective nodes group and absorb following elementwise nodes", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 3]);
  const [transposed] = fixture.op("Transpose", [x], { name: "transpose", attributes: { perm: attr.ints([1, 0]) } });
  const [relu] = fixture.op("Relu", [transposed!], { name: "relu" });
  const [product] = fixture.op("MatMul", [relu!, fixture.constant("w", [2, 2], [1, 0, 0, 1])], { name: "matmul" });
  const fused = fuseOperators(inferShapes(fixture.graph([product!]), { ids: fixture.ids }));
  assert.equal(
    printFusedGraph(fused),
    lines(
      "fused graph test (opset 17, 2 groups)",
      "  input %0 x: float32[2,3]",
      "  %5 w = const float32[2,2] [1, 0, 0, 1]",
      "  group fused_transpose_relu_0 [injective, anchor relu] (%0) -> (%9)",
      "    %8 transpose_out: float32[3,2] = Transpose(%0) {perm=[1,0]}  # transpose",
      "    %9 relu_out: float32[3,2] = Relu(%8)  # relu",
      "  group fused_matmul_1 [out-fusable, anchor matmul] (%9, %5) -> (%10)",
      "    %10 matmul_out: float32[3,2] = MatMul(%9, %5)  # matmul",
      "  return %10",
    ),
  );
});

test("fuseOperators: an anchored group stops before a node that broadcasts its result (squeeze-excitation)", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 4, 6, 6]);
  const [pooled] = fixture.op("GlobalAveragePool", [x], { name: "pool", shape: [1, 4, 1, 1] });
  const weight = fixture.constant("w", [4, 4, 1, 1], new Array(16).fill(0.25));
  const [squeezed] = fixture.op("Conv", [pooled!, weight], { name: "conv", shape: [1, 4, 1, 1] });
  const [gate] = fixture.op("Sigmoid", [squeezed!], { name: "gate", shape: [1, 4, 1, 1] });
  const [scaled] = fixture.op("Mul", [x, gate!], { name: "scale", shape: [1, 4, 6, 6] });
  const [output] = fixture.op("Relu", [scaled!], { name: "relu", outputs: ["y"], shape: [1, 4, 6, 6] });
  const fused = fuseOperators(fixture.graph([output!]));
  assert.deepEqual(grouping(fused), [
    "fused_globalaveragepool_0: pool",
    "fused_conv_sigmoid_1: conv gate",
    "fused_mul_relu_2: scale relu",
  ]);
});
