/**
 * Convolutions with constant weights take the packed implicit-GEMM path
 * (weights re-laid in 8-channel panels at compile time). Each variant here
 * is compiled and run through the public API and compared with
 * onnxruntime-node: output channels not a multiple of 8 (or of 4: the
 * channels-last taps layout with overlapping column blocks), strides, groups,
 * dilations, asymmetric pads, 1×1 and 1-D/3-D convolutions, and small
 * spatial sizes where the width does not split by 4.
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import { pseudoRandom, size } from "../support/random.js";
import { convModel, THREADS_AND_LAYOUTS } from "../support/conv-model.js";

interface Variant {
  readonly name: string;
  readonly input: readonly number[];
  readonly weights: readonly number[];
  readonly attributes: Readonly<Record<string, number | readonly number[]>>;
}

const VARIANTS: readonly Variant[] = [
  {
    name: "Co=12 (not a multiple of 8), 3x3 pad 1",
    input: [1, 5, 9, 11],
    weights: [12, 5, 3, 3],
    attributes: { pads: [1, 1, 1, 1] },
  },
  {
    name: "stride 2, 3x3, odd sizes",
    input: [1, 8, 13, 15],
    weights: [16, 8, 3, 3],
    attributes: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: "groups 2 with 8 channels per group",
    input: [1, 6, 10, 10],
    weights: [16, 3, 3, 3],
    attributes: { group: 2, pads: [1, 1, 1, 1] },
  },
  {
    name: "dilation 2, asymmetric pads",
    input: [1, 4, 12, 12],
    weights: [8, 4, 3, 3],
    attributes: { dilations: [2, 2], pads: [2, 1, 0, 3] },
  },
  { name: "1x1 stride 2", input: [1, 16, 14, 14], weights: [24, 16, 1, 1], attributes: { strides: [2, 2] } },
  { name: "7x7 spatial, 3x3", input: [1, 32, 7, 7], weights: [40, 32, 3, 3], attributes: { pads: [1, 1, 1, 1] } },
  {
    name: "7x7 kernel stride 2 (stem)",
    input: [1, 3, 23, 23],
    weights: [8, 3, 7, 7],
    attributes: { strides: [2, 2], pads: [3, 3, 3, 3] },
  },
  {
    name: "depthwise stride 2, odd size",
    input: [1, 12, 13, 13],
    weights: [12, 1, 3, 3],
    attributes: { group: 12, strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  {
    name: "depthwise, 6 channels",
    input: [1, 6, 9, 9],
    weights: [6, 1, 3, 3],
    attributes: { group: 6, pads: [1, 1, 1, 1] },
  },
  { name: "Co=58 1x1 (overlapping column blocks)", input: [1, 58, 6, 7], weights: [58, 58, 1, 1], attributes: {} },
  {
    name: "Co=10 3x3 stride 2 (overlapping column blocks)",
    input: [1, 7, 11, 9],
    weights: [10, 7, 3, 3],
    attributes: { strides: [2, 2], pads: [1, 1, 1, 1] },
  },
  { name: "Co=6 1x1 (fewer channels than a block)", input: [1, 5, 4, 6], weights: [6, 5, 1, 1], attributes: {} },
  {
    name: "groups 8 with 4 channels per group",
    input: [1, 32, 9, 10],
    weights: [32, 4, 3, 3],
    attributes: { group: 8, pads: [1, 1, 1, 1] },
  },
  {
    name: "groups 3 with 2 channels per group",
    input: [1, 6, 7, 7],
    weights: [6, 2, 3, 3],
    attributes: { group: 3, pads: [1, 1, 1, 1] },
  },
  {
    name: "5x5 pad 2 (explicitly padded input)",
    input: [1, 8, 9, 11],
    weights: [16, 8, 5, 5],
    attributes: { pads: [2, 2, 2, 2] },
  },
  { name: "1x7 pad (0, 3)", input: [1, 8, 6, 9], weights: [8, 8, 1, 7], attributes: { pads: [0, 3, 0, 3] } },
  { name: "1-D", input: [1, 6, 20], weights: [10, 6, 5], attributes: { pads: [2, 2] } },
  { name: "3-D", input: [1, 2, 5, 6, 7], weights: [9, 2, 3, 3, 3], attributes: { pads: [1, 1, 1, 1, 1, 1] } },
];

for (const [index, variant] of VARIANTS.entries()) {
  for (const [threads, layout] of THREADS_AND_LAYOUTS) {
    test(`Conv ${variant.name} matches onnxruntime-node at ${threads} thread(s), ${layout}`, async () => {
      const bytes = convModel({ ...variant, epilogue: "relu", weightSeed: 11 + index, biasSeed: 97 + index });
      const data = pseudoRandom(size(variant.input), 5 + index);
      await expectMatchesOrt(bytes, { x: { dtype: "float32", data, dims: variant.input } }, { threads, layout });
    });
  }
}
