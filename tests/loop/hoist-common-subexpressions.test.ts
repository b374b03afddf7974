/**
 * Loop-invariant loads move out of an innermost loop only when the loop
 * surely runs (constant positive extent) and does not store to their
 * buffer: softmax's 1 / sum is computed once per row, not once per vector.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { hoistCommonSubexpressions } from "../../src/loop/hoist-common-subexpressions.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { makeAssign, makeFor, makeSeq, makeStore } from "../../src/loop/stmt.js";
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

/**
 * A reduction loop followed by two stores of f(acc + bias) where f uses
 * its argument twice, as a dense kernel's epilogue with a fused activation.
 * `biasStoredBetween` stores to the bias buffer between the two epilogue
 * stores, so a load of it may not be shared across them.
 */
function epilogue(biasStoredBetween: boolean): string {
  const input = makeBuffer("input", "float32", 64, "global");
  const bias = makeBuffer("bias", "float32", 1, "global");
  const output = makeBuffer("output", "float32", 2, "global");
  const k = makeVar("k");
  const accumulator = makeVar("acc", "float32");
  const shifted = add(accumulator, load(bias, int(0)));
  const activation = mul(shifted, shifted);
  const statements = [
    makeAssign(accumulator, constant(0, "float32")),
    makeFor(k, 64, makeAssign(accumulator, add(accumulator, load(input, k)))),
    makeStore(output, int(0), activation),
    ...(biasStoredBetween ? [makeStore(bias, int(0), constant(1, "float32"))] : []),
    makeStore(output, int(1), activation),
  ];
  return printStmt(hoistCommonSubexpressions(makeSeq(statements)));
}

test("a repeated subexpression after a loop is computed once for the statements that follow it", () => {
  const text = epilogue(false);
  assert.equal(text.match(/bias\[0\]/g)?.length, 1, text);
  assert.match(text, /(cse\d+) = acc \+ bias\[0\]\n(cse\d+) = \1 \* \1\noutput\[0\] = \2\noutput\[1\] = \2$/, text);
});

test("a load is not shared across a store to its buffer", () => {
  const text = epilogue(true);
  const [first, second] = text.split("bias[0] = 1.0");
  assert.match(first!, /bias\[0\]/, text);
  assert.match(second!, /output\[1\] = .*bias\[0\]/, text);
});
