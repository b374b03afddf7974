/**
 * Run-time specialization of a session created from an ONNX model.
 *
 * Tessera compiles for concrete shapes. Two things about the feeds can
 * decide what gets compiled, and then a run compiles (or reuses) a variant
 * for them, as onnxruntime handles the same models with dynamic shapes:
 * - symbolic dims (a dim_param such as "batch"): the feeds' sizes become the
 *   compile's bindings;
 * - shape-determining inputs ("frozen" here): a graph input whose contents an
 *   op needs at compile time (Reshape's shape, Resize's sizes…), which the
 *   compiler reports as a DynamicShapeError naming it. The feed's contents
 *   are compiled in as a constant (CompileOptions.constantInputs); the
 *   variant's plan has no slot for it and runs only for those contents.
 * The key of a variant is the bindings plus the frozen feeds' contents; the
 * last MAX_VARIANTS variants stay loaded. All arithmetic still runs in the
 * generated wasm: this file only compares dims and contents.
 *
 * The compiler is imported lazily, as in session.ts, so that loading an
 * artifact never loads it.
 */
import type { ArtifactContents } from "./artifact.js";
import { type CacheableOptions, compileWithCache } from "./compile-cache.js";
import { type DeclaredInput, type Feeds, validateDeclaredFeeds } from "./feeds.js";
import type { ModelSource } from "./model-source.js";
import type { ExecutionPlan } from "./plan.js";
import type { Platform } from "./platform.js";
import type { Tensor } from "./tensor.js";
import { DynamicShapeError } from "../support/errors.js";
import type { TensorData } from "../support/tensor-data.js";

/** Compiled variants kept loaded per session (least recently used dropped first). */
export const MAX_VARIANTS = 8;

/** Where and how a session compiles its model. */
export interface CompileContext {
  readonly model: ModelSource;
  readonly options: CacheableOptions;
  readonly platform: Platform;
  /** The on-disk compile cache; used only for variants without frozen inputs. */
  readonly cacheDirectory?: string;
}

/** What a run needs: the variant for its feeds and the feeds that variant reads. */
export interface Selection<Loaded> {
  readonly variant: Loaded;
  /** The validated feeds minus the frozen ones (their contents are compiled in). */
  readonly feeds: Readonly<Record<string, Tensor>>;
}

export class Specializer<Loaded> {
  private readonly variants = new Map<string, Loaded>();
  private readonly frozen: Set<string>;

  private constructor(
    private readonly context: CompileContext,
    private readonly load: (contents: ArtifactContents) => Promise<Loaded>,
    /** The model's inputs as declared (symbolic dims are strings). */
    readonly inputs: readonly DeclaredInput[],
    /** The model's outputs: as compiled at creation, else as declared. */
    readonly outputs: readonly DeclaredInput[],
    frozen: readonly string[],
    /** The variant compiled at creation, or null when the model needs feeds to compile. */
    readonly initial: Loaded | null,
  ) {
    this.frozen = new Set(frozen);
  }

  /**
   * Compiles the model now with the session's bindings (unbound symbolic dims
   * are 1). When that needs the contents of graph inputs, compilation waits
   * for the first run's feeds; any other compile error is thrown here.
   */
  static async start<Loaded>(
    context: CompileContext,
    load: (contents: ArtifactContents) => Promise<Loaded>,
    planOf: (loaded: Loaded) => ExecutionPlan,
  ): Promise<Specializer<Loaded>> {
    try {
      const loaded = await load(await compileVariant(context, context.options.bindings, {}));
      const plan = planOf(loaded);
      const inputs = plan.inputs.map((slot) => ({ ...declared(slot), shape: slot.declaredShape ?? slot.shape }));
      const specializer = new Specializer(context, load, inputs, plan.outputs.map(declared), [], loaded);
      specializer.remember(specializer.keyOf(specializer.defaultBindings(), []), loaded);
      return specializer;
    } catch (error) {
      if (!(error instanceof DynamicShapeError) || error.graphInputs.length === 0) throw error;
      const { inputs, outputs } = await declaredSignature(context.model);
      return new Specializer(context, load, inputs, outputs, error.graphInputs, null);
    }
  }

  /** Names of the inputs whose contents decide the variant (they need no slot in its plan). */
  get frozenInputs(): readonly string[] {
    return [...this.frozen];
  }

