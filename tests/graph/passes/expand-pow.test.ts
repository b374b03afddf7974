import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { GraphFixture, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { expandPow } from "../../../src/graph/passes/expand-pow.js";
import type { DType } from "../../../src/support/dtype.js";
import { InferenceSession, Tensor, inspectModel } from "../../../src/index.js";
import { encodeModel } from "../../../src/onnx/encode-model.js";
import { makeTensorData } from "../../../src/support/tensor-data.js";

/** y = Pow(x, exponent) with x: [2, 4] of `baseType`; the exponent constant has `exponentShape`. */
function powGraph(
  exponent: number,
  options: { exponentShape?: number[]; baseType?: DType; exponentType?: DType } = {},
) {
  const fixture = new GraphFixture();
  const baseType = options.baseType ?? "float32";
  const x = fixture.input("x", [2, 4], baseType);
  const exponentShape = options.exponentShape ?? [];
  const outputShape = exponentShape.length > 2 ? [...exponentShape.slice(0, -2), 2, 4] : [2, 4];
  const power = fixture.constant("p", exponentShape, [exponent], options.exponentType ?? "float32");
  const [y] = fixture.op("Pow", [x, power], { name: "pow", outputs: ["y"], shape: outputShape, dtype: baseType });
  return { fixture, graph: fixture.graph([y!]) };
}

test("expandPow writes Pow(x, 3) as (x·x)·x, the last Mul writing the Pow's output", () => {
  const { fixture, graph } = powGraph(3);
  assert.equal(
    printGraph(verifyGraph(expandPow(graph, fixture.ids))),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,4]",
      "  %4 y_square: float32[2,4] = Mul(%0, %0)  # pow_square",
      "  %2 y: float32[2,4] = Mul(%4, %0)  # pow_cube",
      "  return %2",
    ),
  );
});

test("expandPow writes Pow(x, 2) as one Mul and Pow(x, 4) as the square squared, integer exponents included", () => {
  const square = powGraph(2, { exponentType: "int64" });
  assert.deepEqual(
    expandPow(square.graph, square.fixture.ids).nodes.map((node) => [node.opType, node.inputs.map((v) => v?.name)]),
    [["Mul", ["x", "x"]]],
  );
  const fourth = powGraph(4);
  assert.deepEqual(
    expandPow(fourth.graph, fourth.fixture.ids).nodes.map((node) => [node.opType, node.inputs.map((v) => v?.name)]),
    [
      ["Mul", ["x", "x"]],
      ["Mul", ["y_square", "y_square"]],
    ],
  );
});

test("expandPow leaves other exponents, integer bases and broadcasting exponents alone", () => {
  for (const { graph, fixture } of [
    powGraph(2.5),
    powGraph(5),
    powGraph(-1),
    powGraph(3, { baseType: "int32" }),
    powGraph(3, { exponentShape: [1, 1, 1] }),
  ]) {
    assert.equal(expandPow(graph, fixture.ids), graph);
  }
});

/** y = Pow(x, p) as an ONNX model, x: float32[64]. */
function powModel(exponent: number): Uint8Array {
  return encodeModel({
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [64] }],
    outputs: [{ name: "y", dtype: "float32", shape: [64] }],
    nodes: [{ opType: "Pow", inputs: ["x", "p"], outputs: ["y"] }],
    initializers: [{ name: "p", data: makeTensorData("float32", [], Float32Array.of(exponent)) }],
  });
}

for (const exponent of [2, 3, 4]) {
  test(`Pow(x, ${exponent}) expanded to Muls matches onnxruntime-node on negative, zero and large bases`, async () => {
    const bytes = powModel(exponent);
    assert.doesNotMatch(inspectModel({ bytes }, "graph"), /= Pow\(/);
    const x = Float32Array.from({ length: 64 }, (_, i) => (i - 32) * 0.37 + (i % 3) * 1e-3);
    x[0] = -0;
    x[1] = 1e10;
    x[2] = -1e-20;
    const session = await InferenceSession.create(bytes, { threads: 1 });
    const oracle = await ort.InferenceSession.create(bytes);
    try {
      const actual = (await session.run({ x: new Tensor("float32", x, [64]) })).y!.data as Float32Array;
      const expected = (await oracle.run({ x: new ort.Tensor("float32", x, [64]) })).y!.data as Float32Array;
      for (let i = 0; i < 64; i++) {
        const tolerance = Math.abs(expected[i]!) * 2 ** -22;
        const close = actual[i] === expected[i] || Math.abs(actual[i]! - expected[i]!) <= tolerance;
        assert.ok(close, `x=${x[i]}: ${actual[i]} vs ${expected[i]}`);
        assert.equal(Object.is(actual[i], -0), Object.is(expected[i], -0), `sign of zero at x=${x[i]}`);
      }
    } finally {
      await session.release();
      await oracle.release();
    }
  });
}
