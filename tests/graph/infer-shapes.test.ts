import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr, lines } from "./graph-fixture.js";
import { printGraph } from "../../src/graph/print-graph.js";
import { inferShapes } from "../../src/graph/infer-shapes.js";
import { verifyGraph } from "../../src/graph/verify-graph.js";
import { TesseraError } from "../../src/support/errors.js";
import type { Value } from "../../src/graph/ir.js";

function tesseraError(code: string, pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof TesseraError && error.code === code && pattern.test(error.message);
}

/** conv → relu → reshape to [batch, -1], the shape computed by Shape → Gather → Unsqueeze → Concat. */
function convFlatten(): { fixture: GraphFixture; output: Value } {
  const fixture = new GraphFixture();
  const x = fixture.input("x", ["batch", 3, 8, 8]);
  const weight = fixture.constant("w", [4, 3, 3, 3], new Array(108).fill(0.1));
  const attributes = { kernel_shape: attr.ints([3, 3]), pads: attr.ints([1, 1, 1, 1]) };
  const [conv] = fixture.op("Conv", [x, weight], { name: "conv", attributes });
  const [relu] = fixture.op("Relu", [conv!], { name: "relu" });
  const [shape] = fixture.op("Shape", [relu!], { name: "shape", dtype: "int64" });
  const zero = fixture.constant("zero", [], [0], "int64");
  const [batch] = fixture.op("Gather", [shape!, zero], { name: "gather", dtype: "int64" });
  const axes = fixture.constant("axes", [1], [0], "int64");
  const [batch1] = fixture.op("Unsqueeze", [batch!, axes], { name: "unsqueeze", dtype: "int64" });
  const rest = fixture.constant("rest", [1], [-1], "int64");
  const concatAttributes = { axis: attr.int(0) };
  const [target] = fixture.op("Concat", [batch1!, rest], {
    name: "concat",
    dtype: "int64",
    attributes: concatAttributes,
  });
  const [output] = fixture.op("Reshape", [relu!, target!], { name: "reshape", outputs: ["y"] });
  return { fixture, output: output! };
}

test("inferShapes binds symbolic dims, types every value and folds the shape computation", () => {
  const { fixture, output } = convFlatten();
  const after = verifyGraph(
    inferShapes(fixture.graph([output]), { bindings: new Map([["batch", 2]]), ids: fixture.ids }),
    { requireShapes: true },
  );
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %19 x: float32[2,3,8,8]",
      "  %1 w = const float32[4,3,3,3]",
      "  %25 concat_out = const int64[2] [2, -1]",
      "  %20 conv_out: float32[2,4,8,8] = Conv(%19, %1) {kernel_shape=[3,3], pads=[1,1,1,1]}  # conv",
      "  %21 relu_out: float32[2,4,8,8] = Relu(%20)  # relu",
      "  %26 y: float32[2,256] = Reshape(%21, %25)  # reshape",
      "  return %26",
    ),
  );
});

test("inferShapes takes an unbound symbolic dim as 1 and is idempotent", () => {
  const { fixture, output } = convFlatten();
  const once = inferShapes(fixture.graph([output]), { ids: fixture.ids });
  assert.deepEqual(once.inputs[0]!.shape, [1, 3, 8, 8]);
  assert.deepEqual(once.outputs[0]!.shape, [1, 256]);
  assert.equal(inferShapes(once, { ids: fixture.ids }), once);
});

test("inferShapes folds a graph output of constants and keeps its name", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const a = fixture.constant("a", [2], [1, 2]);
  const b = fixture.constant("b", [2], [10, 20]);
  const [sum] = fixture.op("Add", [a, b], { name: "add", outputs: ["sum"] });
  const [product] = fixture.op("Mul", [x, sum!], { name: "mul", outputs: ["product"] });
  const after = verifyGraph(inferShapes(fixture.graph([sum!, product!]), { ids: fixture.ids }));
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2]",
      "  %7 sum = const float32[2] [11, 22]",
      "  %8 product: float32[2] = Mul(%0, %7)  # mul",
      "  return %7, %8",
    ),
  );
});

test("inferShapes leaves constant computations with more than ~1M elements to a kernel", () => {
  const fixture = new GraphFixture();
  const scalar = fixture.constant("scalar", [1], [2]);
  const shape = fixture.constant("shape", [2], [2048, 1024], "int64");
  const [expanded] = fixture.op("Expand", [scalar, shape], { name: "expand" });
  const after = inferShapes(fixture.graph([expanded!]), { ids: fixture.ids });
  assert.equal(after.nodes.length, 1);
  assert.deepEqual(after.outputs[0]!.shape, [2048, 1024]);
});

test("inferShapes reports an unknown op or domain as E_UNSUPPORTED_OP naming the node", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2]);
  const [unknown] = fixture.op("FancyOp", [x], { name: "my_fancy_node" });
  assert.throws(
    () => inferShapes(fixture.graph([unknown!]), { ids: fixture.ids }),
    tesseraError("E_UNSUPPORTED_OP", /FancyOp .*default domain.*node 'my_fancy_node'.*opset 17/),
  );
  const other = new GraphFixture();
  const y = other.input("y", [2]);
  const [custom] = other.op("Relu", [y], { name: "custom_relu", domain: "com.example" });
  assert.throws(
    () => inferShapes(other.graph([custom!]), { ids: other.ids }),
    tesseraError("E_UNSUPPORTED_OP", /domain 'com\.example'.*node 'custom_relu'/),
  );
});

test("inferShapes lets op builder errors through unchanged, and needs graph input ranks", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [2, 3]);
  const y = fixture.input("y", [4]);
  const [sum] = fixture.op("Add", [x, y], { name: "bad_add" });
  assert.throws(
    () => inferShapes(fixture.graph([sum!]), { ids: fixture.ids }),
    (error) =>
      error instanceof TesseraError && error.code === "E_SHAPE_MISMATCH" && error.location.nodeName === "bad_add",
  );
  const unknownRank = new GraphFixture();
  const z = unknownRank.input("z", [1]);
  const graph = unknownRank.graph([z]);
  const rankless = { ...graph, inputs: [{ ...z, shape: null }], outputs: [] };
  assert.throws(() => inferShapes(rankless), tesseraError("E_DYNAMIC_SHAPE", /graph input 'z' has no shape/));
});
