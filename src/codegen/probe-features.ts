/**
 * Which WebAssembly features this engine accepts, found by validating tiny
 * modules built with Tessera's own encoder (so a "yes" also means our
 * encoding of that feature is what the engine expects).
 */
import { i32Const, memory, plain, v128Const } from "./wasm/instructions.js";
import { encodeModule, type FunctionDefinition } from "./wasm/module-builder.js";
import type { Instruction } from "./wasm/instructions.js";
import type { ValueType } from "./wasm/opcodes.js";

export interface WasmFeatures {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  /** Shared memory + atomics, and SharedArrayBuffer available to share it with workers. */
  readonly threads: boolean;
}

function probe(body: Instruction[], results: ValueType[], shared = false): boolean {
  const definition: FunctionDefinition = {
    name: "probe",
    params: [],
    results,
    locals: [],
    localNames: [],
    body,
    exported: false,
  };
  try {
    const bytes = encodeModule({ memory: { minimumPages: 1, shared }, functions: [definition] });
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

const ZERO = v128Const("i32", [0, 0, 0, 0]);

export function detectFeatures(): WasmFeatures {
  const simd = probe([ZERO, ZERO, plain("f32x4.add")], ["v128"]);
  const relaxedSimd = simd && probe([ZERO, ZERO, ZERO, plain("f32x4.relaxed_madd")], ["v128"]);
  const atomics = probe([i32Const(0), i32Const(0), memory("memory.atomic.notify", 2, 0)], ["i32"], true);
  const threads = atomics && typeof SharedArrayBuffer !== "undefined";
  return { simd, relaxedSimd, threads };
}
