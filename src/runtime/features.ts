/**
 * Detects which WebAssembly features the running engine supports, by
 * validating tiny hand-assembled modules that use one feature each (the
 * technique of wasm-feature-detect). A plan that needs a feature the engine
 * lacks is refused before instantiation with a message that says what to do,
 * instead of an opaque CompileError.
 */
import type { ExecutionPlan } from "./plan.js";
import { TesseraError } from "../support/errors.js";

export interface EngineFeatures {
  readonly simd: boolean;
  readonly relaxedSimd: boolean;
  readonly threads: boolean;
}

const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/** Type section with one type `() -> v128`, and a function section declaring one function of it. */
const V128_FUNCTION_HEADER = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00];

/** `i32.const 0; i8x16.splat; i8x16.popcnt` */
const SIMD_MODULE = [
  ...MAGIC_AND_VERSION,
  ...V128_FUNCTION_HEADER,
  ...[0x0a, 0x0a, 0x01, 0x08, 0x00, 0x41, 0x00, 0xfd, 0x0f, 0xfd, 0x62, 0x0b],
];
/** `i32.const 1; i8x16.splat; i32.const 2; i8x16.splat; i8x16.relaxed_swizzle` */
const RELAXED_SIMD_MODULE = [
  ...MAGIC_AND_VERSION,
  ...V128_FUNCTION_HEADER,
  ...[0x0a, 0x0f, 0x01, 0x0d, 0x00, 0x41, 0x01, 0xfd, 0x0f, 0x41, 0x02, 0xfd, 0x0f, 0xfd, 0x80, 0x02, 0x0b],
];
/** A shared memory and `i32.const 0; i32.atomic.load; drop`. */
const THREADS_MODULE = [
  ...MAGIC_AND_VERSION,
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x04, 0x01, 0x03, 0x01, 0x01],
  ...[0x0a, 0x0b, 0x01, 0x09, 0x00, 0x41, 0x00, 0xfe, 0x10, 0x02, 0x00, 0x1a, 0x0b],
];

let detected: EngineFeatures | undefined;

export function detectEngineFeatures(): EngineFeatures {
  detected ??= {
    simd: WebAssembly.validate(new Uint8Array(SIMD_MODULE)),
    relaxedSimd: WebAssembly.validate(new Uint8Array(RELAXED_SIMD_MODULE)),
    threads: typeof SharedArrayBuffer === "function" && WebAssembly.validate(new Uint8Array(THREADS_MODULE)),
  };
  return detected;
}

/** Throws E_BAD_ARTIFACT naming the first feature the plan needs and the engine lacks. */
export function checkPlanFeatures(plan: ExecutionPlan, engine: EngineFeatures = detectEngineFeatures()): void {
  if (plan.features.simd && !engine.simd) {
    throw new TesseraError("E_BAD_ARTIFACT", "the model needs WebAssembly SIMD, which this engine does not support");
  }
  if (plan.features.relaxedSimd && !engine.relaxedSimd) {
    throw new TesseraError(
      "E_BAD_ARTIFACT",
      "the model was compiled with relaxed SIMD, which this engine does not support " +
        "(Node 20 needs --experimental-wasm-relaxed-simd); compile it without relaxedSimd",
    );
  }
  if (plan.features.threads && !engine.threads) {
    throw new TesseraError(
      "E_BAD_ARTIFACT",
      "the model was compiled for threads, which need SharedArrayBuffer and wasm atomics " +
        "(browsers: cross-origin isolation); compile it without threads",
    );
  }
}
