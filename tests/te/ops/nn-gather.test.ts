import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { TesseraError } from "../../../src/support/errors.js";
import { attr } from "../../../src/graph/builder.js";
import { assertClose, at, constantOf, int64, randomTensor, runOp, tabulate, tensorOf } from "./nn-helpers.js";

describe("Gather family", () => {
  const data = randomTensor([4, 3, 2], 1);

  it("Gather on axis 1 with negative indices", () => {
    const indices = int64([-1, 0, 2, -3], [2, 2]);
    const run = runOp("Gather", [data, indices], { axis: attr.int(1) });
    const wrapped = [2, 0, 2, 0];
    const expected = tabulate([4, 2, 2, 2], ([i, p, q, k]) => at(data, [i!, wrapped[p! * 2 + q!]!, k!]));
    assertClose(run.results[0]!, [4, 2, 2, 2], expected);
  });

  it("Gather with a constant scalar index and int32 indices", () => {
    const scalar = runOp("Gather", [data, constantOf(int64([-2], []))]);
    assertClose(
      scalar.results[0]!,
      [3, 2],
      tabulate([3, 2], ([j, k]) => at(data, [2, j!, k!])),
    );
    const int32 = runOp("Gather", [data, tensorOf("int32", [3], [3, 1, -4])]);
    const rows = [3, 1, 0];
    assertClose(
      int32.results[0]!,
      [3, 3, 2],
      tabulate([3, 3, 2], ([p, j, k]) => at(data, [rows[p!]!, j!, k!])),
    );
  });

  it("GatherElements", () => {
    const matrix = randomTensor([3, 3], 2);
    const indices = int64([1, 2, 0, 2, 0, -1], [2, 3]);
    const run = runOp("GatherElements", [matrix, indices], { axis: attr.int(0) });
    const rows = [1, 2, 0, 2, 0, 2];
    assertClose(
      run.results[0]!,
      [2, 3],
      tabulate([2, 3], ([i, j]) => at(matrix, [rows[i! * 3 + j!]!, j!])),
    );
  });

  it("GatherND with and without batch_dims", () => {
    const indices = int64([0, 1, 3, 2, -1, 0], [3, 2]);
    const plain = runOp("GatherND", [data, indices]);
    const pairs = [
      [0, 1],
      [3, 2],
      [3, 0],
    ];
    assertClose(
      plain.results[0]!,
      [3, 2],
      tabulate([3, 2], ([p, k]) => at(data, [pairs[p!]![0]!, pairs[p!]![1]!, k!])),
    );
    const batched = runOp("GatherND", [data, int64([2, 0, 1, 1], [4, 1])], { batch_dims: attr.int(1) });
    const picks = [2, 0, 1, 1];
    assertClose(
      batched.results[0]!,
      [4, 2],
      tabulate([4, 2], ([b, k]) => at(data, [b!, picks[b!]!, k!])),
    );
  });
});

describe("Scatter family (constant indices)", () => {
  it("ScatterElements with duplicate indices adds in order", () => {
    const data = randomTensor([3, 3], 3);
    const updates = randomTensor([1, 3], 4);
    const indices = constantOf(int64([1, -1, 1], [1, 3]));
    const run = runOp("ScatterElements", [data, indices, updates], {
      axis: attr.int(1),
      reduction: attr.string("add"),
    });
    const expected = tabulate([3, 3], ([i, j]) => {
      if (i !== 0) return at(data, [i!, j!]);
      if (j === 1) return at(data, [0, 1]) + at(updates, [0, 0]) + at(updates, [0, 2]);
      if (j === 2) return at(data, [0, 2]) + at(updates, [0, 1]);
      return at(data, [0, 0]);
    });
    assertClose(run.results[0]!, [3, 3], expected);
  });

  it("ScatterND replaces slices, and run-time indices are E_DYNAMIC_SHAPE", () => {
    const data = randomTensor([4, 2], 5);
    const updates = randomTensor([2, 2], 6);
    const run = runOp("ScatterND", [data, constantOf(int64([3, 0], [2, 1])), updates]);
    const rows = new Map([
      [3, 0],
      [0, 1],
    ]);
    const expected = tabulate([4, 2], ([i, j]) =>
      rows.has(i!) ? at(updates, [rows.get(i!)!, j!]) : at(data, [i!, j!]),
    );
    assertClose(run.results[0]!, [4, 2], expected);
    assert.throws(
      () => runOp("ScatterND", [data, int64([3, 0], [2, 1]), updates]),
      (error: unknown) => error instanceof TesseraError && error.code === "E_DYNAMIC_SHAPE",
    );
  });
});
