/**
 * The graph-level pipeline: a plain, ordered array of named passes, run one
 * after another, then operator fusion. `dumpAfter` prints the IR after one
 * pass (the CLI's `--dump-ir after:<pass>`).
 */
import type { Graph } from "./ir.js";
import type { FusedGraph } from "./fused.js";
import { inferShapes } from "./infer-shapes.js";
import { verifyGraph } from "./verify-graph.js";
import { printFusedGraph, printGraph } from "./print-graph.js";
import { removeIdentity } from "./passes/remove-identity.js";
import { foldBatchNorm } from "./passes/fold-batch-norm.js";
import { foldConstants } from "./passes/fold-constants.js";
import { fuseLayerNorm } from "./passes/fuse-layer-norm.js";
import { expandPow } from "./passes/expand-pow.js";
import { winogradConv } from "./passes/winograd-conv.js";
import { convertLayout } from "./passes/convert-layout.js";
import { explicitPad } from "./passes/explicit-pad.js";
import { eliminateDeadNodes } from "./passes/eliminate-dead-nodes.js";
import { fuseOperators } from "./passes/fuse-operators.js";
import { type IdSource, defaultIds } from "./builder.js";
import { TesseraError } from "../support/errors.js";

export interface OptimizeGraphOptions {
  /** Sizes of symbolic dims; unbound ones are 1 (see infer-shapes.ts). */
  readonly bindings?: ReadonlyMap<string, number>;
  /** A pass name from GRAPH_PASS_NAMES: the IR after it goes to `log`. */
  readonly dumpAfter?: string;
  /** Where dumps go; standard error by default. */
  readonly log?: (text: string) => void;
  /** Where new value ids come from; must be the source the graph's ids came from (default: the shared one). */
  readonly ids?: IdSource;
  /** Rewrite qualifying 3×3 convolutions into Winograd form (default true). */
  readonly winograd?: boolean;
  /** Layout of the convolution chain (default NHWC, see convert-layout.ts). */
  readonly layout?: "NCHW" | "NHWC";
}

export interface GraphPassOptions {
  readonly bindings?: ReadonlyMap<string, number>;
  readonly ids: IdSource;
  readonly winograd: boolean;
  readonly layout: "NCHW" | "NHWC";
}

export interface GraphPass {
  readonly name: string;
  readonly run: (graph: Graph, options: GraphPassOptions) => Graph;
}

export const GRAPH_PASSES: readonly GraphPass[] = [
  { name: "infer-shapes", run: (graph, options) => inferShapes(graph, options) },
  { name: "remove-identity", run: (graph) => removeIdentity(graph) },
  { name: "fold-batch-norm", run: (graph, options) => foldBatchNorm(graph, options.ids) },
  { name: "fold-constants", run: (graph, options) => foldConstants(graph, options.ids) },
  { name: "fuse-layer-norm", run: (graph, options) => fuseLayerNorm(graph, options.ids) },
  { name: "expand-pow", run: (graph, options) => expandPow(graph, options.ids) },
  { name: "winograd-conv", run: (graph, options) => (options.winograd ? winogradConv(graph, options.ids) : graph) },
  {
    name: "convert-layout",
    run: (graph, options) => (options.layout === "NHWC" ? convertLayout(graph, options.ids) : graph),
  },
  { name: "explicit-pad", run: (graph, options) => explicitPad(graph, options.ids) },
  { name: "eliminate-dead-nodes", run: (graph) => eliminateDeadNodes(graph) },
  { name: "verify-graph", run: (graph) => verifyGraph(graph, { requireShapes: true }) },
];

/** The last step: it turns the graph into a fused graph, so it is not a GraphPass. */
export const FUSE_PASS_NAME = "fuse-operators";

/** Every name `dumpAfter` accepts, in pipeline order. */
export const GRAPH_PASS_NAMES: readonly string[] = [...GRAPH_PASSES.map((pass) => pass.name), FUSE_PASS_NAME];

export function optimizeGraph(input: Graph, options: OptimizeGraphOptions = {}): { graph: Graph; fused: FusedGraph } {
  const dumpAfter = options.dumpAfter;
  if (dumpAfter !== undefined && !GRAPH_PASS_NAMES.includes(dumpAfter)) {
    throw new TesseraError("E_USAGE", `unknown pass '${dumpAfter}'; passes are: ${GRAPH_PASS_NAMES.join(", ")}`);
  }
  const log = options.log ?? ((text: string) => console.error(text));
  let graph = input;
  for (const pass of GRAPH_PASSES) {
    const passOptions: GraphPassOptions = {
      bindings: options.bindings,
      ids: options.ids ?? defaultIds,
      winograd: options.winograd ?? true,
      layout: options.layout ?? "NHWC",
    };
    graph = pass.run(graph, passOptions);
    if (pass.name === dumpAfter) log(`// after ${pass.name}\n${printGraph(graph)}`);
  }
  const fused = fuseOperators(graph);
  if (dumpAfter === FUSE_PASS_NAME) log(`// after ${FUSE_PASS_NAME}\n${printFusedGraph(fused)}`);
  return { graph, fused };
}
