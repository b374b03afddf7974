/**
 * Per-thread scratch: a shared-memory module addresses "scratch" buffers from
 * its `scratch_base` global (set through `set_scratch_base`), so two instances
 * over one memory can run parts of the same kernel without sharing scratch.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { makeBuffer, type Buffer } from "../../src/loop/ir.js";
import { add, broadcast, constant, int, load, makeVar, mul, ramp, sub } from "../../src/te/expr.js";
import { emitModule, SET_SCRATCH_BASE } from "../../src/codegen/emit-module.js";
import { printModuleWat } from "../../src/codegen/print-wat.js";
import { forLoop, kernelOf, seq, store } from "./harness.js";

const TASKS = 4;
const x = makeBuffer("x", "float32", 16, "global");
const y = makeBuffer("y", "float32", 16, "global");
const z = makeBuffer("z", "float32", 16, "global");
const scratch = makeBuffer("s", "float32", 4, "scratch");
const ADDRESSES = new Map<number, number>([
  [x.id, 64],
  [y.id, 128],
  [z.id, 192],
  [scratch.id, 16], // an offset within the scratch area, not an address
]);
const addressOf = (buffer: Buffer): number => ADDRESSES.get(buffer.id)!;

/**
 * Per task t: s[i] = x[4t + i] * 2 (dynamic index); y[4t..4t+3] = s[0..3] + 1
 * (vector load at a constant index); z[4t + i] = s[3 - i] (an index that
 * cannot fold into the memarg offset).
 */
function scratchKernel() {
  const task = makeVar("t");
  const i = makeVar("i");
  const j = makeVar("j");
  const row = mul(task, int(4));
  const body = seq(
    forLoop(i, 4, store(scratch, i, mul(load(x, add(row, i)), constant(2, "float32")))),
    store(y, ramp(row, 1, 4), add(load(scratch, ramp(int(0), 1, 4)), broadcast(constant(1, "float32"), 4))),
    forLoop(j, 4, store(z, add(row, j), load(scratch, sub(int(3), j)))),
  );
  return kernelOf("scratchy", forLoop(task, TASKS, body, "parallel"), [x, y, z, scratch]);
}

describe("per-thread scratch", () => {
  it("shared modules read scratch addresses from a per-instance global", () => {
    const kernel = scratchKernel();
    const text = printModuleWat({ kernels: [kernel], addressOf, memoryPages: 1, sharedMemory: true });
    assert.ok(text.includes("(global $scratch_base (mut i32) (i32.const 0))"), text);
    assert.ok(text.includes("global.get $scratch_base"));
    assert.ok(text.includes(`(export "${SET_SCRATCH_BASE}" (func $${SET_SCRATCH_BASE}))`));
    const unshared = printModuleWat({ kernels: [kernel], addressOf, memoryPages: 1 });
    assert.ok(!unshared.includes("scratch_base"), "unshared modules keep constant addresses");
  });

  it("two instances over one shared memory each use their own scratch copy", () => {
    const bytes = emitModule({ kernels: [scratchKernel()], addressOf, memoryPages: 1, sharedMemory: true });
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const module = new WebAssembly.Module(bytes);
    const instances = [1024, 2048].map((base) => {
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      (instance.exports[SET_SCRATCH_BASE] as (base: number) => void)(base);
      return instance.exports["scratchy"] as (first: number, count: number) => void;
    });
    const floats = new Float32Array(memory.buffer);
    floats.set(
      Float32Array.from({ length: 16 }, (_, index) => index + 1),
      64 / 4,
    );
    instances[0]!(0, 2);
    instances[1]!(2, 2);
    const inputs = Array.from({ length: 16 }, (_, index) => index + 1);
    assert.deepEqual(
      [...floats.subarray(128 / 4, 128 / 4 + 16)],
      inputs.map((value) => value * 2 + 1),
    );
    const reversed = inputs.map((_, index) => inputs[index - (index % 4) + 3 - (index % 4)]! * 2);
    assert.deepEqual([...floats.subarray(192 / 4, 192 / 4 + 16)], reversed);
    // Each scratch copy (base + 16 bytes) holds the last task its instance ran: tasks 1 and 3.
    assert.deepEqual([...floats.subarray((1024 + 16) / 4, (1024 + 16) / 4 + 4)], [10, 12, 14, 16]);
    assert.deepEqual([...floats.subarray((2048 + 16) / 4, (2048 + 16) / 4 + 4)], [26, 28, 30, 32]);
  });
});
