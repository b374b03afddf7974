import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import type { AttributeValue } from "../../../src/graph/ir.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, at, float32, randomTensor, runOp, tabulate } from "./nn-helpers.js";

interface PoolParams {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly padBegin: readonly number[];
  readonly padEnd: readonly number[];
  readonly dilations?: readonly number[];
  readonly outSpatial: readonly number[];
}

/** Naive 2-D pooling; `kind` selects max, average (with or without pads counted) or L2. */
function referencePool(x: TensorData, kind: "max" | "average" | "average-pad" | "l2", params: PoolParams): number[] {
  const [batch, channels, height, width] = x.shape as [number, number, number, number];
  const dilations = params.dilations ?? [1, 1];
  return tabulate([batch, channels, ...params.outSpatial], ([n, c, oh, ow]) => {
    let max = -Infinity;
    let sum = 0;
    let inside = 0;
    let padded = 0;
    for (let kh = 0; kh < params.kernel[0]!; kh++) {
      for (let kw = 0; kw < params.kernel[1]!; kw++) {
        const h = oh! * params.strides[0]! - params.padBegin[0]! + kh * dilations[0]!;
        const w = ow! * params.strides[1]! - params.padBegin[1]! + kw * dilations[1]!;
        if (h < height + params.padEnd[0]! && w < width + params.padEnd[1]!) padded++;
        if (h < 0 || w < 0 || h >= height || w >= width) continue;
        const value = at(x, [n!, c!, h, w]);
        max = Math.max(max, value);
        sum += kind === "l2" ? value * value : value;
        inside++;
      }
    }
    switch (kind) {
      case "max":
        return max;
      case "average":
        return sum / inside;
      case "average-pad":
        return sum / padded;
      case "l2":
        return Math.sqrt(sum);
    }
  });
}

function run(op: string, x: TensorData, attributes: Record<string, AttributeValue>): TensorData {
  return runOp(op, [x], attributes).results[0]!;
}

describe("MaxPool", () => {
  it("with pads, strides and ceil_mode", () => {
    const x = randomTensor([1, 2, 7, 6], 1);
    const attributes = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) };
    // floor: (7+2-3)/2+1 = 4, (6+2-3)/2+1 = 3; ceil: 4 and 4 (last window starts at 5 < 6+1)
    const floorParams = { kernel: [3, 3], strides: [2, 2], padBegin: [1, 1], padEnd: [1, 1], outSpatial: [4, 3] };
    assertClose(run("MaxPool", x, attributes), [1, 2, 4, 3], referencePool(x, "max", floorParams));
    const ceil = run("MaxPool", x, { ...attributes, ceil_mode: attr.int(1) });
    assertClose(ceil, [1, 2, 4, 4], referencePool(x, "max", { ...floorParams, outSpatial: [4, 4] }));
  });

  it("with dilations and SAME_UPPER", () => {
    const x = randomTensor([2, 1, 6, 6], 2);
    const dilated = run("MaxPool", x, { kernel_shape: attr.ints([2, 2]), dilations: attr.ints([2, 2]) });
    assertClose(
      dilated,
      [2, 1, 4, 4],
      referencePool(x, "max", {
        kernel: [2, 2],
        strides: [1, 1],
        padBegin: [0, 0],
        padEnd: [0, 0],
        dilations: [2, 2],
        outSpatial: [4, 4],
      }),
    );
    const same = run("MaxPool", x, {
      kernel_shape: attr.ints([3, 2]),
      strides: attr.ints([2, 2]),
      auto_pad: attr.string("SAME_UPPER"),
    });
    // H: out 3, total pad 2*2+3-6 = 1 → [0,1]; W: out 3, total 2*2+2-6 = 0
    assertClose(
      same,
      [2, 1, 3, 3],
      referencePool(x, "max", {
        kernel: [3, 2],
        strides: [2, 2],
        padBegin: [0, 0],
        padEnd: [1, 0],
        outSpatial: [3, 3],
      }),
    );
  });

  it("refuses the Indices output", () => {
    const x = randomTensor([1, 1, 4, 4]);
    assert.throws(
      () => runOp("MaxPool", [x], { kernel_shape: attr.ints([2, 2]) }, { outputs: 2 }),
      (error: unknown) => error instanceof TesseraError && error.code === "E_UNSUPPORTED_ATTRIBUTE",
    );
  });
});

