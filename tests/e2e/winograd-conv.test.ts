/**
 * 3×3 and 5×5 stride-1 convolutions take the Winograd F(2×2, 3×3) and
 * F(2×2, 5×5) paths (graph/passes/winograd-conv.ts): input transform, batched MatMul against
 * weights transformed at compile time, output transform with the conv's
 * epilogue. Each variant is compiled through the public API and compared
 * with onnxruntime-node at 1 and 2 threads: odd output sizes (partial
 * tiles), no padding, asymmetric pads, batch 2, channels not a multiple of
 * 8, and a residual Add + Relu epilogue.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { lowerModel } from "../../src/compiler/compile-model.js";
import { pseudoRandom, size } from "../support/random.js";
import { convModel, THREADS_AND_LAYOUTS } from "../support/conv-model.js";

interface Variant {
  readonly name: string;
  readonly input: readonly [number, number, number, number];
  readonly outChannels: number;
  readonly pads: readonly [number, number, number, number];
  readonly residual?: boolean;
  /** Kernel size (default 3). */
  readonly kernel?: number;
}

const VARIANTS: readonly Variant[] = [
  { name: "16→16, 8×8, pad 1", input: [1, 16, 8, 8], outChannels: 16, pads: [1, 1, 1, 1] },
  { name: "odd 7×9 output, 16→20", input: [1, 16, 7, 9], outChannels: 20, pads: [1, 1, 1, 1] },
  { name: "no padding, 32→16, 9×6 input", input: [1, 32, 9, 6], outChannels: 16, pads: [0, 0, 0, 0] },
  { name: "asymmetric pads, 16→24", input: [1, 16, 6, 7], outChannels: 24, pads: [0, 2, 2, 1] },
  { name: "batch 2, 20→16, 5×5", input: [2, 20, 5, 5], outChannels: 16, pads: [1, 1, 1, 1] },
  {
    name: "residual add and relu, 16→16, 10×10",
    input: [1, 16, 10, 10],
    outChannels: 16,
    pads: [1, 1, 1, 1],
    residual: true,
  },
  { name: "5×5 kernel, 16→16, 9×9, pad 2", input: [1, 16, 9, 9], outChannels: 16, pads: [2, 2, 2, 2], kernel: 5 },
  {
    name: "5×5 kernel, odd 7×10 output, no padding, 20→24",
    input: [1, 20, 11, 14],
    outChannels: 24,
    pads: [0, 0, 0, 0],
    kernel: 5,
  },
  {
    name: "5×5 kernel, asymmetric pads, residual add and relu, 32→32, 8×8",
    input: [1, 32, 8, 8],
    outChannels: 32,
    pads: [2, 1, 2, 3],
    residual: true,
    kernel: 5,
  },
];

function modelOf(variant: Variant, index: number): Uint8Array {
  return convModel({
    input: variant.input,
    weights: [variant.outChannels, variant.input[1], variant.kernel ?? 3, variant.kernel ?? 3],
    attributes: { pads: variant.pads },
    epilogue: variant.residual === true ? "residual-relu" : "relu",
    weightSeed: 11 + index,
    biasSeed: 97 + index,
  });
}

for (const [index, variant] of VARIANTS.entries()) {
  test(`Winograd conv ${variant.name}: the conv is rewritten`, () => {
    const lowered = lowerModel({ bytes: modelOf(variant, index) });
    const ops = lowered.graph.nodes.map((node) => node.opType).filter((op) => op !== "Transpose");
    assert.deepEqual(ops.slice(0, 4), ["WinogradInput", "Reshape", "MatMul", "WinogradOutput"]);
    assert.ok(!ops.includes("Conv"));
  });
  for (const [threads, layout] of THREADS_AND_LAYOUTS) {
    test(`Winograd conv ${variant.name} matches onnxruntime-node at ${threads} thread(s), ${layout}`, async () => {
      const data = pseudoRandom(size(variant.input), 5 + index);
      const feeds = { x: { dtype: "float32", data, dims: variant.input } } as const;
      await expectMatchesOrt(modelOf(variant, index), feeds, { threads, layout });
    });
  }
}
