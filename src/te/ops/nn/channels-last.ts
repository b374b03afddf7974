/**
 * Channels-last forms of layout-carrying ops (Conv, pools, the Winograd
 * transforms), for graph/passes/convert-layout.ts. A node of the
 * "ai.tessera" domain with `data_layout = "NHWC"` takes and/or gives its
 * activation as [N, spatial…, C] instead of [N, C, spatial…].
 *
 * There is one definition per op: the channels-last form views its NHWC
 * input as the NCHW tensor the ONNX definition expects (an index
 * permutation that lowering inlines), and reorders the dims of that
 * definition's result (te/tensor.ts withAxisOrder). Nothing is copied: the
 * kernel's loops run over the NHWC output with the channel innermost and
 * read the input at NHWC addresses (channel vectors are contiguous).
 */
import type { Expr } from "../../expr.js";
import { tload } from "../../expr.js";
import { type TeTensor, compute, withAxisOrder } from "../../tensor.js";
import type { OpBuildContext, OpDefinition, OpInput } from "../../op.js";
import { unsupported } from "../../builders.js";

export const DATA_LAYOUT = "data_layout";
export type DataLayout = "NCHW" | "NHWC";

/** Which of the op's activations carry the layout: its input 0, its output 0, or both. */
export interface LayoutCarriers {
  readonly input: boolean;
  readonly output: boolean;
}

const BOTH: LayoutCarriers = { input: true, output: true };

/**
 * The ops that have a channels-last form, by op type, with the activations
 * that carry the layout. ONNX ops move into the "ai.tessera" domain under
 * the same name; the Winograd transforms live there already (their other
 * sides, the transformed tiles and products, have no layout).
 */
export const CHANNELS_LAST_FORMS: ReadonlyMap<string, LayoutCarriers> = new Map([
  ["Conv", BOTH],
  ["MaxPool", BOTH],
  ["AveragePool", BOTH],
  ["GlobalAveragePool", BOTH],
  ["GlobalMaxPool", BOTH],
  ["WinogradInput", { input: true, output: false }],
  ["WinogradOutput", { input: false, output: true }],
]);

/** Permutation taking NCHW dims to NHWC positions: [0, 2, …, rank−1, 1]. */
export function toChannelsLast(rank: number): number[] {
  return [0, ...Array.from({ length: rank - 2 }, (_, dim) => dim + 2), 1];
}

/** Permutation taking NHWC dims back to NCHW positions: [0, rank−1, 1, …, rank−2]. */
export function toChannelsFirst(rank: number): number[] {
  return [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, dim) => dim + 1)];
}

/** A view of `tensor` with its dims reordered (dim d is the tensor's dim perm[d]); lowering inlines it. */
export function permutedView(tensor: TeTensor, perm: readonly number[], name: string): TeTensor {
  const shape = perm.map((dim) => tensor.shape[dim]!);
  return compute(name, shape, (indices) => {
    const source = new Array<Expr>(perm.length);
    perm.forEach((from, to) => {
      source[from] = indices[to]!;
    });
    return tload(tensor, source);
  });
}

/** The node's data_layout (NCHW unless a channels-last form): ops with internal stages order them by it. */
export function layoutOf(context: OpBuildContext): DataLayout {
  const layout = context.attributes.string(DATA_LAYOUT, "NCHW");
  if (layout !== "NCHW" && layout !== "NHWC") throw unsupported(context.node, `${DATA_LAYOUT} '${layout}'`);
  return layout;
}

/** The definition's channels-last form, selected per node by its data_layout attribute. */
export function withDataLayout(definition: OpDefinition, carriers: LayoutCarriers): OpDefinition {
  return {
    pattern: (context) => definition.pattern(channelsFirstContext(context, carriers)),
    build: (context) => {
      if (layoutOf(context) === "NCHW") return definition.build(context);
      const results = definition.build(channelsFirstContext(context, carriers));
      if (!carriers.output) return results;
      return results.map((result, index) =>
        result === null || index > 0
          ? result
          : withAxisOrder(result, toChannelsLast(result.shape.length), context.outputNames[index]!),
      );
    },
  };
}

/** The context the NCHW definition sees: input 0 viewed as NCHW when it carries the layout. */
function channelsFirstContext(context: OpBuildContext, carriers: LayoutCarriers): OpBuildContext {
  const first = context.inputs[0];
  if (!carriers.input || first === null || first === undefined || layoutOf(context) === "NCHW") return context;
  const view = permutedView(first.tensor, toChannelsFirst(first.tensor.shape.length), `${first.tensor.name}_nchw`);
  const input: OpInput = { tensor: view, constant: null };
  return { ...context, inputs: [input, ...context.inputs.slice(1)] };
}
