import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr } from "../graph-fixture.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { convertLayout } from "../../../src/graph/passes/convert-layout.js";
import type { Graph, Node } from "../../../src/graph/ir.js";

const describe = (node: Node): string => `${node.domain === "" ? "" : `${node.domain}.`}${node.opType}`;
const ops = (graph: Graph): string[] => graph.nodes.map(describe);

function convOf(fixture: GraphFixture, input: ReturnType<GraphFixture["input"]>, name: string, channels: number) {
  const w = fixture.constant(`${name}_w`, [channels, 2, 1, 1], new Array<number>(channels * 2).fill(1));
  return fixture.op("Conv", [input, w], { name, outputs: [`${name}_out`], shape: [1, channels, 4, 4] })[0]!;
}

test("convertLayout runs a conv chain channels-last with transposes only at its edges", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const conv = convOf(fixture, x, "conv", 2);
  const scale = fixture.constant("scale", [2, 1, 1], [2, 3]);
  const [scaled] = fixture.op("Mul", [conv, scale], { name: "mul", outputs: ["scaled"], shape: [1, 2, 4, 4] });
  const [relu] = fixture.op("Relu", [scaled!], { name: "relu", outputs: ["relu_out"], shape: [1, 2, 4, 4] });
  const [pool] = fixture.op("MaxPool", [relu!], {
    name: "pool",
    outputs: ["y"],
    shape: [1, 2, 2, 2],
    attributes: { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) },
  });
  const graph = fixture.graph([pool!]);
  const after = verifyGraph(convertLayout(graph, fixture.ids), { requireShapes: true });
  assert.deepEqual(ops(after), ["Transpose", "ai.tessera.Conv", "Mul", "Relu", "ai.tessera.MaxPool", "Transpose"]);
  assert.deepEqual(after.nodes[0]!.attributes.get("perm"), { kind: "ints", value: [0, 2, 3, 1] });
  assert.deepEqual(after.nodes[1]!.outputs[0]!.shape, [1, 4, 4, 2]);
  assert.deepEqual(after.nodes[1]!.attributes.get("data_layout"), { kind: "string", value: "NHWC" });
  const relaid = after.nodes[2]!.inputs[1]!.constant!;
  assert.deepEqual(relaid.shape, [1, 1, 1, 2], "the per-channel constant is re-laid channels-last");
  assert.deepEqual([...relaid.data], [2, 3]);
  assert.equal(after.outputs[0], graph.outputs[0], "the graph output keeps its value");
  assert.deepEqual(after.outputs[0]!.shape, [1, 2, 2, 2]);
});

test("convertLayout gives an op that needs NCHW its input transposed back, once", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const conv = convOf(fixture, x, "conv", 2);
  const [soft] = fixture.op("Softmax", [conv], {
    name: "softmax",
    outputs: ["soft"],
    shape: [1, 2, 4, 4],
    attributes: { axis: attr.int(1) },
  });
  const [sum] = fixture.op("Add", [soft!, conv], { name: "add", outputs: ["y"], shape: [1, 2, 4, 4] });
  const after = verifyGraph(convertLayout(fixture.graph([sum!]), fixture.ids), { requireShapes: true });
  assert.deepEqual(ops(after), [
    "Transpose",
    "ai.tessera.Conv",
    "Transpose",
    "Softmax",
    "Transpose",
    "Add",
    "Transpose",
  ]);
  const softmax = after.nodes[3]!;
  assert.equal(softmax.inputs[0], conv, "Softmax reads the conv's value in NCHW, written by the transpose back");
  assert.equal(after.nodes[4]!.inputs[0], softmax.outputs[0], "Add converts: its NCHW operand is transposed in");
});

test("convertLayout moves Concat's channel axis and makes unit-dim transposes views", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const left = convOf(fixture, x, "left", 2);
  const right = convOf(fixture, x, "right", 2);
  const [joined] = fixture.op("Concat", [left, right], {
    name: "concat",
    outputs: ["joined"],
    shape: [1, 4, 4, 4],
    attributes: { axis: attr.int(1) },
  });
  const [pooled] = fixture.op("GlobalAveragePool", [joined!], { name: "gap", outputs: ["y"], shape: [1, 4, 1, 1] });
  const after = verifyGraph(convertLayout(fixture.graph([pooled!]), fixture.ids), { requireShapes: true });
  assert.deepEqual(ops(after), [
    "Transpose",
    "ai.tessera.Conv",
    "ai.tessera.Conv",
    "Concat",
    "ai.tessera.GlobalAveragePool",
    "Reshape",
  ]);
  assert.deepEqual(after.nodes[3]!.attributes.get("axis"), { kind: "int", value: 3 });
});

test("convertLayout leaves a graph without convolutions unchanged", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const [relu] = fixture.op("Relu", [x], { name: "relu", outputs: ["y"], shape: [1, 2, 4, 4] });
  const graph = fixture.graph([relu!]);
  assert.equal(convertLayout(graph, fixture.ids), graph);
});

test("convertLayout keeps a BatchNormalization (per-channel on axis 1) in NCHW", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [1, 2, 4, 4]);
  const conv = convOf(fixture, x, "conv", 2);
  const params = ["scale", "bias", "mean", "var"].map((name) => fixture.constant(name, [2], [1, 2]));
  const [normalized] = fixture.op("BatchNormalization", [conv, ...params], {
    name: "bn",
    outputs: ["y"],
    shape: [1, 2, 4, 4],
  });
  const after = verifyGraph(convertLayout(fixture.graph([normalized!, conv]), fixture.ids), { requireShapes: true });
  assert.deepEqual(ops(after), ["Transpose", "ai.tessera.Conv", "Transpose", "BatchNormalization"]);
  assert.equal(after.nodes[3]!.inputs[0], conv);
});
