import { describe, it } from "node:test";
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
