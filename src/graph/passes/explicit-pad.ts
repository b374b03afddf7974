/**
 * Gives channels-last dense convolutions an explicitly padded input: a Pad
 * node writes the zero border once, and the Conv reads it with pads 0.
 *
 * Why: a Conv that pads on its own tests every input load against the
 * border. Loop partitioning (schedule/partition-loops.ts) removes the tests
 * from the middle rows and row blocks, but the border blocks keep a select
 * (and, in the fused window-column/channel loop, a division) per load, and
 * on small images most blocks touch the border: AlexNet's 5×5 conv on
 * 27×27 ran at 29 GFLOP/s, Inception's 1×7 on 17×17 at 26. The padded copy
 * costs one pass over the input; the convolution reads each input element
 * k_h·k_w·M/8 times.
 *
 * Requires: convert-layout has run (the convs it converts read NHWC [N, H, W, C]).
 * Qualifies: an ai.tessera Conv with data_layout NHWC, 2-D, group 1, that
 * runs the dense micro-kernel (te/ops/nn/conv.ts convIsDense: constant
 * packed weights), a window larger than 1×1 and a nonzero pad. Depthwise
 * convs keep their own padding: they are memory-bound, and a copy would
 * double their traffic; so do grouped ones (ResNeXt's measured no faster
 * with the copy, which then cost its own pass). (3×3 stride-1 convs that Winograd rewrote
 * have no Conv left.)
 * Ensures: the same outputs bit for bit (the padded positions hold the
 * zeros the Conv's own padding would have read).
 */
import { type IdSource, defaultIds, makeConstantValue, makeNode, makeValue, rewriteGraph } from "../builder.js";
import type { Node, Value, Graph } from "../ir.js";
import { isStaticShape } from "../ir.js";
import { makePlaceholderContext } from "../fold-node.js";
import { makeTensorData } from "../../support/tensor-data.js";
import { TESSERA_DOMAIN } from "../../te/ops/registry.js";
import { DATA_LAYOUT } from "../../te/ops/nn/channels-last.js";
import { convGroup, convIsDense } from "../../te/ops/nn/conv.js";
import { windowGeometry } from "../../te/ops/nn/window.js";

/** Opset of the Pad node created (pads as an input). */
const CREATED_OPSET = 13;

export function explicitPad(graph: Graph, ids: IdSource = defaultIds): Graph {
  return rewriteGraph(graph, (node) => {
    const pads = qualifyingPads(node);
    return pads === null ? undefined : padInput(node, pads, ids);
  });
}

/** The conv's spatial pads [top, left, bottom, right] when it qualifies (see the file comment), else null. */
function qualifyingPads(node: Node): readonly number[] | null {
  if (node.opType !== "Conv" || node.domain !== TESSERA_DOMAIN) return null;
  const layout = node.attributes.get(DATA_LAYOUT);
  if (layout?.kind !== "string" || layout.value !== "NHWC" || !convIsDense(node, true) || convGroup(node) !== 1) {
    return null;
  }
  const [x, w] = node.inputs;
  if (x === null || x === undefined || w?.constant === undefined) return null;
  if (!isStaticShape(x.shape) || x.shape.length !== 4 || w.constant.shape.length !== 4) return null;
  const kernel = w.constant.shape.slice(2);
  if (kernel.every((extent) => extent === 1)) return null;
  const geometry = windowGeometry(makePlaceholderContext(node), x.shape.slice(1, 3), kernel);
  const pads = [...geometry.padBegin, ...geometry.padEnd];
  return pads.some((pad) => pad !== 0) ? pads : null;
}

/** Pad(X) → Conv with pads 0 (and auto_pad dropped). */
function padInput(node: Node, pads: readonly number[], ids: IdSource): Node[] {
  const x = node.inputs[0] as Value;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const [top, left, bottom, right] = pads as [number, number, number, number];
  const name = (suffix: string): string => `${node.name}_${suffix}`;
  const padsValue = makeConstantValue(
    name("pads"),
    makeTensorData("int64", [8], BigInt64Array.from([0, top, left, 0, 0, bottom, right, 0].map(BigInt))),
    ids,
  );
  const padded = makeValue(
    name("padded"),
    x.dtype,
    [batch, height + top + bottom, width + left + right, channels],
    undefined,
    ids,
  );
  const attributes = new Map(node.attributes);
  attributes.delete("auto_pad");
  attributes.set("pads", { kind: "ints", value: [0, 0, 0, 0] });
  return [
    makeNode(
      { name: name("pad"), opType: "Pad", opset: CREATED_OPSET, inputs: [x, padsValue], outputs: [padded] },
      ids,
    ),
    { ...node, inputs: [padded, ...node.inputs.slice(1)], attributes },
  ];
}
