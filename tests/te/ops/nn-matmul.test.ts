import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { attr } from "../../../src/graph/builder.js";
import { TesseraError } from "../../../src/support/errors.js";
import { assertClose, at, randomTensor, runOp, tabulate } from "./nn-helpers.js";

describe("MatMul", () => {
  it("2-D", () => {
    const a = randomTensor([3, 5], 1);
    const b = randomTensor([5, 4], 2);
    const expected = tabulate([3, 4], ([i, j]) => {
      let sum = 0;
      for (let k = 0; k < 5; k++) sum += at(a, [i!, k]) * at(b, [k, j!]);
      return sum;
    });
    assertClose(runOp("MatMul", [a, b]).results[0]!, [3, 4], expected);
  });

  it("broadcasts batch dims", () => {
    const a = randomTensor([2, 1, 3, 4], 3);
    const b = randomTensor([3, 4, 2], 4);
    const expected = tabulate([2, 3, 3, 2], ([p, q, i, j]) => {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += at(a, [p!, 0, i!, k]) * at(b, [q!, k, j!]);
      return sum;
    });
    assertClose(runOp("MatMul", [a, b]).results[0]!, [2, 3, 3, 2], expected);
  });

  it("promotes 1-D operands and removes their unit dim", () => {
    const vector = randomTensor([4], 5);
    const matrix = randomTensor([2, 4, 3], 6);
    const left = tabulate([2, 3], ([p, j]) => {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += at(vector, [k]) * at(matrix, [p!, k, j!]);
      return sum;
    });
    assertClose(runOp("MatMul", [vector, matrix]).results[0]!, [2, 3], left);
    const rows = randomTensor([3, 4], 7);
    const right = tabulate([3], ([i]) => {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += at(rows, [i!, k]) * at(vector, [k]);
      return sum;
    });
    assertClose(runOp("MatMul", [rows, vector]).results[0]!, [3], right);
    const dot = [0, 1, 2, 3].reduce((sum, k) => sum + at(vector, [k]) * at(vector, [k]), 0);
    assertClose(runOp("MatMul", [vector, vector]).results[0]!, [], [dot]);
  });

  it("rejects mismatched inner dims", () => {
    assert.throws(
      () => runOp("MatMul", [randomTensor([2, 3]), randomTensor([4, 2])]),
      (error: unknown) => error instanceof TesseraError && error.code === "E_SHAPE_MISMATCH",
    );
  });
});

describe("Gemm", () => {
  function referenceGemm(
    a: ReturnType<typeof randomTensor>,
    b: ReturnType<typeof randomTensor>,
    c: ReturnType<typeof randomTensor> | null,
    options: { transA: boolean; transB: boolean; alpha: number; beta: number },
  ): { shape: number[]; values: number[] } {
    const rows = options.transA ? a.shape[1]! : a.shape[0]!;
    const inner = options.transA ? a.shape[0]! : a.shape[1]!;
    const columns = options.transB ? b.shape[0]! : b.shape[1]!;
    const values = tabulate([rows, columns], ([i, j]) => {
      let sum = 0;
      for (let k = 0; k < inner; k++) {
        sum += at(a, options.transA ? [k, i!] : [i!, k]) * at(b, options.transB ? [j!, k] : [k, j!]);
      }
      let bias = 0;
      if (c !== null) {
        const offset = 2 - c.shape.length;
        bias = at(
          c,
          c.shape.map((extent, dim) => (extent === 1 ? 0 : [i!, j!][dim + offset]!)),
        );
      }
      return options.alpha * sum + options.beta * bias;
    });
    return { shape: [rows, columns], values };
  }

  it("plain, with a vector bias", () => {
    const a = randomTensor([3, 6], 1);
    const b = randomTensor([6, 4], 2);
    const c = randomTensor([4], 3);
    const expected = referenceGemm(a, b, c, { transA: false, transB: false, alpha: 1, beta: 1 });
    assertClose(runOp("Gemm", [a, b, c]).results[0]!, expected.shape, expected.values);
  });

  it("transposes, alpha, beta and a [M,1] bias", () => {
    const a = randomTensor([6, 3], 4);
    const b = randomTensor([5, 6], 5);
    const c = randomTensor([3, 1], 6);
    const options = { transA: true, transB: true, alpha: 0.5, beta: -2 };
    const expected = referenceGemm(a, b, c, options);
    const run = runOp("Gemm", [a, b, c], {
      transA: attr.int(1),
      transB: attr.int(1),
      alpha: attr.float(0.5),
      beta: attr.float(-2),
    });
    assertClose(run.results[0]!, expected.shape, expected.values);
  });

  it("without C", () => {
    const a = randomTensor([2, 3], 7);
    const b = randomTensor([4, 3], 8);
    const expected = referenceGemm(a, b, null, { transA: false, transB: true, alpha: 1, beta: 1 });
    assertClose(runOp("Gemm", [a, b], { transB: attr.int(1) }).results[0]!, expected.shape, expected.values);
  });
});
