import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, at, constantOf, float32, int64, randomTensor, runOp, tabulate } from "./nn-helpers.js";

const isCode = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;

describe("Pad", () => {
  const x = randomTensor([3, 4], 1);
  const pads = constantOf(int64([1, 2, 2, 1]));
  const shape = [6, 7];
  const reference = (map: (position: number, extent: number) => number | null): number[] =>
    tabulate(shape, ([i, j]) => {
      const row = map(i! - 1, 3);
      const column = map(j! - 2, 4);
      return row === null || column === null ? 0.5 : at(x, [row, column]);
    });

  it("constant, with a fill value input", () => {
    const run = runOp("Pad", [x, pads, float32([0.5], [])]);
    assertClose(
      run.results[0]!,
      shape,
      reference((p, n) => (p < 0 || p >= n ? null : p)),
    );
  });

  it("reflect", () => {
    const run = runOp("Pad", [x, pads], { mode: attr.string("reflect") });
    assertClose(
      run.results[0]!,
      shape,
      reference((p, n) => (p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p)),
    );
  });

  it("edge", () => {
    const run = runOp("Pad", [x, pads], { mode: attr.string("edge") });
    assertClose(
      run.results[0]!,
      shape,
      reference((p, n) => Math.min(Math.max(p, 0), n - 1)),
    );
  });

  it("wrap, and negative pads crop", () => {
    const wrap = runOp("Pad", [x, pads], { mode: attr.string("wrap") });
    assertClose(
      wrap.results[0]!,
      shape,
      reference((p, n) => ((p % n) + n) % n),
    );
    const crop = runOp("Pad", [x, constantOf(int64([-1, 0, 0, -2]))]);
    assertClose(
      crop.results[0]!,
      [2, 2],
      tabulate([2, 2], ([i, j]) => at(x, [i! + 1, j!])),
    );
  });

  it("pads only the given axes", () => {
    const run = runOp("Pad", [x, constantOf(int64([1, 1])), null, constantOf(int64([-1]))], {}, { opset: 18 });
    assertClose(
      run.results[0]!,
      [3, 6],
      tabulate([3, 6], ([i, j]) => (j! === 0 || j! === 5 ? 0 : at(x, [i!, j! - 1]))),
    );
  });
});

/** Resize reference over the last two dims of an [N, C, H, W] tensor, in float64. */
function referenceResize(
  x: TensorData,
  out: [number, number],
  scales: [number, number],
  coordinate: (o: number, scale: number, input: number, output: number) => number,
  mode: "nearest" | "linear",
): number[] {
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const sizes = [height, width];
  return tabulate([n, c, ...out], ([b, ch, oh, ow]) => {
    const source = [oh!, ow!].map((o, axis) => coordinate(o, scales[axis]!, sizes[axis]!, out[axis]!));
    if (mode === "nearest") {
      const [h, w] = source.map((value, axis) => Math.min(Math.max(Math.ceil(value - 0.5), 0), sizes[axis]! - 1));
      return at(x, [b!, ch!, h!, w!]);
    }
    const clamped = source.map((value, axis) => Math.min(Math.max(value, 0), sizes[axis]! - 1));
    const low = clamped.map(Math.floor);
    const high = low.map((value, axis) => Math.min(value + 1, sizes[axis]! - 1));
    const fraction = clamped.map((value, axis) => value - low[axis]!);
    let sum = 0;
    for (const [useH, useW] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const) {
      const weight = (useH ? fraction[0]! : 1 - fraction[0]!) * (useW ? fraction[1]! : 1 - fraction[1]!);
      sum += weight * at(x, [b!, ch!, useH ? high[0]! : low[0]!, useW ? high[1]! : low[1]!]);
    }
    return sum;
  });
}

const halfPixel = (o: number, scale: number): number => (o + 0.5) / scale - 0.5;
const alignCorners = (o: number, _scale: number, input: number, output: number): number =>
  output === 1 ? 0 : (o * (input - 1)) / (output - 1);

describe("Resize", () => {
  const x = randomTensor([1, 2, 4, 5], 2);
  const scales = (values: number[]) => constantOf(float32(values));

  it("nearest upsampling by scales (half_pixel, round_prefer_floor)", () => {
    const run = runOp("Resize", [x, null, scales([1, 1, 2, 1.5])], { mode: attr.string("nearest") }, { opset: 13 });
    assertClose(run.results[0]!, [1, 2, 8, 7], referenceResize(x, [8, 7], [2, 1.5], halfPixel, "nearest"));
  });

  it("bilinear downsampling by sizes (half_pixel)", () => {
    const run = runOp(
      "Resize",
      [x, null, null, constantOf(int64([1, 2, 3, 3]))],
      { mode: attr.string("linear") },
      { opset: 13 },
    );
    assertClose(run.results[0]!, [1, 2, 3, 3], referenceResize(x, [3, 3], [3 / 4, 3 / 5], halfPixel, "linear"), 1e-5);
  });

  it("bilinear upsampling with align_corners", () => {
    const attributes = { mode: attr.string("linear"), coordinate_transformation_mode: attr.string("align_corners") };
    const run = runOp("Resize", [x, null, null, constantOf(int64([1, 2, 7, 9]))], attributes, { opset: 13 });
    assertClose(
      run.results[0]!,
      [1, 2, 7, 9],
      referenceResize(x, [7, 9], [7 / 4, 9 / 5], alignCorners, "linear"),
      1e-5,
    );
  });

  it("refuses cubic and run-time scales", () => {
    assert.throws(
      () => runOp("Resize", [x, null, scales([1, 1, 2, 2])], { mode: attr.string("cubic") }),
      isCode("E_UNSUPPORTED_ATTRIBUTE"),
    );
    assert.throws(() => runOp("Resize", [x, null, float32([1, 1, 2, 2])]), isCode("E_DYNAMIC_SHAPE"));
  });
});
