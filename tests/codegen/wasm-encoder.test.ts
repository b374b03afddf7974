/**
 * The binary writer (LEB128, floats, names, sections), the module builder's
 * name section, the WAT printer, feature probing and the relaxed-SIMD path.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ByteWriter, encodeSignedLeb, encodeUnsignedLeb } from "../../src/codegen/wasm/encoder.js";
import { encodeModule } from "../../src/codegen/wasm/module-builder.js";
import { PLAIN_OPCODES } from "../../src/codegen/wasm/opcodes.js";
import {
  f32Const,
  f64Const,
  i32Const,
  i64Const,
  localGet,
  plain,
  v128Const,
} from "../../src/codegen/wasm/instructions.js";
import { detectFeatures } from "../../src/codegen/probe-features.js";
import { printModuleWat, printWat } from "../../src/codegen/print-wat.js";
import { HALF_PI_PARTS } from "../../src/codegen/math/trigonometric.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { add, binary, int, load, makeVar, mul, ramp, unary } from "../../src/te/expr.js";
import { forLoop, kernelOf, store } from "./harness.js";

describe("ByteWriter", () => {
  it("encodes unsigned and signed LEB128 (32 and 64 bit, numbers and bigints)", () => {
    assert.deepEqual(encodeUnsignedLeb(0n), [0x00]);
    assert.deepEqual(encodeUnsignedLeb(624485n), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(encodeUnsignedLeb(0x105n), [0x85, 0x02]);
    assert.deepEqual(encodeSignedLeb(-123456n), [0xc0, 0xbb, 0x78]);
    assert.deepEqual(encodeSignedLeb(63n), [0x3f]);
    assert.deepEqual(encodeSignedLeb(64n), [0xc0, 0x00]);
    assert.deepEqual(encodeSignedLeb(-64n), [0x40]);
    assert.deepEqual(encodeSignedLeb(-65n), [0xbf, 0x7f]);
    assert.deepEqual([...new ByteWriter().u32(0xffffffff).bytes()], [0xff, 0xff, 0xff, 0xff, 0x0f]);
    assert.deepEqual([...new ByteWriter().s32(-2147483648).bytes()], [0x80, 0x80, 0x80, 0x80, 0x78]);
    assert.deepEqual([...new ByteWriter().s32(0xffffffff).bytes()], [0x7f], "uint32 max is -1 as s32");
    assert.deepEqual(
      [...new ByteWriter().s64(-(1n << 63n)).bytes()],
      [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f],
    );
    assert.deepEqual([...new ByteWriter().s64((1n << 64n) - 1n).bytes()], [0x7f], "uint64 max is -1 as s64");
    assert.deepEqual([...new ByteWriter().u64((1n << 64n) - 1n).bytes()].length, 10);
    assert.throws(() => new ByteWriter().u32(-1));
    assert.throws(() => new ByteWriter().u32(2 ** 32));
  });
  it("writes little-endian floats, UTF-8 names, vectors and sized sections", () => {
    assert.deepEqual([...new ByteWriter().f32(1.5).bytes()], [0, 0, 0xc0, 0x3f]);
    assert.deepEqual([...new ByteWriter().f64(-2).bytes()], [0, 0, 0, 0, 0, 0, 0, 0xc0]);
    assert.deepEqual([...new ByteWriter().name("é").bytes()], [2, 0xc3, 0xa9]);
    assert.deepEqual([...new ByteWriter().vector([1, 2], (writer, item) => writer.byte(item)).bytes()], [2, 1, 2]);
    const content = new ByteWriter().raw([9, 9, 9]);
    assert.deepEqual([...new ByteWriter().section(7, content).bytes()], [7, 3, 9, 9, 9]);
  });
});

describe("module builder", () => {
  it("produces a valid module whose exports, memory import and names round-trip", () => {
    const bytes = encodeModule({
      memory: { minimumPages: 2, shared: false },
      functions: [
        {
          name: "answer",
          params: ["i32"],
          results: ["i64"],
          locals: ["f32", "f64"],
          localNames: ["p", "a", "b"],
          body: [i64Const(-(1n << 40n)), localGet(0), plain("drop")],
          exported: true,
        },
        {
          name: "helper",
          params: [],
          results: ["v128"],
          locals: [],
          localNames: [],
          body: [
            v128Const("f32", [1, 2, 3, 4]),
            f32Const(1),
            plain("drop"),
            f64Const(2),
            plain("drop"),
            i32Const(-1),
            plain("drop"),
          ],
          exported: false,
        },
      ],
    });
    assert.ok(WebAssembly.validate(bytes));
    const module = new WebAssembly.Module(bytes);
    assert.deepEqual(WebAssembly.Module.exports(module), [{ name: "answer", kind: "function" }]);
    assert.deepEqual(WebAssembly.Module.imports(module), [{ module: "env", name: "memory", kind: "memory" }]);
    assert.equal(WebAssembly.Module.customSections(module, "name").length, 1);
    const memory = new WebAssembly.Memory({ initial: 2 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    assert.equal((instance.exports.answer as (x: number) => bigint)(1), -(1n << 40n));
  });
  it("declares a shared memory with a maximum when asked", () => {
    const bytes = encodeModule({ memory: { minimumPages: 1, shared: true }, functions: [] });
    assert.ok(WebAssembly.validate(bytes));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 100, shared: true });
    assert.doesNotThrow(() => new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }));
  });
  it("encodes relaxed madd as FD 85 02", () => {
    assert.deepEqual(PLAIN_OPCODES["f32x4.relaxed_madd"], [0xfd, 0x85, 0x02]);
  });
});

describe("pi/2 split for trigonometric reduction", () => {
  it("sums to pi/2 and its first two parts have 33 significant bits", () => {
    const [p1, p2, p3] = HALF_PI_PARTS;
    assert.equal(p1 + p2 + p3, Math.PI / 2);
    assert.equal(p1, 1.5707963267341256);
    for (const part of [p1, p2]) {
      const scaled = part * 2 ** (32 - Math.floor(Math.log2(part)));
      assert.ok(Number.isInteger(scaled), `${part} has more than 33 bits`);
    }
  });
});

function vectorKernel() {
  const a = makeBuffer("a", "float32", 64, "global");
  const b = makeBuffer("b", "float32", 64, "global");
  const c = makeBuffer("c", "float32", 64, "global");
  const out = makeBuffer("out", "float32", 64, "global");
  const i = makeVar("i");
  const lanes = ramp(mul(i, int(4)), 1, 4);
  const value = add(binary("mul", load(a, lanes), load(b, lanes)), unary("tanh", load(c, lanes)));
  return {
    kernel: kernelOf("fused_mul_add_tanh", forLoop(i, 16, store(out, lanes, value), "parallel"), [a, b, c, out]),
    buffers: [a, b, c, out],
  };
}

describe("WAT printer", () => {
  it("shows v128 loads/stores, f32x4 arithmetic and the inlined f32x4 math of a vectorized kernel", () => {
    const { kernel, buffers } = vectorKernel();
    const addressOf = (buffer: { id: number }) =>
      64 + 256 * buffers.findIndex((candidate) => candidate.id === buffer.id);
    const text = printWat(kernel, { addressOf });
    assert.match(text, /^\(func \$fused_mul_add_tanh \(param \$first i32\) \(param \$count i32\)/);
    for (const expected of [
      "v128.load offset=64",
      "v128.load offset=320",
      "f32x4.mul",
      "f32x4.add",
      "local.set $tanh_operand",
      "v128.store offset=832",
      "br_if 1",
    ]) {
      assert.ok(text.includes(expected), `missing ${expected} in\n${text}`);
    }
    assert.ok(!text.includes("call $tessera.tanh.f32x4"), "the vector tanh is emitted in place, not called");
    const relaxed = printWat(kernel, { addressOf, relaxedSimd: true });
    assert.ok(relaxed.includes("f32x4.relaxed_madd"));
    const moduleText = printModuleWat({ kernels: [kernel], addressOf, memoryPages: 1 });
    assert.ok(moduleText.includes('(import "env" "memory" (memory 1))'));
    assert.ok(moduleText.includes('(export "fused_mul_add_tanh" (func $fused_mul_add_tanh))'));
  });
});

describe("feature probe", () => {
  it("finds SIMD on Node 20 and agrees with the relaxed-SIMD flag state", () => {
    const features = detectFeatures();
    assert.equal(features.simd, true);
    assert.equal(typeof features.relaxedSimd, "boolean");
    assert.equal(features.threads, typeof SharedArrayBuffer !== "undefined");
  });
});

describe("relaxed SIMD", () => {
  it("relaxed_madd kernels validate and match the mul+add kernel within an ulp", () => {
    const features = detectFeatures();
    const script = fileURLToPath(new URL("./relaxed-child.ts", import.meta.url));
    const flags = features.relaxedSimd ? [] : ["--experimental-wasm-relaxed-simd"];
    const child = spawnSync(process.execPath, [...flags, "--import", "tsx", script], { encoding: "utf8" });
    if (child.status !== 0 && /bad option|not allowed/i.test(child.stderr)) {
      console.log(`skipped: this Node rejects ${flags.join(" ")}: ${child.stderr.trim()}`);
      return;
    }
    assert.equal(child.status, 0, child.stderr);
    const report = JSON.parse(child.stdout.trim().split("\n").pop() as string) as {
      relaxed: boolean;
      maxDifference: number;
    };
    assert.equal(report.relaxed, true, "relaxed SIMD must be detected under the flag");
    assert.ok(report.maxDifference <= 1e-6, `relaxed vs plain: ${report.maxDifference}`);
  });
});
