import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { NN_OPS } from "../../../src/te/ops/nn/index.js";
import { assertClose, buildContext, constantOf, int64, randomTensor, runOp, tensorOf } from "./nn-helpers.js";

const isCode = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;

describe("views", () => {
  const x = randomTensor([2, 3, 4], 1);
  const values = Array.from(x.data as Float32Array);

  it("Reshape with 0 and -1 entries keeps the row-major order", () => {
    const run = runOp("Reshape", [x, constantOf(int64([0, -1, 2]))]);
    assertClose(run.results[0]!, [2, 6, 2], values);
    assert.equal(NN_OPS.Reshape!.pattern(run.context), "view");
    assertClose(runOp("Reshape", [x, constantOf(int64([4, 6]))]).results[0]!, [4, 6], values);
  });

  it("Reshape allowzero keeps a literal 0 and rejects bad sizes", () => {
    const empty = tensorOf("float32", [0, 3], []);
    const run = runOp("Reshape", [empty, constantOf(int64([3, 0]))], { allowzero: attr.int(1) });
    assertClose(run.results[0]!, [3, 0], []);
    assert.throws(() => runOp("Reshape", [x, constantOf(int64([5, -1]))]), isCode("E_SHAPE_MISMATCH"));
  });

  it("Reshape with a run-time shape is E_DYNAMIC_SHAPE", () => {
    assert.throws(() => runOp("Reshape", [x, int64([4, 6])]), isCode("E_DYNAMIC_SHAPE"));
  });

  it("Flatten at axis 0, 2 and -1", () => {
    assertClose(runOp("Flatten", [x], { axis: attr.int(0) }).results[0]!, [1, 24], values);
    assertClose(runOp("Flatten", [x], { axis: attr.int(2) }).results[0]!, [6, 4], values);
    assertClose(runOp("Flatten", [x], { axis: attr.int(-1) }).results[0]!, [6, 4], values);
    assertClose(runOp("Flatten", [x]).results[0]!, [2, 12], values);
  });

  it("Squeeze and Unsqueeze", () => {
    const y = randomTensor([1, 3, 1, 2], 2);
    const yValues = Array.from(y.data as Float32Array);
    assertClose(runOp("Squeeze", [y]).results[0]!, [3, 2], yValues);
    assertClose(runOp("Squeeze", [y, constantOf(int64([-2]))]).results[0]!, [1, 3, 2], yValues);
    assert.throws(() => runOp("Squeeze", [y, constantOf(int64([1]))]), isCode("E_SHAPE_MISMATCH"));
    assertClose(runOp("Unsqueeze", [x, constantOf(int64([0, -1, 2]))]).results[0]!, [1, 2, 1, 3, 4, 1], values);
    assertClose(runOp("Unsqueeze", [x], { axes: attr.ints([1]) }, { opset: 11 }).results[0]!, [2, 1, 3, 4], values);
  });

  it("Identity and Dropout (with its mask)", () => {
    assertClose(runOp("Identity", [x]).results[0]!, [2, 3, 4], values);
    const run = runOp("Dropout", [x, constantOf(tensorOf("float32", [], [0.5]))], {}, { outputs: 2 });
    assertClose(run.results[0]!, [2, 3, 4], values);
    assert.equal(run.results[1]!.dtype, "bool");
    assertClose(run.results[1]!, [2, 3, 4], new Array(24).fill(1));
    const training = constantOf(tensorOf("bool", [], [1]));
    assert.throws(() => runOp("Dropout", [x, null, training]), isCode("E_UNSUPPORTED_ATTRIBUTE"));
    assert.equal(NN_OPS.Dropout!.pattern(buildContext("Dropout", [x])), "view");
  });
});
