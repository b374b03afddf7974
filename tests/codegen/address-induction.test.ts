/**
 * Innermost loops read through byte pointers advanced once per iteration
 * (codegen/address-induction.ts): the micro-kernel's k loop computes no
 * address, and loops whose indices go through body locals, negative
 * constant terms, strides or loop-carried locals still read the right
 * elements.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeBuffer } from "../../src/loop/ir.js";
import { add, int, load, makeVar, mul, ramp, sub } from "../../src/te/expr.js";
import { printWat } from "../../src/codegen/print-wat.js";
import { assign, forLoop, instantiate, kernelOf, matmulKernel, seq, store } from "./harness.js";

/** The text of the innermost `loop … end` of a printed function. */
function innermostLoop(wat: string): string {
  const lines = wat.split("\n");
  let best: string[] = [];
  lines.forEach((line, start) => {
    if (line.trim() !== "loop") return;
    const indent = line.indexOf("loop");
    const end = lines.findIndex((other, index) => index > start && other.trimEnd() === `${" ".repeat(indent)}end`);
    const body = lines.slice(start + 1, end);
    if (!body.some((inner) => inner.trim() === "loop")) best = body;
  });
  return best.join("\n");
}

test("the micro-kernel's k loop loads through pointers and computes no address", () => {
  const loop = innermostLoop(printWat(matmulKernel(), { addressOf: () => 64 }));
  assert.ok(loop.length > 0, "a k loop");
  assert.doesNotMatch(loop, /i32\.shl|i32\.mul/, "no index scaled inside the loop");
  assert.match(loop, /local\.get \$addr\s+v128\.load32_splat/);
  assert.match(loop, /local\.get \$addr(_\d+)?\s+v128\.load offset=/);
  // Two steps per iteration, each advancing the A pointer by 4 bytes and the packed panel's by 32.
  assert.equal((loop.match(/i32\.const 4\s+i32\.add\s+local\.set \$addr/g) ?? []).length, 2);
  assert.equal((loop.match(/i32\.const 32\s+i32\.add\s+local\.set \$addr/g) ?? []).length, 2);
});

test("indices through body locals, negative constants, strides and loop-carried locals read the right elements", () => {
  const n = 24;
  const source = makeBuffer("source", "float32", 4 * n + 8, "global");
  const viaLocal = makeBuffer("via_local", "float32", n, "global");
  const shifted = makeBuffer("shifted", "float32", n, "global");
  const strided = makeBuffer("strided", "float32", n, "global");
  const carried = makeBuffer("carried", "float32", n, "global");
  const vectors = makeBuffer("vectors", "float32", 4 * n, "global");
  const k = makeVar("k");
  const row = makeVar("row");
  const base = makeVar("base");
  const previous = makeVar("previous");
  const next = makeVar("next");
  const body = seq(
    // base is a body local: 2 + k, then read 3 past it.
    assign(base, add(int(2), k)),
    store(viaLocal, k, load(source, add(base, int(3)))),
    // A negative constant term on a non-negative row base: row * 4 + k - 1 with row = 1.
    store(shifted, k, load(source, sub(add(mul(row, int(4)), k), int(1)))),
    store(strided, k, load(source, mul(k, int(3)))),
    // previous is read before it is assigned in this iteration: the last iteration's k.
    store(carried, k, load(source, previous)),
    assign(next, k),
    assign(previous, next),
    store(vectors, ramp(mul(k, int(4)), 1, 4), load(source, ramp(add(mul(k, int(4)), int(5)), 1, 4))),
  );
  const kernel = kernelOf("induction_cases", seq(assign(row, int(1)), assign(previous, int(0)), forLoop(k, n, body)), [
    source,
    viaLocal,
    shifted,
    strided,
    carried,
    vectors,
  ]);
  const instance = instantiate([kernel]);
  const values = Array.from({ length: source.size }, (_, index) => index + 0.5);
  instance.write(source, values);
  instance.exports[kernel.name]!(0, 1);
  const range = (length: number, at: (index: number) => number) => Array.from({ length }, (_, index) => at(index));
  assert.deepEqual(
    instance.read(viaLocal),
    range(n, (i) => values[i + 5]!),
  );
  assert.deepEqual(
    instance.read(shifted),
    range(n, (i) => values[i + 3]!),
  );
  assert.deepEqual(
    instance.read(strided),
    range(n, (i) => values[3 * i]!),
  );
  assert.deepEqual(
    instance.read(carried),
    range(n, (i) => values[Math.max(i - 1, 0)]!),
  );
  assert.deepEqual(
    instance.read(vectors),
    range(4 * n, (i) => values[i + 5]!),
  );
});
