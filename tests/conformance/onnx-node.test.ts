/**
 * Runs the ONNX node conformance tests and keeps the pass count from going
 * down: the floor below is raised whenever the count improves.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatSummary, listNodeTests, runNodeTest, summarize, NODE_TESTS_DIR } from "./node-tests.js";

/** Passed tests in the last measured run; CI fails if the count drops below it. */
const PASS_FLOOR = 758;

const names = listNodeTests();
const skip =
  names.length === 0 ? `no conformance tests at ${NODE_TESTS_DIR} (apt-get install libonnx-testdata)` : undefined;

test("ONNX backend node tests (libonnx-testdata)", { skip, timeout: 30 * 60 * 1000 }, async () => {
  const results = [];
  for (const name of names) results.push(await runNodeTest(name));
  const summary = summarize(results);
  console.log(formatSummary(summary, false).replace(/^/gm, "# "));
  assert.ok(
    summary.passed >= PASS_FLOOR,
    `${summary.passed} conformance tests passed, fewer than the floor ${PASS_FLOOR}`,
  );
});
