import { describe, it } from "node:test";
import { attr } from "../../../src/graph/builder.js";
import type { AttributeValue } from "../../../src/graph/ir.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { assertClose, at, forEachIndex, randomTensor, runOp } from "./nn-helpers.js";

/** Scatter-form reference for 2-D ConvTranspose: every input tap adds x·w at o = i·s + k·d − padBegin. */
function referenceTranspose(
  x: TensorData,
  w: TensorData,
  bias: TensorData | null,
  options: { strides: number[]; dilations: number[]; padBegin: number[]; group: number; out: number[] },
): number[] {
  const [batch, channels] = x.shape as [number, number];
  const perGroupOut = w.shape[1]!;
  const perGroupIn = channels / options.group;
  const outChannels = perGroupOut * options.group;
  const out = new Array<number>(batch * outChannels * options.out[0]! * options.out[1]!).fill(0);
  const index = (n: number, m: number, h: number, v: number): number =>
    ((n * outChannels + m) * options.out[0]! + h) * options.out[1]! + v;
  forEachIndex(x.shape, ([n, c, i, j]) => {
    const group = Math.floor(c! / perGroupIn);
    forEachIndex(w.shape.slice(1), ([mm, kh, kw]) => {
      const h = i! * options.strides[0]! + kh! * options.dilations[0]! - options.padBegin[0]!;
      const v = j! * options.strides[1]! + kw! * options.dilations[1]! - options.padBegin[1]!;
      if (h < 0 || v < 0 || h >= options.out[0]! || v >= options.out[1]!) return;
      out[index(n!, group * perGroupOut + mm!, h, v)] += at(x, [n!, c!, i!, j!]) * at(w, [c!, mm!, kh!, kw!]);
    });
  });
  if (bias !== null)
    forEachIndex(
      [batch, outChannels, ...options.out],
      ([n, m, h, v]) => (out[index(n!, m!, h!, v!)] += at(bias, [m!])),
    );
  return out;
}

describe("ConvTranspose", () => {
  const run = (inputs: TensorData[], attributes: Record<string, AttributeValue>) =>
    runOp("ConvTranspose", inputs, attributes).results[0]!;

  it("strides, pads, dilations and bias", () => {
    const x = randomTensor([1, 2, 3, 4], 1);
    const w = randomTensor([2, 3, 3, 2], 2);
    const b = randomTensor([3], 3);
    // H: 2·2 + 2·2 + 1 − 1 − 2 = 6; W: 3·3 + 1 + 1 − 0 − 1 = 10
    const result = run([x, w, b], {
      strides: attr.ints([2, 3]),
      dilations: attr.ints([2, 1]),
      pads: attr.ints([1, 0, 2, 1]),
    });
    const options = { strides: [2, 3], dilations: [2, 1], padBegin: [1, 0], group: 1, out: [6, 10] };
    assertClose(result, [1, 3, 6, 10], referenceTranspose(x, w, b, options));
  });

  it("groups and output_padding", () => {
    const x = randomTensor([2, 4, 3, 3], 4);
    const w = randomTensor([4, 1, 3, 3], 5);
    const result = run([x, w], { group: attr.int(2), strides: attr.ints([2, 2]), output_padding: attr.ints([1, 0]) });
    const options = { strides: [2, 2], dilations: [1, 1], padBegin: [0, 0], group: 2, out: [8, 7] };
    assertClose(result, [2, 2, 8, 7], referenceTranspose(x, w, null, options));
  });

  it("output_shape picks the pads", () => {
    const x = randomTensor([1, 1, 3, 3], 6);
    const w = randomTensor([1, 2, 3, 3], 7);
    // natural size 3·2 + 3 = 9 (stride 3); asking 8 removes 1, split end-heavy: begin 1 − 0 = 1? total 1 → begin 1, end 0
    const result = run([x, w], { strides: attr.ints([3, 3]), output_shape: attr.ints([8, 9]) });
    const options = { strides: [3, 3], dilations: [1, 1], padBegin: [1, 0], group: 1, out: [8, 9] };
    assertClose(result, [1, 2, 8, 9], referenceTranspose(x, w, null, options));
  });
});
