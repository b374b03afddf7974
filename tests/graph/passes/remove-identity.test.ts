import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { removeIdentity } from "../../../src/graph/passes/remove-identity.js";

test("removeIdentity drops Identity and unmasked Dropout; the producer takes over a graph output's name", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 3]);
  const [a] = fixture.op("Identity", [x], { name: "copy_a", outputs: ["a"], shape: [2, 3] });
  const [r] = fixture.op("Relu", [a!], { name: "relu", outputs: ["r"], shape: [2, 3] });
  const [y] = fixture.op("Identity", [r!], { name: "copy_y", outputs: ["y"], shape: [2, 3] });
  const [d] = fixture.op("Dropout", [r!], { name: "drop", outputs: ["d", "mask"], shape: [2, 3] });
  const [z] = fixture.op("Add", [d!, r!], { name: "add", outputs: ["z"], shape: [2, 3] });
  const before = fixture.graph([y!, z!]);
  assert.equal(
    printGraph(before),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,3]",
      "  %1 a: float32[2,3] = Identity(%0)  # copy_a",
      "  %3 r: float32[2,3] = Relu(%1)  # relu",
      "  %5 y: float32[2,3] = Identity(%3)  # copy_y",
      "  %7 d: float32[2,3], %8 mask: float32[2,3] = Dropout(%3)  # drop",
      "  %10 z: float32[2,3] = Add(%7, %3)  # add",
      "  return %5, %10",
    ),
  );
  const after = verifyGraph(removeIdentity(before));
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,3]",
      "  %5 y: float32[2,3] = Relu(%0)  # relu",
      "  %10 z: float32[2,3] = Add(%5, %5)  # add",
      "  return %5, %10",
    ),
  );
  assert.equal(removeIdentity(after), after);
});

test("removeIdentity keeps copies it cannot remove without renaming a graph output", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [passThrough] = fixture.op("Identity", [x], { name: "pass", outputs: ["x_copy"], shape: [2] });
  const [r] = fixture.op("Relu", [x], { name: "relu", outputs: ["r"], shape: [2] });
  const [second] = fixture.op("Identity", [r!], { name: "copy", outputs: ["r_copy"], shape: [2] });
  const graph = fixture.graph([passThrough!, r!, second!]);
  assert.equal(removeIdentity(graph), graph);
});

test("removeIdentity keeps a Dropout whose mask is read, or that runs in training mode", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [, mask] = fixture.op("Dropout", [x], { name: "masked", outputs: ["d", "mask"], shape: [2] });
  const ratio = fixture.constant("ratio", [], [0.5]);
  const training = fixture.constant("training", [], [1], "bool");
  const [trained] = fixture.op("Dropout", [x, ratio, training], { name: "trained", outputs: ["t"], shape: [2] });
  const graph = fixture.graph([mask!, trained!]);
  assert.equal(removeIdentity(graph), graph);
});

test("removeIdentity removes a chain of copies ending in a graph output", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [r] = fixture.op("Relu", [x], { name: "relu", outputs: ["r"], shape: [2] });
  const [a] = fixture.op("Identity", [r!], { name: "first", outputs: ["a"], shape: [2] });
  const [y] = fixture.op("Identity", [a!], { name: "second", outputs: ["y"], shape: [2] });
  const after = verifyGraph(removeIdentity(fixture.graph([y!])));
  assert.equal(
    printGraph(after),
    lines("graph test (opset 17)", "  input %0 x: float32[2]", "  %5 y: float32[2] = Relu(%0)  # relu", "  return %5"),
  );
});
