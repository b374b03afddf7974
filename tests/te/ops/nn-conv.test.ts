import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, at, randomTensor, runOp, tabulate } from "./nn-helpers.js";

interface ConvParams {
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  readonly padBegin: readonly number[];
  readonly group: number;
  readonly outSpatial: readonly number[];
}

/** Naive direct convolution over any number of spatial dims. */
function referenceConv(x: TensorData, w: TensorData, bias: TensorData | null, params: ConvParams): number[] {
  const [, channels] = x.shape as [number, number];
  const [outChannels, perGroupIn] = w.shape as [number, number];
  const kernel = w.shape.slice(2);
  const perGroupOut = outChannels / params.group;
  const shape = [x.shape[0]!, outChannels, ...params.outSpatial];
  assert.equal(channels, perGroupIn * params.group);
  return tabulate(shape, ([n, m, ...out]) => {
    let sum = bias === null ? 0 : at(bias, [m!]);
    const group = Math.floor(m! / perGroupOut);
    for (let rc = 0; rc < perGroupIn; rc++) {
      forEachWindow(kernel, (window) => {
        const position = out.map(
          (o, d) => o * params.strides[d]! - params.padBegin[d]! + window[d]! * params.dilations[d]!,
        );
        if (position.some((p, d) => p < 0 || p >= x.shape[2 + d]!)) return;
        sum += at(x, [n!, group * perGroupIn + rc, ...position]) * at(w, [m!, rc, ...window]);
      });
    }
    return sum;
  });
}

function forEachWindow(kernel: readonly number[], visit: (window: number[]) => void): void {
  const total = kernel.reduce((a, b) => a * b, 1);
  for (let flat = 0; flat < total; flat++) {
    const window: number[] = [];
    let rest = flat;
    for (let d = kernel.length - 1; d >= 0; d--) {
      window.unshift(rest % kernel[d]!);
      rest = Math.floor(rest / kernel[d]!);
    }
    visit(window);
  }
}

function params(spatial: number, overrides: Partial<ConvParams> & { outSpatial: readonly number[] }): ConvParams {
  const ones = new Array<number>(spatial).fill(1);
  const zeros = new Array<number>(spatial).fill(0);
  return { strides: ones, dilations: ones, padBegin: zeros, group: 1, ...overrides };
}

describe("Conv", () => {
  it("2-D without padding, with bias", () => {
    const x = randomTensor([1, 3, 6, 5], 1);
    const w = randomTensor([4, 3, 3, 3], 2);
    const b = randomTensor([4], 3);
    const { results, tensors } = runOp("Conv", [x, w, b]);
    const expected = referenceConv(x, w, b, params(2, { outSpatial: [4, 3] }));
    assertClose(results[0]!, [1, 4, 4, 3], expected);
    assert.ok(
      !JSON.stringify(tensors[0]!.body, (key, value) => (key === "tensor" ? undefined : value)).includes('"select"'),
    );
  });

  it("2-D with asymmetric pads, strides and dilations", () => {
    const x = randomTensor([2, 2, 7, 8], 4);
    const w = randomTensor([3, 2, 3, 2], 5);
    const pads = [1, 0, 2, 1];
    const { results } = runOp("Conv", [x, w], {
      pads: attr.ints(pads),
      strides: attr.ints([2, 3]),
      dilations: attr.ints([2, 1]),
    });
    // H: (7 + 3 - 5) / 2 + 1 = 3; W: (8 + 1 - 2) / 3 + 1 = 3
    const expected = referenceConv(
      x,
      w,
      null,
      params(2, { strides: [2, 3], dilations: [2, 1], padBegin: [1, 0], outSpatial: [3, 3] }),
    );
    assertClose(results[0]!, [2, 3, 3, 3], expected);
  });

  it("grouped and depthwise", () => {
    const x = randomTensor([1, 4, 5, 5], 6);
    const grouped = randomTensor([6, 2, 3, 3], 7);
    const groupedRun = runOp("Conv", [x, grouped], { group: attr.int(2), pads: attr.ints([1, 1, 1, 1]) });
    assertClose(
      groupedRun.results[0]!,
      [1, 6, 5, 5],
      referenceConv(x, grouped, null, params(2, { group: 2, padBegin: [1, 1], outSpatial: [5, 5] })),
    );
    const depthwise = randomTensor([8, 1, 3, 3], 8);
    const bias = randomTensor([8], 9);
    const depthRun = runOp("Conv", [x, depthwise, bias], {
      group: attr.int(4),
      strides: attr.ints([2, 2]),
      pads: attr.ints([1, 1, 1, 1]),
    });
    assertClose(
      depthRun.results[0]!,
      [1, 8, 3, 3],
      referenceConv(x, depthwise, bias, params(2, { group: 4, strides: [2, 2], padBegin: [1, 1], outSpatial: [3, 3] })),
    );
  });

  it("auto_pad SAME_UPPER, SAME_LOWER and VALID", () => {
    const x = randomTensor([1, 1, 5, 6], 10);
    const w = randomTensor([2, 1, 2, 3], 11);
    // stride 2: out = ceil(5/2)=3, ceil(6/2)=3; total pad H = 2*2+2-5 = 1, W = 2*2+3-6 = 1
    const upper = runOp("Conv", [x, w], { auto_pad: attr.string("SAME_UPPER"), strides: attr.ints([2, 2]) });
    assertClose(
      upper.results[0]!,
      [1, 2, 3, 3],
      referenceConv(x, w, null, params(2, { strides: [2, 2], padBegin: [0, 0], outSpatial: [3, 3] })),
    );
    const lower = runOp("Conv", [x, w], { auto_pad: attr.string("SAME_LOWER"), strides: attr.ints([2, 2]) });
    assertClose(
      lower.results[0]!,
      [1, 2, 3, 3],
      referenceConv(x, w, null, params(2, { strides: [2, 2], padBegin: [1, 1], outSpatial: [3, 3] })),
    );
    const valid = runOp("Conv", [x, w], { auto_pad: attr.string("VALID"), pads: attr.ints([3, 3, 3, 3]) });
    assertClose(valid.results[0]!, [1, 2, 4, 4], referenceConv(x, w, null, params(2, { outSpatial: [4, 4] })));
  });

  it("1-D and 3-D", () => {
    const x1 = randomTensor([2, 3, 9], 12);
    const w1 = randomTensor([2, 3, 4], 13);
    const run1 = runOp("Conv", [x1, w1], { pads: attr.ints([2, 1]), strides: attr.ints([2]) });
    assertClose(
      run1.results[0]!,
      [2, 2, 5],
      referenceConv(x1, w1, null, params(1, { strides: [2], padBegin: [2], outSpatial: [5] })),
    );
    const x3 = randomTensor([1, 2, 4, 4, 3], 14);
    const w3 = randomTensor([2, 2, 2, 3, 2], 15);
    const run3 = runOp("Conv", [x3, w3], { pads: attr.ints([1, 1, 0, 0, 1, 1]) });
    assertClose(
      run3.results[0]!,
      [1, 2, 4, 4, 3],
      referenceConv(x3, w3, null, params(3, { padBegin: [1, 1, 0], outSpatial: [4, 4, 3] })),
    );
  });

  it("rejects channel mismatches with E_SHAPE_MISMATCH naming the node", () => {
    const x = randomTensor([1, 3, 5, 5]);
    const w = randomTensor([4, 2, 3, 3]);
    assert.throws(
      () => runOp("Conv", [x, w]),
      (error: unknown) =>
        error instanceof TesseraError && error.code === "E_SHAPE_MISMATCH" && error.message.includes("Conv_"),
    );
  });
});
