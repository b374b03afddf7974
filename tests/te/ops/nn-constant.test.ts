import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { NN_OPS } from "../../../src/te/ops/nn/index.js";
import { assertClose, buildContext, constantOf, float32, int64, randomTensor, runOp, tensorOf } from "./nn-helpers.js";

/** Runs both evaluate() and the TE build, and checks they agree with `expected`. */
function checkBoth(op: string, run: ReturnType<typeof runOp>, shape: number[], expected: number[]): void {
  const evaluated = NN_OPS[op]!.evaluate!(run.context);
  assert.ok(evaluated !== null);
  assert.equal(evaluated[0]!.dtype, run.results[0]!.dtype);
  assertClose(evaluated[0]!, shape, expected);
  assertClose(run.results[0]!, shape, expected);
}

describe("compile-time ops", () => {
  const x = randomTensor([2, 3, 4, 5]);

  it("Shape, with start and end", () => {
    checkBoth("Shape", runOp("Shape", [x]), [4], [2, 3, 4, 5]);
    checkBoth("Shape", runOp("Shape", [x], { start: attr.int(1), end: attr.int(-1) }), [2], [3, 4]);
    checkBoth("Shape", runOp("Shape", [x], { start: attr.int(-10), end: attr.int(10) }), [4], [2, 3, 4, 5]);
    assert.equal(runOp("Shape", [x]).results[0]!.dtype, "int64");
  });

  it("Size", () => {
    checkBoth("Size", runOp("Size", [x]), [], [120]);
  });

  it("ConstantOfShape with and without value", () => {
    const value = attr.tensor(tensorOf("int32", [1], [7]));
    const run = runOp("ConstantOfShape", [constantOf(int64([2, 3]))], { value });
    checkBoth("ConstantOfShape", run, [2, 3], new Array(6).fill(7));
    assert.equal(run.results[0]!.dtype, "int32");
    checkBoth("ConstantOfShape", runOp("ConstantOfShape", [constantOf(int64([2]))]), [2], [0, 0]);
  });

  it("Range, float and integer, and null evaluate when inputs are unknown", () => {
    const floats = runOp("Range", [
      constantOf(float32([1], [])),
      constantOf(float32([2.2], [])),
      constantOf(float32([0.3], [])),
    ]);
    checkBoth("Range", floats, [4], [1, 1.3, 1.6, 1.9]);
    const ints = runOp("Range", [
      constantOf(tensorOf("int32", [], [10])),
      constantOf(tensorOf("int32", [], [4])),
      constantOf(tensorOf("int32", [], [-3])),
    ]);
    checkBoth("Range", ints, [2], [10, 7]);
    const unknown = buildContext("Range", [float32([1], []), float32([5], []), float32([1], [])]);
    assert.equal(NN_OPS.Range!.evaluate!(unknown), null);
  });

  it("Constant in each attribute form", () => {
    checkBoth(
      "Constant",
      runOp("Constant", [], { value: attr.tensor(float32([1, 2, 3, 4, 5], [5])) }),
      [5],
      [1, 2, 3, 4, 5],
    );
    checkBoth("Constant", runOp("Constant", [], { value_ints: attr.ints([4, -1]) }), [2], [4, -1]);
    checkBoth("Constant", runOp("Constant", [], { value_float: attr.float(2.5) }), [], [2.5]);
  });
});
