import { test } from "node:test";
import assert from "node:assert/strict";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { printKernel, printStmt } from "../../src/loop/print-loop.js";
import { verifyKernel } from "../../src/loop/verify-loop.js";
import { scheduleKernel } from "../../src/schedule/finalize.js";
import { Schedule } from "../../src/schedule/primitives.js";
import { walkStmt } from "../../src/loop/stmt.js";
import type { For } from "../../src/loop/ir.js";
import { assertClose, elementwiseFixture, paddedConvFixture, runOn } from "../loop/fixtures.js";

test("a padded convolution's output loop splits into head, middle and tail; the middle has no selects or clamps", () => {
  const fixture = paddedConvFixture(3, 24);
  const records = new Schedule().split("ow", 4).vectorize("ow.inner").unroll("rc").unroll("rk").records;
  const kernel = scheduleKernel(fixture.lower(), records);
  verifyKernel(kernel);
  assertClose(
    runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
    fixture.expected,
  );
  const loops: For[] = [];
  walkStmt(kernel.body, (node) => {
    if (node.kind === "for") loops.push(node);
  });
  const text = printKernel(kernel);
  assert.deepEqual(
    loops.map((loop) => loop.loopVar.name),
    ["ow.outer.mid"],
    text,
  );
  assert.equal(Number((loops[0]!.extent as { value: number }).value), 4, text);
  const middle = printStmt(loops[0]!);
  assert.doesNotMatch(middle, /select|min\(|max\(/, middle);
  assert.match(middle, /x\[ramp\(ow.outer.mid \* 4 \+ 3, 1, 4\)\]/, middle);
  assert.match(text, /select/, "head and tail keep the general code");
});

test("loops without bound tests are left whole", () => {
  const fixture = elementwiseFixture(4, 8);
  const kernel = scheduleKernel(fixture.lower(), new Schedule().split("j", 4).vectorize("j.inner").records);
  assert.doesNotMatch(printKernel(kernel), /\.mid|\.head|\.tail/);
  assertClose(
    runOn(fixture, (buffers) => interpretKernel(kernel, buffers)),
    fixture.expected,
  );
});
