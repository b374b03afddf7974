import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { eliminateDeadNodes } from "../../../src/graph/passes/eliminate-dead-nodes.js";

test("eliminateDeadNodes removes nodes that reach no graph output, transitively", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const unused = fixture.input("unused", [2]);
  const [r] = fixture.op("Relu", [x], { name: "relu", outputs: ["r"], shape: [2] });
  const [dead] = fixture.op("Exp", [r!], { name: "dead", outputs: ["e"], shape: [2] });
  fixture.op("Neg", [dead!], { name: "dead_too", outputs: ["n"], shape: [2] });
  const [, used] = fixture.op("Split", [r!], { name: "split", outputs: ["s0", "s1"], shape: [1] });
  const graph = fixture.graph([used!]);
  const after = eliminateDeadNodes(graph);
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2]",
      "  input %1 unused: float32[2]",
      "  %2 r: float32[2] = Relu(%0)  # relu",
      "  %8 s0: float32[1], %9 s1: float32[1] = Split(%2)  # split",
      "  return %9",
    ),
  );
  assert.equal(eliminateDeadNodes(after), after);
  assert.ok(unused);
});
