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
import type { CacheableOptions } from "./compile-cache.js";
import { type KernelFunction, type StepExecutor, createExecutor } from "./executor.js";
import { checkPlanFeatures, detectEngineFeatures } from "./features.js";
import { type DeclaredInput, type Feeds, validateFeeds } from "./feeds.js";
import { checkPlanLayout, mapActivationPages, readTensor, writeBytes, writeTensor } from "./memory.js";
import { readModelFile } from "./model-source.js";
import type { ExecutionPlan, PlanStep, TensorSlot } from "./plan.js";
import { type Platform, getDefaultPlatform } from "./platform.js";
import { type CompileContext, Specializer } from "./specialize.js";
import type { Tensor } from "./tensor.js";
import type { DType } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";

export interface SessionOptions {
  /**
   * Threads to run kernels on, the calling one included; defaults to the
   * host's logical cores. Above 1, where shared memory and workers are
   * available, a worker pool starts with the session (release() stops it) and
   * models compile for threads; elsewhere everything runs on the calling
   * thread. An artifact compiled without threads runs on one thread.
   */
  readonly threads?: number;
  /** Compile with relaxed-SIMD FMA; defaults to whether the engine supports it. Ignored for artifacts. */
  readonly relaxedSimd?: boolean;
  /** Rewrite 3×3 stride-1 convolutions into Winograd form (default true). Ignored for artifacts. */
  readonly winograd?: boolean;
  /** Layout of the convolution chain (default NHWC). Ignored for artifacts. */
  readonly layout?: "NCHW" | "NHWC";
  /** Values of symbolic input dims (e.g. { batch: 1 }). Ignored for artifacts. */
  readonly bindings?: Record<string, number>;
  /**
   * Folder for an on-disk cache of compiled .onnx models (see
   * compile-cache.ts); off when absent. Ignored for artifacts and bytes.
   */
  readonly cacheDirectory?: string;
  /** File access; defaults to Node's file system in Node and fetch() in browsers. */
  readonly platform?: Platform;
  /**
   * Optimize every kernel while the session loads, so the first run is as
   * fast as later ones (default true). In Node this turns V8's lazy wasm
   * compilation and dynamic tiering off around Tessera's own compiles only,
   * unless the process was started with either flag; browsers keep their
   * engine's lazy tier-up. False loads some tens of ms faster and runs the
   * first inferences on baseline code.
   */
  readonly eagerTierUp?: boolean;
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

/** One compiled model instantiated over its own memory, weights copied in. */
interface LoadedModel {
  readonly plan: ExecutionPlan;
  readonly memory: WebAssembly.Memory;
  readonly steps: readonly LoadedStep[];
}

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The variant the last run used (or the one compiled at creation); null until a deferred compile. */
  private current: LoadedModel | null;
  /** Present for sessions created from ONNX: compiles variants for other feed shapes (specialize.ts). */
  private readonly specializer: Specializer<LoadedModel> | null;
  private readonly executor: StepExecutor;
  private released = false;
  /**
   * Whether the next run reverses; flips every run. Steps that stream
   * weights (PlanStep.alternateOrder) run their tasks last-first when it is
   * set: the weights the previous run read last are the ones still in
   * cache, so they are read first. A model whose weights slightly exceed the
   * cache then misses on the excess only, where the same order every run
   * misses on all of it (LRU evicts each line just before it is needed again).
   */
  private reverseStreams = false;

  private constructor(
    current: LoadedModel | null,
    specializer: Specializer<LoadedModel> | null,
    executor: StepExecutor,
  ) {
    this.current = current;
    this.specializer = specializer;
    this.executor = executor;
    const plan = current?.plan;
    this.inputNames = specializer?.inputs.map((input) => input.name) ?? plan!.inputs.map((slot) => slot.name);
    this.outputNames = specializer?.outputs.map((output) => output.name) ?? plan!.outputs.map((slot) => slot.name);
  }

