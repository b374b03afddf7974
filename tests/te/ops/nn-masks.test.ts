import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { assertClose, at, constantOf, float32, int64, randomTensor, runOp, tabulate, tensorOf } from "./nn-helpers.js";

describe("Trilu, EyeLike, OneHot", () => {
  const x = randomTensor([2, 3, 4], 1);

  it("Trilu upper and lower with k", () => {
    const upper = runOp("Trilu", [x, constantOf(int64([1], []))]);
    assertClose(
      upper.results[0]!,
      [2, 3, 4],
      tabulate([2, 3, 4], ([b, i, j]) => (j! - i! >= 1 ? at(x, [b!, i!, j!]) : 0)),
    );
    const lower = runOp("Trilu", [x, constantOf(int64([-1], []))], { upper: attr.int(0) });
    assertClose(
      lower.results[0]!,
      [2, 3, 4],
      tabulate([2, 3, 4], ([b, i, j]) => (j! - i! <= -1 ? at(x, [b!, i!, j!]) : 0)),
    );
  });

  it("Trilu with k given at run time", () => {
    const run = runOp("Trilu", [x, int64([-1], [])], { upper: attr.int(1) });
    assertClose(
      run.results[0]!,
      [2, 3, 4],
      tabulate([2, 3, 4], ([b, i, j]) => (j! - i! >= -1 ? at(x, [b!, i!, j!]) : 0)),
    );
    const far = runOp("Trilu", [x, int64([1e12], [])]);
    assertClose(far.results[0]!, [2, 3, 4], new Array(24).fill(0));
  });

  it("EyeLike with k and a dtype", () => {
    const run = runOp("EyeLike", [randomTensor([3, 4])], { k: attr.int(1), dtype: attr.int(6) });
    assert.equal(run.results[0]!.dtype, "int32");
    assertClose(
      run.results[0]!,
      [3, 4],
      tabulate([3, 4], ([i, j]) => (j! - i! === 1 ? 1 : 0)),
    );
  });

  it("OneHot on a middle axis with negative indices", () => {
    const indices = int64([0, -1, 2, 5], [2, 2]);
    const run = runOp("OneHot", [indices, constantOf(int64([3], [])), float32([-1, 4])], { axis: attr.int(1) });
    const wrapped = [0, 2, 2, 5];
    assertClose(
      run.results[0]!,
      [2, 3, 2],
      tabulate([2, 3, 2], ([i, d, j]) => (wrapped[i! * 2 + j!] === d ? 4 : -1)),
    );
  });
});

describe("DepthToSpace, SpaceToDepth, ReverseSequence", () => {
  const x = randomTensor([1, 8, 2, 3], 2);

  it("DepthToSpace DCR and CRD, and SpaceToDepth inverts DCR", () => {
    const dcr = runOp("DepthToSpace", [x], { blocksize: attr.int(2) }).results[0]!;
    assertClose(
      dcr,
      [1, 2, 4, 6],
      tabulate([1, 2, 4, 6], ([n, c, h, w]) => at(x, [n!, ((h! % 2) * 2 + (w! % 2)) * 2 + c!, h! >> 1, w! >> 1])),
    );
    const crd = runOp("DepthToSpace", [x], { blocksize: attr.int(2), mode: attr.string("CRD") }).results[0]!;
    assertClose(
      crd,
      [1, 2, 4, 6],
      tabulate([1, 2, 4, 6], ([n, c, h, w]) => at(x, [n!, c! * 4 + (h! % 2) * 2 + (w! % 2), h! >> 1, w! >> 1])),
    );
    const back = runOp("SpaceToDepth", [dcr], { blocksize: attr.int(2) }).results[0]!;
    assertClose(back, [1, 8, 2, 3], Array.from(x.data as Float32Array));
  });

  it("ReverseSequence reverses each batch's prefix", () => {
    const sequences = randomTensor([4, 3, 2], 3);
    const lengths = tensorOf("int64", [3], [4, 1, 2]);
    const run = runOp("ReverseSequence", [sequences, lengths], { time_axis: attr.int(0), batch_axis: attr.int(1) });
    const lengthOf = [4, 1, 2];
    const expected = tabulate([4, 3, 2], ([t, b, k]) =>
      at(sequences, [t! < lengthOf[b!]! ? lengthOf[b!]! - 1 - t! : t!, b!, k!]),
    );
    assertClose(run.results[0]!, [4, 3, 2], expected);
  });
});
