/**
 * Eager tier-up: modules compiled for a session have every kernel optimized
 * before the first call, other modules keep V8's lazy compilation. V8's
 * %IsTurboFanFunction / %IsUncompiledWasmFunction tell which code a wasm
 * export has. V8 shares the compiled code of identical module bytes, so
 * each case compiles a model of its own size.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { compileModel } from "../../src/compiler/compile-model.js";
import { compileWasm } from "../../src/runtime/compile-wasm.js";
import { createExecutor, createSerialExecutor } from "../../src/runtime/executor.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

setFlagsFromString("--allow-natives-syntax");
const isTurboFan = new Function("f", "return %IsTurboFanFunction(f)") as (f: unknown) => boolean;
const isUncompiled = new Function("f", "return %IsUncompiledWasmFunction(f)") as (f: unknown) => boolean;

/** y = relu(x · w) with x: [1, k]; a model of its own size per `k`. */
function denseModel(k: number): Uint8Array {
  const w = Float32Array.from({ length: k * 8 }, (_, i) => Math.sin(i));
  return encodeModel({
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [1, k] }],
    outputs: [{ name: "y", dtype: "float32", shape: [1, 8] }],
    nodes: [
      { opType: "MatMul", inputs: ["x", "w"], outputs: ["h"] },
      { opType: "Relu", inputs: ["h"], outputs: ["y"] },
    ],
    initializers: [{ name: "w", data: makeTensorData("float32", [k, 8], w) }],
  });
}

function kernelsOf(instance: WebAssembly.Instance): unknown[] {
  const kernels = Object.values(instance.exports).filter((value) => typeof value === "function");
  assert.ok(kernels.length > 0);
  return kernels;
}

describe("compileWasm", () => {
  it("optimizes every function of an eager compile and none of a lazy one", async () => {
    const eager = await compileWasm(compileModel({ bytes: denseModel(12) }).wasm, true);
    const lazy = await compileWasm(compileModel({ bytes: denseModel(16) }).wasm, false);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const eagerKernels = kernelsOf(await WebAssembly.instantiate(eager, { env: { memory } }));
    const lazyKernels = kernelsOf(await WebAssembly.instantiate(lazy, { env: { memory } }));
    assert.ok(eagerKernels.every(isTurboFan));
    assert.ok(lazyKernels.every(isUncompiled));
  });

  it("leaves V8's lazy compilation on for modules compiled after an eager one", async () => {
    await compileWasm(compileModel({ bytes: denseModel(20) }).wasm, true);
    const later = await WebAssembly.compile(compileModel({ bytes: denseModel(24) }).wasm as Uint8Array<ArrayBuffer>);
    const memory = new WebAssembly.Memory({ initial: 1 });
    assert.ok(kernelsOf(await WebAssembly.instantiate(later, { env: { memory } })).every(isUncompiled));
  });

  it("keeps the eager flags while overlapping compiles are in flight", async () => {
    const modules = await Promise.all(
      [28, 32, 36].map((k) => compileWasm(compileModel({ bytes: denseModel(k) }).wasm, true)),
    );
    const memory = new WebAssembly.Memory({ initial: 1 });
    for (const module of modules) {
      assert.ok(kernelsOf(await WebAssembly.instantiate(module, { env: { memory } })).every(isTurboFan));
    }
  });
});

describe("executors", () => {
  it("instantiate optimized kernels by default, serial and pooled", async () => {
    const serial = compileModel({ bytes: denseModel(40) });
    const { instance } = await createSerialExecutor().instantiate(serial.wasm, serial.plan);
    assert.ok(kernelsOf(instance).every(isTurboFan));

    const threaded = compileModel({ bytes: denseModel(44) }, { threads: true });
    const pool = await createExecutor({ threads: 2 });
    try {
      assert.equal(pool.threads, 2);
      const pooled = await pool.instantiate(threaded.wasm, threaded.plan);
      assert.ok(kernelsOf(pooled.instance).every(isTurboFan));
    } finally {
      pool.release();
    }
  });

  it("leave the kernels to V8's lazy tier-up with eagerTierUp false", async () => {
    const compiled = compileModel({ bytes: denseModel(48) });
    const executor = await createExecutor({ threads: 1, eagerTierUp: false });
    const { instance } = await executor.instantiate(compiled.wasm, compiled.plan);
    assert.ok(kernelsOf(instance).every(isUncompiled));
  });
});