  /**
   * Dims of the variant last run (the one compiled at creation before any
   * run). Before the first run of a session that compiles on demand, and for
   * inputs whose contents are compiled in, they are the declared dims with
   * symbolic ones at the session's bindings (else 1).
   */
  get inputMetadata(): readonly TensorMetadata[] {
    const slots = this.current?.plan.inputs ?? [];
    const specializer = this.specializer;
    if (specializer === null) return slots.map(metadataOf);
    return specializer.inputs.map((input) => {
      const slot = slots.find((candidate) => candidate.name === input.name);
      return slot === undefined
        ? { ...declaredMetadataOf(input), dims: specializer.boundDims(input.shape) }
        : metadataOf(slot);
    });
  }

  /**
   * Dims of the variant last run. Before the first run of a session that
   * compiles on demand: the declared dims, -1 where symbolic, none when the
   * model declares no shape.
   */
  get outputMetadata(): readonly TensorMetadata[] {
    if (this.current !== null) return this.current.plan.outputs.map(metadataOf);
    return this.specializer!.outputs.map(declaredMetadataOf);
  }

  /**
   * Creates a session from an artifact folder (a directory path or a URL
   * ending in "/"), an .onnx file path (compiled now, with its external data),
   * or the bytes of an ONNX model (compiled now). A model whose shapes depend
   * on its feeds (symbolic dims, shape-determining inputs) is compiled again
   * at run() for feeds it was not compiled for (see specialize.ts); one that
   * cannot compile without feeds compiles at the first run.
   */
  static async create(
    source: string | Uint8Array | ArrayBuffer,
    options: SessionOptions = {},
  ): Promise<InferenceSession> {
    const platform = options.platform ?? (await getDefaultPlatform());
    if (typeof source === "string" && (await platform.isDirectory(source))) {
      return InferenceSession.fromCompiled(await readArtifact(platform, source), options);
    }
    const executor = await createExecutor({ threads: options.threads, eagerTierUp: options.eagerTierUp });
    return withExecutor(executor, async () => {
      const compileOptions = compileOptionsOf(options, executor.threads > 1);
      if (typeof source !== "string") {
        const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
        return InferenceSession.fromModel({ model: { bytes }, options: compileOptions, platform }, executor);
      }
      const model = await readModelFile(platform, source);
      const cacheDirectory = options.cacheDirectory;
      return InferenceSession.fromModel({ model, options: compileOptions, platform, cacheDirectory }, executor);
    });
  }

  /**
   * Creates a session from compiled contents already in memory (compileModel's
   * result); a worker pool starts only for contents compiled with threads.
   */
  static async fromCompiled(
    contents: ArtifactContents,
    options: Pick<SessionOptions, "threads" | "eagerTierUp"> = {},
  ): Promise<InferenceSession> {
    const threads = contents.plan.features.threads ? options.threads : 1;
    const executor = await createExecutor({ threads, eagerTierUp: options.eagerTierUp });
    return withExecutor(
      executor,
      async () => new InferenceSession(await loadModel(contents, executor), null, executor),
    );
  }

  private static async fromModel(context: CompileContext, executor: StepExecutor): Promise<InferenceSession> {
    const load = (contents: ArtifactContents): Promise<LoadedModel> => loadModel(contents, executor);
    const specializer = await Specializer.start(context, load, (loaded) => loaded.plan);
    // A fully static model has one variant: runs skip the specializer's second feed check and key.
    const initial = specializer.initial;
    const isStatic = initial !== null && initial.plan.inputs.every((slot) => slot.declaredShape === undefined);
    return new InferenceSession(initial, isStatic ? null : specializer, executor);
  }

  /**
   * Runs the model on `feeds` (one tensor per input name) and returns fresh
   * output tensors. A session from an artifact or compiled contents runs only
   * the dims it was compiled for (E_BAD_FEED otherwise).
   */
  async run(feeds: Feeds): Promise<Record<string, Tensor>> {
    const model = await this.prepare(feeds);
    const reversed = this.nextOrder();
    for (const { step, kernel } of model.steps) {
      this.executor.runStep(kernel, step.tasks, reversed && step.alternateOrder === true);
    }
    return readOutputs(model);
  }

