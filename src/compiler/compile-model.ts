/**
 * The compiler driver: reads like the pipeline it runs.
 *
 *   ONNX bytes ─importModel→ graph IR ─optimizeGraph→ fused graph
 *     ─buildGroupTe→ tensor expressions ─lowerToLoops→ loop nests
 *     ─defaultSchedule/scheduleKernel→ kernels ─planModelMemory→ addresses
 *     ─emitModule→ one wasm module + execution plan + weights image
 *
 * Every stage can be printed (`inspectModel`), which is what
 * `tessera inspect --stage` shows.
 */
import { importModel } from "../onnx/index.js";
import type { FusedGraph, FusedGroup } from "../graph/fused.js";
import type { Graph } from "../graph/ir.js";
import { optimizeGraph } from "../graph/optimize-graph.js";
import { bindConstantInputs } from "../graph/passes/bind-constant-inputs.js";
import { printFusedGraph, printGraph } from "../graph/print-graph.js";
import type { Kernel } from "../loop/ir.js";
import { resetExprInterning } from "../te/expr.js";
import { printKernel } from "../loop/print-loop.js";
import { emitModule } from "../codegen/emit-module.js";
import { WASM_PAGE_BYTES } from "../codegen/wasm/module-builder.js";
import { printWat } from "../codegen/print-wat.js";
import type { ExecutionPlan } from "../runtime/plan.js";
import { TesseraError } from "../support/errors.js";
import type { TensorData } from "../support/tensor-data.js";
import { lowerGroups, type KernelStep } from "./lower-groups.js";
import { assemblePlan } from "./assemble-plan.js";

export interface CompileOptions {
  /** Sizes of symbolic input dims (e.g. { batch: 4 }); unbound dims are 1. */
  readonly bindings?: Readonly<Record<string, number>>;
  /**
   * Graph inputs compiled as constants with these contents (the inputs an
   * E_DYNAMIC_SHAPE's DynamicShapeError names): the plan then has no slot
   * for them, and the module is only valid for these contents.
   */
  readonly constantInputs?: Readonly<Record<string, TensorData>>;
  /** Use f32x4.relaxed_madd (only where the engine validates it). */
  readonly relaxedSimd?: boolean;
  /** Emit a module over shared memory, for the thread pool. */
  readonly threads?: boolean;
  /** Rewrite 3×3 stride-1 convolutions into Winograd form (graph/passes/winograd-conv.ts); default true. */
  readonly winograd?: boolean;
  /** Layout of the convolution chain (graph/passes/convert-layout.ts); default NHWC. */
  readonly layout?: "NCHW" | "NHWC";
  /** Print the graph after this graph pass (see GRAPH_PASS_NAMES). */
  readonly dumpAfter?: string;
  readonly log?: (text: string) => void;
}

export interface CompiledModel {
  readonly wasm: Uint8Array;
  readonly plan: ExecutionPlan;
  /** The weights image, copied to plan.weightsOffset at load. */
  readonly weights: Uint8Array;
}

export interface ModelSource {
  readonly bytes: Uint8Array;
  /** Reads an external-data file named by the model, relative to the model's folder. */
  readonly readExternal?: (location: string) => Uint8Array;
  readonly name?: string;
}

export type InspectStage = "graph" | "fused" | "loop" | "wat";
export const INSPECT_STAGES: readonly InspectStage[] = ["graph", "fused", "loop", "wat"];

/** Everything the compiler knows about a model after lowering, before wasm. */
export interface LoweredModel {
  /** The graph as imported, before optimization: its inputs keep their declared (maybe symbolic) shapes. */
  readonly imported?: Graph;
  readonly graph: Graph;
  readonly fused: FusedGraph;
  readonly steps: readonly KernelStep[];
}

/** Pages of the memory a compiled module declares, so that inspect prints the code compileModel emits. */
function memoryPagesOf(plan: ExecutionPlan): number {
  return Math.ceil(plan.memoryBytes / WASM_PAGE_BYTES);
}

export function lowerModel(source: ModelSource, options: CompileOptions = {}): LoweredModel {
  // Nodes of earlier compilations are never mixed with this one's: without
  // the reset, a process that compiles many models (a session specializing
  // on feed shapes) kept every expression node it ever built.
  resetExprInterning();
  const imported = importModel(source.bytes, { readExternal: source.readExternal });
  const bindings = new Map(Object.entries(options.bindings ?? {}));
  const bound = bindConstantInputs(imported, new Map(Object.entries(options.constantInputs ?? {})));
  const { graph, fused } = optimizeGraph(bound, {
    bindings,
    dumpAfter: options.dumpAfter,
    log: options.log,
    winograd: options.winograd,
    layout: options.layout,
  });
  const steps = lowerGroups(fused);
  return { imported, graph, fused, steps };
}

export function compileModel(source: ModelSource, options: CompileOptions = {}): CompiledModel {
  const lowered = lowerModel(source, options);
  const layout = assemblePlan(lowered, {
    modelName: source.name ?? lowered.graph.name,
    relaxedSimd: options.relaxedSimd ?? false,
    threads: options.threads ?? false,
  });
  const wasm = emitModule({
    kernels: lowered.steps.map((step) => step.kernel),
    addressOf: layout.addressOf,
    memoryPages: memoryPagesOf(layout.plan),
    sharedMemory: options.threads ?? false,
    relaxedSimd: options.relaxedSimd ?? false,
  });
  return { wasm, plan: layout.plan, weights: layout.weights };
}

/** The IR of `stage` as text, for the whole model or the groups holding node `nodeName`. */
export function inspectModel(
  source: ModelSource,
  stage: InspectStage,
  options: CompileOptions & { readonly nodeName?: string } = {},
): string {
  const lowered = lowerModel(source, options);
  switch (stage) {
    case "graph":
      return printGraph(lowered.graph);
    case "fused":
      return printFusedGraph(lowered.fused);
    case "loop":
      return selectSteps(lowered, options.nodeName)
        .map((step) => printKernel(step.kernel))
        .join("\n");
    case "wat": {
      const { addressOf, plan } = assemblePlan(lowered, {
        modelName: lowered.graph.name,
        relaxedSimd: false,
        threads: false,
      });
      const relaxedSimd = options.relaxedSimd ?? false;
      const memoryBytes = memoryPagesOf(plan) * WASM_PAGE_BYTES;
      return selectSteps(lowered, options.nodeName)
        .map((step) => printWat(step.kernel, { addressOf, relaxedSimd, memoryBytes }))
        .join("\n");
    }
  }
}

function selectSteps(lowered: LoweredModel, nodeName: string | undefined): readonly KernelStep[] {
  if (nodeName === undefined) return lowered.steps;
  const matching = lowered.steps.filter((step) => containsNode(step.group, nodeName));
  if (matching.length === 0) {
    const known = lowered.graph.nodes.some((node) => node.name === nodeName);
    const reason = known ? "was folded away or needs no kernel" : "is not in the model";
    throw new TesseraError("E_USAGE", `node '${nodeName}' ${reason}`);
  }
  return matching;
}

function containsNode(group: FusedGroup, nodeName: string): boolean {
  return group.nodes.some((node) => node.name === nodeName);
}

export type { Kernel };
