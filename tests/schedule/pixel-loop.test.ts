/**
 * Packed 1×1 convolutions whose spatial loops fuse into one pixel loop
 * (unpadded, stride 1: the fused index folds back to h·W + w), so the row
 * blocks of the micro-kernel run over all H·W pixels. Convolutions whose
 * fused index would keep a division (stride 2, padding) keep their loops.
 * Each case checks the loop printout and the numbers against
 * onnxruntime-node at 1 and 2 threads.
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
  readonly attributes: Readonly<Record<string, readonly number[]>>;
  /**
   * Tasks: pixel blocks when the weights stay cached, else weight panels
   * (see schedule/default-schedule-dense.ts); null when the spatial loops
   * must stay apart.
   */
  readonly tasks: number | null;
}

const CASES: readonly Case[] = [
  // 13×13 = 169 pixels: 42 full blocks of 4 and one overlapping block (not 13 rows × 4 blocks); the
  // weights (4 KB) stay cached, so the pixel blocks are the tasks and the 5 panels run inside each.
  { name: "1x1, 13x13", input: [1, 24, 13, 13], weights: [40, 24, 1, 1], attributes: {}, tasks: 43 },
  // 14×14 = 196 pixels: 49 blocks of 4, no tail.
  { name: "1x1, 14x14, Co % 8 = 4", input: [1, 16, 14, 14], weights: [12, 16, 1, 1], attributes: {}, tasks: 49 },
  // 264 KB of weights: the 33 panels are the tasks, each sweeping the 7 blocks of 25 pixels.
  { name: "1x1, 5x5, 264 KB of weights", input: [1, 256, 5, 5], weights: [264, 256, 1, 1], attributes: {}, tasks: 33 },
  { name: "1x1 stride 2", input: [1, 8, 14, 14], weights: [16, 8, 1, 1], attributes: { strides: [2, 2] }, tasks: null },
  { name: "1x1 padded", input: [1, 8, 9, 9], weights: [16, 8, 1, 1], attributes: { pads: [1, 1, 1, 1] }, tasks: null },
];

function modelOf(item: Case, seed: number): Uint8Array {
  return convModel({ ...item, epilogue: "relu", weightSeed: seed, biasSeed: seed + 1 });
}

/** The printout of the conv's kernel alone (channels-last adds transpose kernels around it). */
function convKernel(text: string): string {
  const start = text.search(/^kernel \S+_conv/m);
  assert.ok(start >= 0, text);
  const end = text.indexOf("\nkernel ", start + 1);
  return end < 0 ? text.slice(start) : text.slice(start, end);
}

for (const [index, item] of CASES.entries()) {
  const expectation = item.tasks === null ? "keeps its spatial loops" : "runs one pixel loop";
  for (const layout of ["NCHW", "NHWC"] as const) {
    test(`pixel loop: ${item.name} ${expectation} (${layout})`, () => {
      const text = convKernel(inspectModel({ bytes: modelOf(item, 21 + index) }, "loop", { layout }));
      const pixels = /\bi\d\.i\d\.fused\b/;
      if (item.tasks === null) {
        assert.doesNotMatch(text, pixels, text);
        return;
      }
      assert.match(text, new RegExp(`tasks=${item.tasks}\\b`), text);
      assert.match(text, pixels, text);
      // The fused pixel index folds back: no division by the width survives.
      const width = item.input[3]!;
      assert.doesNotMatch(text, new RegExp(`[/%] ${width}\\b`), text);
    });
  }
  for (const threads of [1, 2]) {
    test(`pixel loop: ${item.name} matches onnxruntime-node at ${threads} thread(s)`, async () => {
      const bytes = modelOf(item, 21 + index);
      const data = pseudoRandom(size(item.input), 7 + index);
      await expectMatchesOrt(bytes, { x: { dtype: "float32", data, dims: item.input } }, { threads });
    });
  }
}
