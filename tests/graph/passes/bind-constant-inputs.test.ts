import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture } from "../graph-fixture.js";
import { bindConstantInputs } from "../../../src/graph/passes/bind-constant-inputs.js";
import { inferShapes } from "../../../src/graph/infer-shapes.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { TesseraError } from "../../../src/support/errors.js";
import { makeTensorData } from "../../../src/support/tensor-data.js";

function reshapeGraph() {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 6]);
  const shape = fixture.input("shape", [2], "int64");
  const [y] = fixture.op("Reshape", [x, shape], { name: "reshape", outputs: ["y"] });
  return { fixture, graph: fixture.graph([y!, shape]) };
}

const target = makeTensorData("int64", [2], new BigInt64Array([3n, 4n]));

function usageError(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof TesseraError && error.code === "E_USAGE" && pattern.test(error.message);
}

test("bindConstantInputs replaces a graph input by a constant every reader sees", () => {
  const { fixture, graph } = reshapeGraph();
  const bound = verifyGraph(bindConstantInputs(graph, new Map([["shape", target]]), fixture.ids));
  assert.deepEqual(
    bound.inputs.map((value) => value.name),
    ["x"],
  );
  const shapeValue = bound.nodes[0]!.inputs[1]!;
  assert.equal(shapeValue.name, "shape");
  assert.equal(shapeValue.constant, target);
  assert.equal(bound.outputs[1], shapeValue, "a graph output that was the input reads the constant too");
  // The bound graph now builds: Reshape's target shape is known.
  const inferred = inferShapes(bound, { ids: fixture.ids });
  assert.deepEqual(inferred.outputs[0]!.shape, [3, 4]);
});

test("bindConstantInputs returns the graph itself when nothing is bound", () => {
  const { fixture, graph } = reshapeGraph();
  assert.equal(bindConstantInputs(graph, new Map(), fixture.ids), graph);
});

test("bindConstantInputs checks names, dtypes and fixed dims", () => {
  const { fixture, graph } = reshapeGraph();
  const bind =
    (name: string, data = target) =>
    () =>
      bindConstantInputs(graph, new Map([[name, data]]), fixture.ids);
  assert.throws(bind("nope"), usageError(/'nope' is not a graph input \(the graph inputs: 'x', 'shape'\)/));
  assert.throws(bind("shape", makeTensorData("int32", [2])), usageError(/must be int64, got int32/));
  assert.throws(bind("shape", makeTensorData("int64", [3])), usageError(/must have shape \[2\], got \[3\]/));
});

test("bindConstantInputs lets a symbolic dim take the contents' size", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 6]);
  const shape = fixture.input("shape", ["rank"], "int64");
  const [y] = fixture.op("Reshape", [x, shape], { name: "reshape", outputs: ["y"] });
  const graph = fixture.graph([y!]);
  const contents = makeTensorData("int64", [3], new BigInt64Array([2n, 2n, 3n]));
  const bound = inferShapes(bindConstantInputs(graph, new Map([["shape", contents]]), fixture.ids), {
    ids: fixture.ids,
  });
  assert.deepEqual(bound.outputs[0]!.shape, [2, 2, 3]);
});
