import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture } from "./graph-fixture.js";
import { inferShapes } from "../../src/graph/infer-shapes.js";
import { DynamicShapeError, TesseraError } from "../../src/support/errors.js";

/** The DynamicShapeError inferShapes throws for the graph (fails the test when none). */
function dynamicShapeErrorOf(fixture: GraphFixture, outputs: Parameters<GraphFixture["graph"]>[0]): DynamicShapeError {
  try {
    inferShapes(fixture.graph(outputs), { ids: fixture.ids });
  } catch (error) {
    assert.ok(error instanceof DynamicShapeError, `expected a DynamicShapeError, got ${String(error)}`);
    return error;
  }
  assert.fail("inferShapes did not throw");
}

test("a Reshape whose shape is a graph input names that input, not the data input", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 6]);
  const shape = fixture.input("shape", [2], "int64");
  const [y] = fixture.op("Reshape", [x, shape], { name: "reshape", outputs: ["y"] });
  const error = dynamicShapeErrorOf(fixture, [y!]);
  assert.ok(error instanceof TesseraError);
  assert.equal(error.code, "E_DYNAMIC_SHAPE");
  assert.deepEqual(error.graphInputs, ["shape"]);
  assert.equal(error.location.nodeName, "reshape");
  assert.match(error.message, /target shape \(input 1\).*; it is computed from graph input 'shape'$/);
});

test("the names come from walking producers up to the graph inputs, in graph input order", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [4, 5]);
  const ends = fixture.input("ends", [2], "int64");
  const offset = fixture.input("offset", [2], "int64");
  const starts = fixture.input("starts", [2], "int64");
  const [shifted] = fixture.op("Add", [ends, offset], { name: "shift", outputs: ["shifted"], dtype: "int64" });
  const [relu] = fixture.op("Relu", [x], { name: "relu", outputs: ["r"] });
  const [y] = fixture.op("Slice", [relu!, starts, shifted!], { name: "slice", outputs: ["y"] });
  const error = dynamicShapeErrorOf(fixture, [y!]);
  assert.deepEqual(error.graphInputs, ["ends", "offset", "starts"]);
});

test("a shape computed only from constants and static shapes needs no graph input", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 6]);
  const [shapeOfX] = fixture.op("Shape", [x], { name: "shape", outputs: ["s"], dtype: "int64" });
  const [y] = fixture.op("Reshape", [x, shapeOfX!], { name: "reshape", outputs: ["y"] });
  const inferred = inferShapes(fixture.graph([y!]), { ids: fixture.ids });
  assert.deepEqual(inferred.outputs[0]!.shape, [2, 6]);
});
