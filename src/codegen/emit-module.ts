/**
 * Kernels → one wasm module: each kernel exported under its name, the math
 * helpers they call appended once, and the memory imported as `env.memory`.
 *
 * A shared-memory module is one that worker threads run together, each with
 * its own instance over the one memory. Kernels of different threads must not
 * share their private scratch, so such a module keeps a per-instance global
 * `scratch_base`, set through the exported `set_scratch_base(base: i32)`, and
 * addresses every "scratch" buffer as scratch_base + addressOf(buffer): for
 * these modules addressOf gives scratch buffers' offsets within one thread's
 * scratch area. The global starts at 0: the runtime must set it before any
 * kernel runs. Other buffers (and all buffers of unshared modules) have
 * absolute addresses baked in as constants.
 */
import { assert } from "../support/assert.js";
import type { Buffer, Kernel } from "../loop/ir.js";
import { emitKernel } from "./emit-kernel.js";
import { generateHelpers } from "./math/library.js";
import { isHelperName } from "./math/names.js";
import { globalSet, localGet } from "./wasm/instructions.js";
import {
  encodeModule,
  type FunctionDefinition,
  type ModuleDefinition,
  WASM_PAGE_BYTES,
} from "./wasm/module-builder.js";

/** The per-instance scratch base of shared-memory modules, and the export that sets it. */
export const SCRATCH_BASE_GLOBAL = "scratch_base";
export const SET_SCRATCH_BASE = "set_scratch_base";

export interface ModuleRequest {
  readonly kernels: readonly Kernel[];
  readonly addressOf: (buffer: Buffer) => number;
  /** Initial (minimum) size of the imported memory, in 64 KiB pages. */
  readonly memoryPages: number;
  /**
   * Import a shared memory (for worker threads), scratch addressed per
   * instance (see above). Its declared maximum is 65536 pages: that reserves
   * nothing, the runtime's memory object sets the real (fixed) size.
   */
  readonly sharedMemory?: boolean;
  /** Use f32x4.relaxed_madd for a*b+c (only where the engine supports relaxed SIMD). */
  readonly relaxedSimd?: boolean;
}

/** The module's functions and memory, before serialization (also what the WAT printer shows). */
export function buildModuleDefinition(request: ModuleRequest): ModuleDefinition {
  const names = new Set<string>();
  const helpers = new Set<string>();
  const constants = new Map<string, readonly number[]>();
  const shared = request.sharedMemory ?? false;
  const scratchBase = shared ? SCRATCH_BASE_GLOBAL : undefined;
  const memoryBytes = request.memoryPages * WASM_PAGE_BYTES;
  const options = { addressOf: request.addressOf, relaxedSimd: request.relaxedSimd, scratchBase, memoryBytes };
  const kernels = request.kernels.map((kernel) => {
    assert(!names.has(kernel.name), `two kernels named ${kernel.name}`);
    assert(!isHelperName(kernel.name), `kernel name ${kernel.name} collides with helper names`);
    assert(kernel.name !== SET_SCRATCH_BASE, `kernel name ${kernel.name} collides with the scratch setter`);
    names.add(kernel.name);
    const emitted = emitKernel(kernel, options);
    for (const helper of emitted.helpers) helpers.add(helper);
    for (const [name, bytes] of emitted.constants) constants.set(name, bytes);
    return emitted.definition;
  });
  const functions = [...kernels, ...generateHelpers(helpers)];
  return {
    memory: { minimumPages: request.memoryPages, shared },
    globals: [
      ...(shared ? [{ name: SCRATCH_BASE_GLOBAL, type: "i32" as const, initial: 0 }] : []),
      ...[...constants].map(([name, bytes]) => ({ name, type: "v128" as const, bytes })),
    ],
    functions: shared ? [...functions, scratchBaseSetter()] : functions,
  };
}

/** `set_scratch_base(base: i32)`: the runtime calls it once per instance (thread). */
function scratchBaseSetter(): FunctionDefinition {
  return {
    name: SET_SCRATCH_BASE,
    params: ["i32"],
    results: [],
    locals: [],
    localNames: ["base"],
    body: [localGet(0), globalSet(SCRATCH_BASE_GLOBAL)],
    exported: true,
  };
}

export function emitModule(request: ModuleRequest): Uint8Array<ArrayBuffer> {
  return encodeModule(buildModuleDefinition(request));
}
