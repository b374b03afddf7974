/**
 * Tessera's public API: an onnxruntime-web-shaped runtime (InferenceSession,
 * Tensor) plus the compiler entry points.
 */
export { InferenceSession, Tensor } from "./runtime/index.js";
export { compileModel, inspectModel } from "./compiler/compile-model.js";
export type { CompileOptions, CompiledModel, InspectStage } from "./compiler/compile-model.js";
export type { ExecutionPlan } from "./runtime/plan.js";
export { TesseraError, DynamicShapeError } from "./support/errors.js";
export type { ErrorCode } from "./support/errors.js";
export type { DType } from "./support/dtype.js";
