/**
 * Inside loops over elements, v128 constants are read from mutable v128
 * globals (codegen/function-builder.ts beginConstantScope): V8 would
 * rematerialize each v128.const at every use. Zero and all-ones vectors stay
 * inline (one register instruction), and code outside such a loop keeps its
 * constants. The math tests check the values through these kernels.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { makeBuffer } from "../../src/loop/ir.js";
import { add, broadcast, constant, int, load, makeVar, mul, ramp, unary } from "../../src/te/expr.js";
import { printModuleWat } from "../../src/codegen/print-wat.js";
import { assign, forLoop, instantiate, kernelOf, seq, store } from "./harness.js";

function expKernel() {
  const input = makeBuffer("x", "float32", 64, "global");
  const output = makeBuffer("y", "float32", 64, "global");
  const i = makeVar("i");
  const index = ramp(mul(i, int(4)), 1, 4);
  const body = store(output, index, unary("exp", load(input, index)));
  return { kernel: kernelOf("apply_exp", forLoop(i, 16, body, "parallel"), [input, output]), input, output };
}

test("an elementwise loop reads its math constants from v128 globals", () => {
  const { kernel } = expKernel();
  const wat = printModuleWat({ kernels: [kernel], addressOf: () => 64, memoryPages: 1 });
  const globals = wat.match(/\(global \$const_[0-9a-f]{32} \(mut v128\) \(v128\.const i32x4[^)]*\)\)/g) ?? [];
  assert.ok(globals.length >= 8, `exp's range reduction and polynomial constants are globals (${globals.length})`);
  const body = wat.slice(wat.indexOf("(func $apply_exp"));
  const inline = (body.match(/v128\.const i32x4 [^\n]*/g) ?? []).filter(
    (text) => !/^v128\.const i32x4( 0x00000000){4}$/.test(text),
  );
  assert.deepEqual(inline, [], "no constant but zero is materialized in the loop");
  assert.match(body, /global\.get \$const_/);
});

test("a constant outside any loop stays inline, and values are unchanged", () => {
  const output = makeBuffer("y", "float32", 8, "global");
  const scalar = makeBuffer("s", "float32", 4, "global");
  const i = makeVar("i");
  const v = makeVar("v", "float32", 4);
  const kernel = kernelOf(
    "consts",
    seq(
      store(scalar, ramp(int(0), 1, 4), broadcast(constant(2.5, "float32"), 4)),
      assign(v, broadcast(constant(1.25, "float32"), 4)),
      forLoop(i, 2, store(output, ramp(mul(i, int(4)), 1, 4), add(v, broadcast(constant(0.5, "float32"), 4)))),
    ),
    [output, scalar],
  );
  const wat = printModuleWat({
    kernels: [kernel],
    addressOf: (buffer) => (buffer === output ? 64 : 128),
    memoryPages: 1,
  });
  assert.match(wat, /v128\.const i32x4 0x40200000 0x40200000 0x40200000 0x40200000/, "2.5 outside the loop is inline");
  assert.match(
    wat,
    /\(global \$const_0000003f0000003f0000003f0000003f \(mut v128\)/,
    "0.5 inside the loop is a global",
  );
  const instance = instantiate([kernel]);
  instance.exports.consts!(0, 1);
  assert.deepEqual(instance.read(output), new Array(8).fill(1.75));
  assert.deepEqual(instance.read(scalar), new Array(4).fill(2.5));
});