describe("AveragePool", () => {
  const x = randomTensor([1, 2, 5, 6], 3);
  const attributes = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) };
  const params = { kernel: [3, 3], strides: [2, 2], padBegin: [1, 1], padEnd: [1, 1], outSpatial: [3, 3] };

  it("excludes pads from the count by default", () => {
    assertClose(run("AveragePool", x, attributes), [1, 2, 3, 3], referencePool(x, "average", params));
  });

  it("counts pads with count_include_pad", () => {
    const counted = run("AveragePool", x, { ...attributes, count_include_pad: attr.int(1) });
    assertClose(counted, [1, 2, 3, 3], referencePool(x, "average-pad", params));
  });

  it("ceil_mode windows past the end count only what they cover", () => {
    const y = randomTensor([1, 1, 6, 6], 4);
    const ceil = { kernel_shape: attr.ints([3, 3]), strides: attr.ints([2, 2]), ceil_mode: attr.int(1) };
    const ceilParams = { kernel: [3, 3], strides: [2, 2], padBegin: [0, 0], padEnd: [0, 0], outSpatial: [3, 3] };
    assertClose(run("AveragePool", y, ceil), [1, 1, 3, 3], referencePool(y, "average", ceilParams));
    assertClose(
      run("AveragePool", y, { ...ceil, count_include_pad: attr.int(1) }),
      [1, 1, 3, 3],
      referencePool(y, "average-pad", ceilParams),
    );
  });

  it("matches onnx's averagepool_2d_pads example", () => {
    const small = float32([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const result = run("AveragePool", small, { kernel_shape: attr.ints([2, 2]), pads: attr.ints([1, 1, 1, 1]) });
    assertClose(result, [1, 1, 4, 4], [1, 1.5, 2.5, 3, 2.5, 3, 4, 4.5, 5.5, 6, 7, 7.5, 7, 7.5, 8.5, 9]);
  });
});

describe("LpPool and global pools", () => {
  it("LpPool p=2", () => {
    const x = randomTensor([1, 2, 4, 5], 5);
    const result = run("LpPool", x, { kernel_shape: attr.ints([2, 3]), pads: attr.ints([1, 0, 0, 1]), p: attr.int(2) });
    assertClose(
      result,
      [1, 2, 4, 4],
      referencePool(x, "l2", { kernel: [2, 3], strides: [1, 1], padBegin: [1, 0], padEnd: [0, 1], outSpatial: [4, 4] }),
    );
  });

  it("GlobalAveragePool, GlobalMaxPool, GlobalLpPool", () => {
    const x = randomTensor([2, 3, 4, 5], 6);
    const values = (n: number, c: number): number[] => tabulate([4, 5], ([h, w]) => at(x, [n, c, h!, w!]));
    const mean = tabulate([2, 3, 1, 1], ([n, c]) => values(n!, c!).reduce((a, b) => a + b, 0) / 20);
    const max = tabulate([2, 3, 1, 1], ([n, c]) => Math.max(...values(n!, c!)));
    const l2 = tabulate([2, 3, 1, 1], ([n, c]) => Math.sqrt(values(n!, c!).reduce((a, b) => a + b * b, 0)));
    assertClose(run("GlobalAveragePool", x, {}), [2, 3, 1, 1], mean);
    assertClose(run("GlobalMaxPool", x, {}), [2, 3, 1, 1], max);
    assertClose(run("GlobalLpPool", x, {}), [2, 3, 1, 1], l2);
  });
});
