import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, at, constantOf, float32, int64, randomTensor, runOp, tabulate, tensorOf } from "./nn-helpers.js";

const isCode = (code: string) => (error: unknown) => error instanceof TesseraError && error.code === code;

describe("Concat and Split", () => {
  const a = randomTensor([2, 1, 3], 1);
  const b = randomTensor([2, 4, 3], 2);
  const c = randomTensor([2, 2, 3], 3);

  it("Concat on a middle axis, skipping empty parts", () => {
    const empty = tensorOf("float32", [2, 0, 3], []);
    const run = runOp("Concat", [a, empty, b, c], { axis: attr.int(-2) });
    const expected = tabulate([2, 7, 3], ([i, j, k]) =>
      j! < 1 ? at(a, [i!, j!, k!]) : j! < 5 ? at(b, [i!, j! - 1, k!]) : at(c, [i!, j! - 5, k!]),
    );
    assertClose(run.results[0]!, [2, 7, 3], expected);
    assert.throws(
      () => runOp("Concat", [a, randomTensor([3, 1, 3])], { axis: attr.int(1) }),
      isCode("E_SHAPE_MISMATCH"),
    );
  });

  it("Split by sizes, equally, and by num_outputs", () => {
    const bySizes = runOp("Split", [b, constantOf(int64([1, 3]))], { axis: attr.int(1) }, { outputs: 2 });
    assertClose(
      bySizes.results[0]!,
      [2, 1, 3],
      tabulate([2, 1, 3], ([i, j, k]) => at(b, [i!, j!, k!])),
    );
    assertClose(
      bySizes.results[1]!,
      [2, 3, 3],
      tabulate([2, 3, 3], ([i, j, k]) => at(b, [i!, j! + 1, k!])),
    );
    const equal = runOp("Split", [b], { axis: attr.int(1) }, { outputs: 2 });
    assertClose(
      equal.results[1]!,
      [2, 2, 3],
      tabulate([2, 2, 3], ([i, j, k]) => at(b, [i!, j! + 2, k!])),
    );
    const uneven = runOp("Split", [float32([1, 2, 3, 4, 5])], { num_outputs: attr.int(3) }, { outputs: 3, opset: 18 });
    assertClose(uneven.results[0]!, [2], [1, 2]);
    assertClose(uneven.results[2]!, [1], [5]);
  });
});

describe("Transpose", () => {
  it("with a permutation and by default reversed", () => {
    const x = randomTensor([2, 3, 4], 4);
    const permuted = runOp("Transpose", [x], { perm: attr.ints([1, 2, 0]) });
    assertClose(
      permuted.results[0]!,
      [3, 4, 2],
      tabulate([3, 4, 2], ([i, j, k]) => at(x, [k!, i!, j!])),
    );
    const reversed = runOp("Transpose", [x]);
    assertClose(
      reversed.results[0]!,
      [4, 3, 2],
      tabulate([4, 3, 2], ([i, j, k]) => at(x, [k!, j!, i!])),
    );
  });
});

describe("Slice", () => {
  const x = randomTensor([5, 6], 5);
  const slice = (starts: number[], ends: number[], axes: number[] | null, steps: number[] | null) =>
    runOp("Slice", [
      x,
      constantOf(int64(starts)),
      constantOf(int64(ends)),
      axes === null ? null : constantOf(int64(axes)),
      steps === null ? null : constantOf(int64(steps)),
    ]).results[0]!;

  it("positive steps with clamped and negative bounds", () => {
    assertClose(
      slice([1, -4], [1000, -1], null, null),
      [4, 3],
      tabulate([4, 3], ([i, j]) => at(x, [i! + 1, j! + 2])),
    );
    assertClose(
      slice([0], [6], [1], [2]),
      [5, 3],
      tabulate([5, 3], ([i, j]) => at(x, [i!, 2 * j!])),
    );
  });

  it("negative steps", () => {
    // axis 0 from the end down to (not including) 0; axis 1 whole dim reversed by 2s
    const result = slice([-1, 1000], [0, -1000], [0, 1], [-1, -2]);
    assertClose(
      result,
      [4, 3],
      tabulate([4, 3], ([i, j]) => at(x, [4 - i!, 5 - 2 * j!])),
    );
    const reversed = slice([-1], [-1e18], [1], [-1]);
    assertClose(
      reversed,
      [5, 6],
      tabulate([5, 6], ([i, j]) => at(x, [i!, 5 - j!])),
    );
  });

  it("empty when start is past end", () => {
    assertClose(slice([3], [1], [0], null), [0, 6], []);
  });
});

describe("Expand and Tile", () => {
  it("Expand broadcasts both ways", () => {
    const x = randomTensor([3, 1], 6);
    const run = runOp("Expand", [x, constantOf(int64([2, 1, 4]))]);
    assertClose(
      run.results[0]!,
      [2, 3, 4],
      tabulate([2, 3, 4], ([, j]) => at(x, [j!, 0])),
    );
  });

  it("Tile repeats each dim", () => {
    const x = randomTensor([2, 3], 7);
    const run = runOp("Tile", [x, constantOf(int64([2, 2]))]);
    assertClose(
      run.results[0]!,
      [4, 6],
      tabulate([4, 6], ([i, j]) => at(x, [i! % 2, j! % 3])),
    );
  });
});
