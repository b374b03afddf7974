/**
 * Compilations in one process are independent: the expression interning of
 * one is not kept by the next (a session that specializes on feed shapes
 * compiles many times), and the same model compiles to the same bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileModel } from "../../src/compiler/compile-model.js";
import { internedExprCount } from "../../src/te/expr.js";

test("compiling a model again keeps no expression nodes of the earlier one and gives the same bytes", () => {
  const bytes = new Uint8Array(readFileSync("examples/tiny_cnn.onnx"));
  const first = compileModel({ bytes });
  const afterFirst = internedExprCount();
  const second = compileModel({ bytes });
  assert.ok(afterFirst > 0);
  assert.equal(internedExprCount(), afterFirst);
  assert.deepEqual(second.wasm, first.wasm);
});
