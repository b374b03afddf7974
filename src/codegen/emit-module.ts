/**
 * Kernels → one wasm module: each kernel exported under its name, the math
 * helpers they call appended once, and the memory imported as `env.memory`.
 */
import { assert } from "../support/assert.js";
import type { Buffer, Kernel } from "../loop/ir.js";
import { emitKernel } from "./emit-kernel.js";
import { generateHelpers } from "./math/library.js";
import { isHelperName } from "./math/names.js";
import { encodeModule, type ModuleDefinition } from "./wasm/module-builder.js";

export interface ModuleRequest {
  readonly kernels: readonly Kernel[];
  readonly addressOf: (buffer: Buffer) => number;
  /** Initial (minimum) size of the imported memory, in 64 KiB pages. */
  readonly memoryPages: number;
  /** Import a shared memory (for worker threads); its maximum is then 65536 pages. */
  readonly sharedMemory?: boolean;
  /** Use f32x4.relaxed_madd for a*b+c (only where the engine supports relaxed SIMD). */
  readonly relaxedSimd?: boolean;
}

/** The module's functions and memory, before serialization (also what the WAT printer shows). */
export function buildModuleDefinition(request: ModuleRequest): ModuleDefinition {
  const names = new Set<string>();
  const helpers = new Set<string>();
  const kernels = request.kernels.map((kernel) => {
    assert(!names.has(kernel.name), `two kernels named ${kernel.name}`);
    assert(!isHelperName(kernel.name), `kernel name ${kernel.name} collides with helper names`);
    names.add(kernel.name);
    const emitted = emitKernel(kernel, { addressOf: request.addressOf, relaxedSimd: request.relaxedSimd });
    for (const helper of emitted.helpers) helpers.add(helper);
    return emitted.definition;
  });
  return {
    memory: { minimumPages: request.memoryPages, shared: request.sharedMemory ?? false },
    functions: [...kernels, ...generateHelpers(helpers)],
  };
}

export function emitModule(request: ModuleRequest): Uint8Array<ArrayBuffer> {
  return encodeModule(buildModuleDefinition(request));
}
