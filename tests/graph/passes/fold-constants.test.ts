import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { foldConstants } from "../../../src/graph/passes/fold-constants.js";

test("foldConstants folds nodes whose inputs are now all constant, and Shape of a typed value", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 3]);
  const a = fixture.constant("a", [3], [1, 2, 3]);
  const [negated] = fixture.op("Neg", [a], { name: "neg", outputs: ["negated"], shape: [3] });
  const [sum] = fixture.op("Add", [x, negated!], { name: "add", outputs: ["sum"], shape: [2, 3] });
  const [shape] = fixture.op("Shape", [sum!], { name: "shape", outputs: ["dims"], shape: [2], dtype: "int64" });
  const before = fixture.graph([sum!, shape!]);
  const after = verifyGraph(foldConstants(before, fixture.ids), { requireShapes: true });
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,3]",
      "  %8 negated = const float32[3] [-1, -2, -3]",
      "  %9 dims = const int64[2] [2, 3]",
      "  %4 sum: float32[2,3] = Add(%0, %8)  # add",
      "  return %4, %9",
    ),
  );
  assert.equal(foldConstants(after, fixture.ids), after);
});
