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

/** The k loop of the printed kernel, and the memarg offsets of its dropped (touch) loads. */
function touches(kernel: ReturnType<typeof matmulKernel>, memoryBytes: number | undefined): string[] {
  const loop = innermostLoop(
    printWat(kernel, { addressOf: () => 64, ...(memoryBytes === undefined ? {} : { memoryBytes }) }),
  );
  return [...loop.matchAll(/local\.get \$addr(?:_\d+)?\s+i32\.load offset=(\d+)\s+drop/g)].map((match) => match[1]!);
}

test("a micro-kernel whose weight panels stay put across its row blocks touches the next panel once per step", () => {
  // 64×128 · 128×128: the 64 KB of panels are the outer loop, rows inside; a panel is 128 steps of 32 bytes.
  const kernel = matmulKernel({ rows: 64, depth: 128, columns: 128 });
  const panelBytes = 128 * 32;
  assert.deepEqual(touches(kernel, 1 << 24), [String(64 + panelBytes), String(64 + panelBytes)]);
});

test("no touch where the next panel is already cached, could leave the memory, or the memory size is unknown", () => {
  // Rows outside: the panel loop encloses the k loop, and the next panel was read by the previous row block.
  assert.deepEqual(touches(matmulKernel(), 1 << 24), []);
  const kernel = matmulKernel({ rows: 64, depth: 128, columns: 128 });
  const weightsEnd = 64 + 128 * 128 * 4;
  assert.deepEqual(touches(kernel, weightsEnd + 128 * 32 - 1), []);
  assert.equal(touches(kernel, weightsEnd + 128 * 32).length, 2);
  assert.deepEqual(touches(kernel, undefined), []);
});

/** Whether the code has `i32.load align=4 offset=<offset>` followed by `drop`. */
function containsTouch(bytes: Uint8Array, offset: number): boolean {
  const leb: number[] = [];
  let rest = offset;
  do {
    leb.push((rest & 0x7f) | (rest >= 0x80 ? 0x80 : 0));
    rest >>>= 7;
  } while (rest > 0);
  const pattern = [0x28, 0x02, ...leb, 0x1a];
  return bytes.some((_, start) => pattern.every((byte, index) => bytes[start + index] === byte));
}

test("a touching micro-kernel computes the same product", () => {
  const kernel = matmulKernel({ rows: 64, depth: 128, columns: 128 });
  const instance = instantiate([kernel]);
  const a = kernel.buffers.find((buffer) => buffer.name === "a")!;
  const b = kernel.buffers.find((buffer) => buffer.name === "b_panels_packed")!;
  const y = kernel.buffers.find((buffer) => buffer.name === "y")!;
  const touched = [0, 16].map((constant) => instance.view(b).byteOffset + constant + 128 * 32);
  assert.ok(
    touched.some((offset) => containsTouch(instance.bytes, offset)),
    "the module touches the next panel",
  );
  const aData = Float32Array.from({ length: 64 * 128 }, (_, i) => Math.sin(i));
  const bData = Float32Array.from({ length: 128 * 128 }, (_, i) => Math.cos(i));
  instance.write(a, aData);
  instance.write(b, bData);
  instance.exports[kernel.name]!(0, kernel.taskExtent);
  const result = instance.read(y);
  // b_panels_packed holds B in panels of 8 columns: panel p, row k at (p·128 + k)·8.
  for (const [row, column] of [
    [0, 0],
    [17, 45],
    [63, 127],
  ] as const) {
    let expected = 0;
    const panel = Math.floor(column / 8);
    for (let k = 0; k < 128; k++) expected += aData[row * 128 + k]! * bData[(panel * 128 + k) * 8 + (column % 8)]!;
    assert.ok(Math.abs(result[row * 128 + column]! - expected) < 1e-3, `y[${row}, ${column}]`);
  }
});
