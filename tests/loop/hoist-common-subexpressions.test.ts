/**
 * Loop-invariant loads move out of an innermost loop only when the loop
 * surely runs (constant positive extent) and does not store to their
 * buffer: softmax's 1 / sum is computed once per row, not once per vector.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hoistCommonSubexpressions } from "../../src/loop/hoist-common-subexpressions.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { makeFor, makeStore } from "../../src/loop/stmt.js";
import { printStmt } from "../../src/loop/print-loop.js";
import { binary, constant, int, load, makeVar, mul, add } from "../../src/te/expr.js";

function normalizeLoop(extent: number | ReturnType<typeof makeVar>, storeToSum: boolean): string {
  const values = makeBuffer("values", "float32", 64, "global");
  const sum = makeBuffer("sum", "float32", 1, "scratch");
  const i = makeVar("i");
  const scale = binary("div", constant(1, "float32"), load(sum, int(0)));
  const target = storeToSum ? sum : values;
  const index = storeToSum ? int(0) : i;
  const body = makeStore(target, index, mul(load(values, add(i, int(0))), scale));
  return printStmt(hoistCommonSubexpressions(makeFor(i, extent, body)));
}

test("an invariant load moves before a loop of constant positive extent", () => {
  const text = normalizeLoop(16, false);
  const loopAt = text.indexOf("for i");
  const divisionAt = text.indexOf("1.0 / sum[0]");
  assert.ok(divisionAt >= 0 && divisionAt < loopAt, text);
});

test("an invariant load stays inside a loop that may not run", () => {
  const text = normalizeLoop(makeVar("n"), false);
  assert.ok(text.indexOf("1.0 / sum[0]") > text.indexOf("for i"), text);
});

test("a load of a buffer the loop stores to stays inside the loop", () => {
  const text = normalizeLoop(16, true);
  assert.ok(text.indexOf("1.0 / sum[0]") > text.indexOf("for i"), text);
});
