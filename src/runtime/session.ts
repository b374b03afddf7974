/**
 * InferenceSession: loads a compiled model (or compiles one) and runs it,
 * with the same shape of API as onnxruntime-web.
 *
 * A session owns one WebAssembly.Memory laid out by the plan (see plan.ts).
 * Weights are copied in once at creation; each run writes the feeds at their
 * input slots, calls every step's kernel in plan order and copies the outputs
 * out. All arithmetic of the model runs in wasm: JS only moves bytes.
 *
 * This file must stay free of Node-only imports (a lint rule checks it): files
 * go through the Platform, and the compiler is imported lazily, only when the
 * source is an .onnx model rather than a compiled artifact.
 */
import { type ArtifactContents, readArtifact } from "./artifact.js";
import { type CacheableOptions, compileWithCache } from "./compile-cache.js";
import { type KernelFunction, type StepExecutor, createSerialExecutor } from "./executor.js";
import { checkPlanFeatures, detectEngineFeatures } from "./features.js";
import { type Feeds, validateFeeds } from "./feeds.js";
import { checkPlanLayout, createMemory, readTensor, writeBytes, writeTensor } from "./memory.js";
import { type ModelSource, readModelFile } from "./model-source.js";
import type { ExecutionPlan, PlanStep, TensorSlot } from "./plan.js";
import { type Platform, getDefaultPlatform } from "./platform.js";
import type { Tensor } from "./tensor.js";
import type { DType } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";

export interface SessionOptions {
  /**
   * Threads to run kernels on. Above 1 the model is compiled for shared
   * memory; until the worker pool lands, kernels still run on the calling thread.
   */
  readonly threads?: number;
  /** Compile with relaxed-SIMD FMA; defaults to whether the engine supports it. Ignored for artifacts. */
  readonly relaxedSimd?: boolean;
  /** Values of symbolic input dims (e.g. { batch: 1 }). Ignored for artifacts. */
  readonly bindings?: Record<string, number>;
  /**
   * Folder for an on-disk cache of compiled .onnx models (see
   * compile-cache.ts); off when absent. Ignored for artifacts and bytes.
   */
  readonly cacheDirectory?: string;
  /** File access; defaults to Node's file system in Node and fetch() in browsers. */
  readonly platform?: Platform;
}

/** Name, dtype and dims of a model input or output. */
export interface TensorMetadata {
  readonly name: string;
  readonly type: DType;
  readonly dims: readonly number[];
}

/** Time spent in one step of one run. */
export interface StepTiming {
  readonly kernel: string;
  readonly group: string;
  readonly ops: readonly string[];
  readonly flops: number;
  readonly milliseconds: number;
}

export interface ProfiledRun {
  readonly outputs: Record<string, Tensor>;
  /** One entry per plan step, in plan order. */
  readonly steps: readonly StepTiming[];
}

interface LoadedStep {
  readonly step: PlanStep;
  readonly kernel: KernelFunction;
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly TensorMetadata[];
  readonly outputMetadata: readonly TensorMetadata[];
  private readonly plan: ExecutionPlan;
  private readonly memory: WebAssembly.Memory;
  private readonly steps: readonly LoadedStep[];
  private readonly executor: StepExecutor;
  private released = false;

  private constructor(plan: ExecutionPlan, memory: WebAssembly.Memory, steps: readonly LoadedStep[]) {
    this.plan = plan;
    this.memory = memory;
    this.steps = steps;
    this.executor = createSerialExecutor();
    this.inputNames = plan.inputs.map((slot) => slot.name);
    this.outputNames = plan.outputs.map((slot) => slot.name);
    this.inputMetadata = plan.inputs.map(metadataOf);
    this.outputMetadata = plan.outputs.map(metadataOf);
  }

  /**
   * Creates a session from an artifact folder (a directory path or a URL
   * ending in "/"), an .onnx file path (compiled now, with its external data),
   * or the bytes of an ONNX model (compiled now).
   */
  static async create(
    source: string | Uint8Array | ArrayBuffer,
    options: SessionOptions = {},
  ): Promise<InferenceSession> {
    const platform = options.platform ?? (await getDefaultPlatform());
    if (typeof source !== "string") {
      const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
      return InferenceSession.fromCompiled(await compile({ bytes }, options));
    }
    if (await platform.isDirectory(source)) {
      return InferenceSession.fromCompiled(await readArtifact(platform, source));
    }
    const model = await readModelFile(platform, source);
    if (options.cacheDirectory === undefined) return InferenceSession.fromCompiled(await compile(model, options));
    const cacheable = compileOptionsOf(options);
    const compiled = await compileWithCache(platform, options.cacheDirectory, model, cacheable, (recording) =>
      compile(recording, options),
    );
    return InferenceSession.fromCompiled(compiled);
  }

