/**
 * Micro-kernel reduction loops run two steps per iteration with a
 * never-taken branch between them (codegen/emit-kernel.ts splitsInPairs),
 * with mul+add only; relaxed_madd kernels keep one step. The numbers are the
 * same either way: the end-to-end tests run every dense model through it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { printWat } from "../../src/codegen/print-wat.js";
import { matmulKernel } from "./harness.js";

const NEVER_TAKEN = /local\.get \$first\s+i32\.const -\d+\s+i32\.eq\s+br_if 0/;

test("a mul+add micro-kernel's k loop runs two steps per iteration, split by a never-taken branch", () => {
  const text = printWat(matmulKernel(), { addressOf: () => 64 });
  assert.match(text, NEVER_TAKEN);
  assert.equal((text.match(/f32x4\.mul/g) ?? []).length, 16, "two steps of the 4×8 tile's 8 multiplies");
});

test("a relaxed_madd micro-kernel keeps one step per iteration", () => {
  const text = printWat(matmulKernel(), { addressOf: () => 64, relaxedSimd: true });
  assert.doesNotMatch(text, NEVER_TAKEN);
  assert.equal((text.match(/f32x4\.relaxed_madd/g) ?? []).length, 8);
});
