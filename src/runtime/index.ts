/**
 * The public runtime surface: what a page or service needs to run a model.
 * Everything here works in browsers; Node-only pieces load lazily.
 */
export { Tensor } from "./tensor.js";
export type { TensorData } from "./tensor.js";
export { InferenceSession } from "./session.js";
export type { SessionOptions, TensorMetadata, StepTiming, ProfiledRun } from "./session.js";
export type { Feeds, TensorLike } from "./feeds.js";
export type { ExecutionPlan, PlanStep, TensorSlot } from "./plan.js";
export type { Platform } from "./platform.js";
export { createFetchPlatform, getDefaultPlatform } from "./platform.js";
export { readArtifact, writeArtifact, isArtifactDirectory } from "./artifact.js";
export type { ArtifactContents } from "./artifact.js";
export { TESSERA_VERSION } from "./version.js";
