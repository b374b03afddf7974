import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture } from "./graph-fixture.js";
import { verifyGraph } from "../../src/graph/verify-graph.js";
import { InternalError } from "../../src/support/assert.js";
import { makeValue } from "../../src/graph/builder.js";

function internalError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof InternalError && pattern.test(error.message);
}

test("verifyGraph accepts a well-formed graph and returns it", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const bias = fixture.constant("bias", [2], [1, 2]);
  const [sum] = fixture.op("Add", [x, bias], { shape: [2] });
  const graph = fixture.graph([sum!]);
  assert.equal(verifyGraph(graph, { requireShapes: true }), graph);
});

test("verifyGraph rejects a read before the value is defined", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [first] = fixture.op("Relu", [x], { name: "first" });
  const [second] = fixture.op("Neg", [first!], { name: "second" });
  const graph = fixture.graph([second!]);
  const swapped = { ...graph, nodes: [graph.nodes[1]!, graph.nodes[0]!] };
  assert.throws(() => verifyGraph(swapped), internalError(/node second reads %\d+ relu_out before it is defined/));
});

test("verifyGraph rejects a second producer, a missing graph output and a reused id", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [out] = fixture.op("Relu", [x], { name: "relu" });
  const graph = fixture.graph([out!]);
  const twice = { ...graph, nodes: [graph.nodes[0]!, { ...graph.nodes[0]!, id: 99, name: "again" }] };
  assert.throws(() => verifyGraph(twice), internalError(/second producer, node again/));
  const stray = makeValue("stray", "float32", [2], undefined, fixture.ids);
  assert.throws(
    () => verifyGraph({ ...graph, outputs: [stray] }),
    internalError(/graph output %\d+ stray is never produced/),
  );
  const clash = { ...x, name: "clash" };
  const [readsClash] = fixture.op("Neg", [clash], { name: "neg" });
  assert.throws(
    () => verifyGraph({ ...fixture.graph([readsClash!]), inputs: [x, clash] }),
    internalError(/value id 0 names both x and clash/),
  );
});

test("verifyGraph requires static shapes only when asked", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [out] = fixture.op("Relu", [x], { name: "relu" });
  const graph = fixture.graph([out!]);
  assert.equal(verifyGraph(graph), graph);
  assert.throws(() => verifyGraph(graph, { requireShapes: true }), internalError(/relu_out has no static shape/));
});
