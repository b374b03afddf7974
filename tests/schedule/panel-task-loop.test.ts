/**
 * Packed convolutions whose task loop runs over weight panels (fused with
 * row blocks when there are few panels): the rows inside a task stay a
 * plain loop that partition-loops.ts splits around the height padding.
 * Each case checks the loop printout's shape and the numbers against
 * onnxruntime-node at 1 and 2 threads, including Co % 8 ≠ 0 panels and
 * output widths that take the overlapping row split. The loop shapes are
 * checked in NCHW, where convs still pad on their own.
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { inspectModel } from "../../src/compiler/compile-model.js";
import { pseudoRandom, size } from "../support/random.js";
import { convModel } from "../support/conv-model.js";

interface Case {
  readonly name: string;
  readonly input: readonly number[];
  readonly weights: readonly number[];
  readonly tasks: number;
}

const CASES: readonly Case[] = [
  // Co=12: three column steps of 4 (a partial 8-channel panel) × 6 row blocks of 4.
  { name: "Co=12, width 11 (overlap split)", input: [1, 5, 24, 11], weights: [12, 5, 3, 3], tasks: 18 },
  // Co=20: five column steps × 5 row blocks of 6 (the fewest blocks dividing 30 with ≥ 16 tasks).
  { name: "Co=20, width 10", input: [1, 4, 30, 10], weights: [20, 4, 3, 3], tasks: 25 },
  // Co=136: 17 panels of 8 are enough tasks; all rows stay inside each task.
  { name: "Co=136, 9 rows", input: [1, 3, 9, 13], weights: [136, 3, 3, 3], tasks: 17 },
];

function modelOf(item: Case, seed: number): Uint8Array {
  const attributes = { pads: [1, 1, 1, 1] };
  return convModel({ ...item, attributes, epilogue: "none", weightSeed: seed, biasSeed: seed + 1 });
}

for (const [index, item] of CASES.entries()) {
  test(`panel task loop: ${item.name} has ${item.tasks} tasks and a padding-free middle row loop`, () => {
    // NCHW: channels-last dense convs read an explicitly padded input instead (graph/passes/explicit-pad.ts).
    const text = inspectModel({ bytes: modelOf(item, 11 + index) }, "loop", { layout: "NCHW" });
    assert.match(text, new RegExp(`tasks=${item.tasks}\\b`), text);
    assert.match(text, /for \S+\.fused in 0\.\.\d+ parallel|for c\.outer\.outer in 0\.\.\d+ parallel/, text);
    // The middle rows, away from the height padding, test no row against the input height.
    const heightTest = new RegExp(` < ${item.input[2]}\\b`);
    const start = text.search(/\n  for oh(\.inner)?\.mid in/);
    assert.ok(start >= 0, `no middle row loop inside the task loop:\n${text}`);
    const middle = text.slice(start);
    const middleRows = middle.slice(0, middle.indexOf("\n  }") + 1);
    assert.doesNotMatch(middleRows, heightTest, middleRows);
  });
  for (const threads of [1, 2]) {
    test(`panel task loop: ${item.name} matches onnxruntime-node at ${threads} thread(s)`, async () => {
      const bytes = modelOf(item, 11 + index);
      const data = pseudoRandom(size(item.input), 5 + index);
      await expectMatchesOrt(bytes, { x: { dtype: "float32", data, dims: item.input } }, { threads });
    });
  }
}