  /** Creates a session from compiled contents already in memory (compileModel's result). */
  static async fromCompiled(contents: ArtifactContents): Promise<InferenceSession> {
    const { plan, wasm, weights } = contents;
    checkPlanLayout(plan);
    if (weights.byteLength !== plan.weightsBytes) {
      throw new TesseraError(
        "E_BAD_ARTIFACT",
        `weights have ${weights.byteLength} bytes, the plan expects ${plan.weightsBytes}`,
      );
    }
    checkPlanFeatures(plan);
    const memory = createMemory(plan);
    const instance = await instantiate(wasm, memory);
    writeBytes(memory, plan.weightsOffset, weights);
    return new InferenceSession(
      plan,
      memory,
      plan.steps.map((step) => loadStep(instance, step)),
    );
  }

  /** Runs the model on `feeds` (one tensor per input name) and returns fresh output tensors. */
  async run(feeds: Feeds): Promise<Record<string, Tensor>> {
    this.writeFeeds(feeds);
    for (const { step, kernel } of this.steps) this.executor.runStep(kernel, step.tasks);
    return this.readOutputs();
  }

  /** Like run, and also measures each step's wall time (for `tessera run --profile`). */
  async runProfiled(feeds: Feeds): Promise<ProfiledRun> {
    this.writeFeeds(feeds);
    const steps: StepTiming[] = [];
    for (const { step, kernel } of this.steps) {
      const start = performance.now();
      this.executor.runStep(kernel, step.tasks);
      const milliseconds = performance.now() - start;
      steps.push({ kernel: step.kernel, group: step.group, ops: step.ops, flops: step.flops, milliseconds });
    }
    return { outputs: this.readOutputs(), steps };
  }

  /** Frees the executor; the session cannot run afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.executor.release();
  }

  private writeFeeds(feeds: Feeds): void {
    if (this.released) throw new TesseraError("E_USAGE", "the session was released");
    const tensors = validateFeeds(this.plan.inputs, feeds);
    this.plan.inputs.forEach((slot, index) => writeTensor(this.memory, slot, tensors[index]));
  }

  private readOutputs(): Record<string, Tensor> {
    const outputs: Record<string, Tensor> = {};
    for (const slot of this.plan.outputs) outputs[slot.name] = readTensor(this.memory, slot);
    return outputs;
  }
}

function metadataOf(slot: TensorSlot): TensorMetadata {
  return { name: slot.name, type: slot.dtype, dims: slot.shape };
}

/** Compiles a model with the compiler loaded on demand, so artifact-only users never load it. */
async function compile(source: ModelSource, options: SessionOptions): Promise<ArtifactContents> {
  const { compileModel } = await import("../compiler/compile-model.js");
  return compileModel(source, compileOptionsOf(options));
}

function compileOptionsOf(options: SessionOptions): CacheableOptions {
  return {
    bindings: options.bindings ?? {},
    relaxedSimd: options.relaxedSimd ?? detectEngineFeatures().relaxedSimd,
    threads: (options.threads ?? 1) > 1,
  };
}

async function instantiate(wasm: Uint8Array, memory: WebAssembly.Memory): Promise<WebAssembly.Instance> {
  try {
    const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
    return await WebAssembly.instantiate(module, { env: { memory } });
  } catch (error) {
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
      throw new TesseraError("E_BAD_ARTIFACT", `the wasm module does not load: ${error.message}`);
    }
    throw error;
  }
}

function loadStep(instance: WebAssembly.Instance, step: PlanStep): LoadedStep {
  const kernel = instance.exports[step.kernel];
  if (typeof kernel !== "function") {
    throw new TesseraError("E_BAD_ARTIFACT", `the wasm module has no kernel '${step.kernel}' (step ${step.group})`);
  }
  return { step, kernel: kernel as KernelFunction };
}