  /** Like run, and also measures each step's wall time (for `tessera run --profile`). */
  async runProfiled(feeds: Feeds): Promise<ProfiledRun> {
    const model = await this.prepare(feeds);
    const steps: StepTiming[] = [];
    const reversed = this.nextOrder();
    for (const { step, kernel } of model.steps) {
      const start = performance.now();
      this.executor.runStep(kernel, step.tasks, reversed && step.alternateOrder === true);
      const milliseconds = performance.now() - start;
      steps.push({ kernel: step.kernel, group: step.group, ops: step.ops, flops: step.flops, milliseconds });
    }
    return { outputs: readOutputs(model), steps };
  }

  /** Whether this run reverses the streaming steps (see reverseStreams). */
  private nextOrder(): boolean {
    const reversed = this.reverseStreams;
    this.reverseStreams = !reversed;
    return reversed;
  }

  /** Frees the executor; the session cannot run afterwards. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.executor.release();
  }

  /** Picks (or compiles) the variant for `feeds` and writes them into its memory. */
  private async prepare(feeds: Feeds): Promise<LoadedModel> {
    if (this.released) throw new TesseraError("E_USAGE", "the session was released");
    this.executor.prepareRun();
    let model = this.current!;
    let tensors = feeds;
    if (this.specializer !== null) {
      const selection = await this.specializer.select(feeds);
      model = selection.variant;
      tensors = selection.feeds;
      this.current = model;
    }
    const ordered = validateFeeds(model.plan.inputs, tensors);
    model.plan.inputs.forEach((slot, index) => writeTensor(model.memory, slot, ordered[index]!));
    return model;
  }
}

async function loadModel(contents: ArtifactContents, executor: StepExecutor): Promise<LoadedModel> {
  const { plan, wasm, weights } = contents;
  checkPlanLayout(plan);
  if (weights.byteLength !== plan.weightsBytes) {
    throw new TesseraError(
      "E_BAD_ARTIFACT",
      `weights have ${weights.byteLength} bytes, the plan expects ${plan.weightsBytes}`,
    );
  }
  checkPlanFeatures(plan);
  const { memory, instance } = await executor.instantiate(wasm, plan);
  writeBytes(memory, plan.weightsOffset, weights);
  mapActivationPages(memory, plan);
  return { plan, memory, steps: plan.steps.map((step) => loadStep(instance, step)) };
}

/** Runs `open`; stops the executor's workers if it fails. */
async function withExecutor(executor: StepExecutor, open: () => Promise<InferenceSession>): Promise<InferenceSession> {
  try {
    return await open();
  } catch (error) {
    executor.release();
    throw error;
  }
}

function readOutputs(model: LoadedModel): Record<string, Tensor> {
  const outputs: Record<string, Tensor> = {};
  for (const slot of model.plan.outputs) outputs[slot.name] = readTensor(model.memory, slot);
  return outputs;
}

function declaredMetadataOf(declared: DeclaredInput): TensorMetadata {
  return {
    name: declared.name,
    type: declared.dtype,
    dims: declared.shape.map((dim) => (typeof dim === "number" ? dim : -1)),
  };
}

function metadataOf(slot: TensorSlot): TensorMetadata {
  return { name: slot.name, type: slot.dtype, dims: slot.shape };
}

function compileOptionsOf(options: SessionOptions, threads: boolean): CacheableOptions {
  return {
    bindings: options.bindings ?? {},
    relaxedSimd: options.relaxedSimd ?? detectEngineFeatures().relaxedSimd,
    threads,
    winograd: options.winograd ?? true,
    layout: options.layout ?? "NHWC",
  };
}

function loadStep(instance: WebAssembly.Instance, step: PlanStep): LoadedStep {
  const kernel = instance.exports[step.kernel];
  if (typeof kernel !== "function") {
    throw new TesseraError("E_BAD_ARTIFACT", `the wasm module has no kernel '${step.kernel}' (step ${step.group})`);
  }
  return { step, kernel: kernel as KernelFunction };
}
