import { test } from "node:test";
import assert from "node:assert/strict";
import { interpretNest } from "../../src/loop/interpret-loop.js";
import { printNest } from "../../src/loop/print-loop.js";
import { collectLoops } from "../../src/loop/nest.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { lowerToLoops } from "../../src/loop/lower-te.js";
import { binary, constant, int, makeIterVar, mul, reduce, tload } from "../../src/te/expr.js";
import { compute, placeholder } from "../../src/te/tensor.js";
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

test("epilogue fusion also accepts broadcasting loads (index 0 on a unit dim)", () => {
  const a = placeholder("a", "float32", [1, 3]);
  const b = placeholder("b", "float32", [3, 4]);
  const k = makeIterVar("k", 3);
  const product = compute("mm", [1, 4], ([i, j]) =>
    reduce("sum", [k], mul(tload(a, [i!, k.variable]), tload(b, [k.variable, j!]))),
  );
  const out = compute("out", [1, 4], ([, j]) => binary("max", tload(product, [int(0), j!]), constant(0, "float32")));
  const buffers = new Map([
    [a, makeBuffer("a", "float32", 3, "global", 1)],
    [b, makeBuffer("b", "float32", 12, "global", 2)],
  ]);
  const nest = lowerToLoops({
    name: "mm_relu",
    outputs: [{ tensor: out, buffer: makeBuffer("out", "float32", 4, "global", 3) }],
    inputs: buffers,
  });
  assert.equal(nest.stages.length, 0, printNest(nest));
});