  /**
   * Validates `feeds` against the declared inputs (E_BAD_FEED) and returns
   * the variant for their dims and frozen contents, compiling it if needed.
   * A compile that finds more shape-determining inputs freezes them too and
   * compiles again, so the frozen set only grows.
   */
  async select(feeds: Feeds): Promise<Selection<Loaded>> {
    const { tensors, bindings } = validateDeclaredFeeds(this.inputs, feeds);
    const byName = new Map(this.inputs.map((input, index) => [input.name, tensors[index]!]));
    for (;;) {
      const frozen = [...this.frozen].map((name): [string, Tensor] => [name, byName.get(name)!]);
      const key = this.keyOf(bindings, frozen);
      const variant = this.variants.get(key) ?? (await this.compile(bindings, frozen));
      if (variant === null) continue;
      this.remember(key, variant);
      const unfrozen = [...byName].filter(([name]) => !this.frozen.has(name));
      return { variant, feeds: Object.fromEntries(unfrozen) };
    }
  }

  /** Compiles and loads a variant; null when the compile froze more inputs (select tries again). */
  private async compile(
    bindings: ReadonlyMap<string, number>,
    frozen: readonly [string, Tensor][],
  ): Promise<Loaded | null> {
    const constants = Object.fromEntries(frozen.map(([name, tensor]) => [name, tensorDataOf(tensor)]));
    const allBindings = { ...this.context.options.bindings, ...Object.fromEntries(bindings) };
    try {
      return await this.load(await compileVariant(this.context, allBindings, constants));
    } catch (error) {
      const added =
        error instanceof DynamicShapeError ? error.graphInputs.filter((name) => !this.frozen.has(name)) : [];
      if (added.length === 0) throw error;
      for (const name of added) this.frozen.add(name);
      return null;
    }
  }

  /** `shape` with each symbolic dim at the session's binding, else 1 (what a compile without feeds uses). */
  boundDims(shape: readonly (number | string)[]): number[] {
    return shape.map((dim) => (typeof dim === "number" ? dim : (this.context.options.bindings[dim] ?? 1)));
  }

  /** The bindings the creation-time compile used, for each symbolic dim of the inputs. */
  private defaultBindings(): Map<string, number> {
    const bindings = new Map<string, number>();
    for (const input of this.inputs) {
      this.boundDims(input.shape).forEach((size, axis) => {
        const dim = input.shape[axis]!;
        if (typeof dim === "string") bindings.set(dim, size);
      });
    }
    return bindings;
  }

  private keyOf(bindings: ReadonlyMap<string, number>, frozen: readonly [string, Tensor][]): string {
    const dims = [...bindings].sort(([a], [b]) => a.localeCompare(b));
    const contents = frozen.map(([name, tensor]) => [
      name,
      tensor.type,
      tensor.dims.join("x"),
      Array.from(tensor.data, String).join(","),
    ]);
    return JSON.stringify([dims, contents]);
  }

  private remember(key: string, variant: Loaded): void {
    this.variants.delete(key);
    this.variants.set(key, variant);
    if (this.variants.size > MAX_VARIANTS) this.variants.delete(this.variants.keys().next().value!);
  }
}

async function compileVariant(
  context: CompileContext,
  bindings: Readonly<Record<string, number>>,
  constantInputs: Readonly<Record<string, TensorData>>,
): Promise<ArtifactContents> {
  const { compileModel } = await import("../compiler/compile-model.js");
  const options: CacheableOptions = { ...context.options, bindings };
  if (context.cacheDirectory === undefined || Object.keys(constantInputs).length > 0) {
    return compileModel(context.model, { ...options, constantInputs });
  }
  return compileWithCache(context.platform, context.cacheDirectory, context.model, options, async (recording) =>
    compileModel(recording, options),
  );
}

/** Input and output declarations from the imported model (used when nothing compiled yet). */
async function declaredSignature(model: ModelSource): Promise<{ inputs: DeclaredInput[]; outputs: DeclaredInput[] }> {
  const { importModel } = await import("../onnx/index.js");
  const graph = importModel(model.bytes, { readExternal: model.readExternal });
  return { inputs: graph.inputs.map(declared), outputs: graph.outputs.map(declared) };
}

/** A tensor's name, dtype and shape (an unknown shape as no dims). */
function declared(value: {
  readonly name: string;
  readonly dtype: DeclaredInput["dtype"];
  readonly shape: readonly (number | string)[] | null;
}): DeclaredInput {
  return { name: value.name, dtype: value.dtype, shape: [...(value.shape ?? [])] };
}

function tensorDataOf(tensor: Tensor): TensorData {
  return { dtype: tensor.type, shape: [...tensor.dims], data: tensor.data.slice() };
}
