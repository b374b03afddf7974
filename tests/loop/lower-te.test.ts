import { test } from "node:test";
import assert from "node:assert/strict";
import { interpretNest } from "../../src/loop/interpret-loop.js";
import { printNest } from "../../src/loop/print-loop.js";
import { collectLoops } from "../../src/loop/nest.js";
import {
  assertClose,
  elementwiseFixture,
  matmulFixture,
  paddedConvFixture,
  runOn,
  softmaxFixture,
} from "./fixtures.js";

test("elementwise chain inlines into one nest named after the output axes", () => {
  const fixture = elementwiseFixture(3, 5);
  const nest = fixture.lower();
  assert.deepEqual([...collectLoops(nest.body).keys()], ["i", "j"]);
  assert.equal(nest.stages.length, 0);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(nest, buffers)),
    fixture.expected,
  );
});

test("matmul + bias + relu is one nest with an accumulator (epilogue fusion)", () => {
  const fixture = matmulFixture(4, 6, 5);
  const nest = fixture.lower();
  const text = printNest(nest);
  assert.deepEqual([...collectLoops(nest.body).keys()], ["i", "j", "k"], text);
  assert.deepEqual(nest.reductionLoops, ["k"]);
  assert.equal(nest.stages.length, 0);
  assert.equal(nest.flops, 4 * 6 * 5 * 2);
  assert.match(text, /acc = acc \+ a\[i \* 5 \+ k\] \* b\[k \* 6 \+ j\]/);
  assert.match(text, /out\[i \* 6 \+ j\] = max\(acc \+ bias\[j\], 0.0\)/);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(nest, buffers)),
    fixture.expected,
  );
});

test("softmax materializes its row max and row sum as scratch stages", () => {
  const fixture = softmaxFixture(3, 7);
  const nest = fixture.lower();
  assert.deepEqual(
    nest.stages.map((stage) => stage.name),
    ["row_max", "row_sum"],
  );
  assert.deepEqual(
    nest.stages.map((stage) => [stage.buffer.scope, stage.buffer.size]),
    [
      ["scratch", 3],
      ["scratch", 3],
    ],
  );
  assert.deepEqual([...collectLoops(nest.body).keys()], ["r", "k", "r_1", "k_1", "r_2", "c"]);
  assert.match(printNest(nest), /acc = -inf/);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(nest, buffers)),
    fixture.expected,
  );
});

test("padding computes inline into a convolution's reduction with clamped loads", () => {
  const fixture = paddedConvFixture(3, 8);
  const nest = fixture.lower();
  assert.deepEqual([...collectLoops(nest.body).keys()], ["ow", "rc", "rk"]);
  assertClose(
    runOn(fixture, (buffers) => interpretNest(nest, buffers)),
    fixture.expected,
  );
});
