/**
 * A stored vector select between two loaded sources on a lane-uniform,
 * index-derived condition becomes a branch (a Concat whose axis is not
 * the vectorized one); selects against constants, data-dependent
 * conditions and accumulator updates stay data selects. The branched loop
 * stores what the select did.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { branchUniformSelects } from "../../src/loop/branch-uniform-selects.js";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { type Buffer, type Kernel, type Stmt, makeBuffer } from "../../src/loop/ir.js";
import { printStmt } from "../../src/loop/print-loop.js";
import { makeAssign, makeFor, makeStore } from "../../src/loop/stmt.js";
import { add, binary, broadcast, compare, constant, int, load, makeVar, mul, ramp, select } from "../../src/te/expr.js";

const ROWS = 6;
const LANES = 4;

/** out[row][0..4] = row < 2 ? a[row] : row < 4 ? b[row - 2] : c[row - 4], four lanes per row. */
function concatRows(): { body: Stmt; out: Buffer; sources: Buffer[] } {
  const sources = ["a", "b", "c"].map((name) => makeBuffer(name, "float32", 2 * LANES, "global"));
  const out = makeBuffer("out", "float32", ROWS * LANES, "global");
  const row = makeVar("row");
  const from = (source: number): ReturnType<typeof load> => {
    const local = binary("max", binary("sub", row, int(2 * source)), int(0));
    return load(sources[source]!, ramp(mul(binary("min", local, int(1)), int(LANES)), 1, LANES));
  };
  const below = (bound: number) => broadcast(compare("lt", row, int(bound)), LANES);
  const value = select(below(2), from(0), select(below(4), from(1), from(2)));
  const body = makeFor(row, ROWS, makeStore(out, ramp(mul(row, int(LANES)), 1, LANES), value));
  return { body, out, sources };
}

function run(body: Stmt, out: Buffer, sources: readonly Buffer[]): Float32Array {
  const kernel: Kernel = { name: "concat", body, taskExtent: 1, buffers: [out, ...sources], flops: 0 };
  const memory = new Map<Buffer, Float32Array>(
    sources.map((source, index) => [source, Float32Array.from({ length: 2 * LANES }, (_, i) => 100 * index + i)]),
  );
  const result = new Float32Array(ROWS * LANES);
  memory.set(out, result);
  interpretKernel(kernel, memory);
  return result;
}

test("a select between two sources on a broadcast index condition becomes nested branches", () => {
  const { body, out, sources } = concatRows();
  const branched = branchUniformSelects(body);
  const text = printStmt(branched);
  assert.doesNotMatch(text, /select/, text);
  assert.equal(text.match(/\bif /g)?.length, 2, text);
  assert.deepEqual(run(branched, out, sources), run(body, out, sources));
  assert.deepEqual(Array.from(run(branched, out, sources).slice(8, 12)), [100, 101, 102, 103]);
});

test("a select against a constant, on loaded data, or into an accumulator stays a select", () => {
  const source = makeBuffer("source", "float32", 16, "global");
  const mask = makeBuffer("mask", "int32", 16, "global");
  const out = makeBuffer("out", "float32", 16, "global");
  const i = makeVar("i");
  const slot = ramp(mul(i, int(LANES)), 1, LANES);
  const zero = broadcast(constant(0, "float32"), LANES);
  const padded = makeStore(out, slot, select(broadcast(compare("lt", i, int(2)), LANES), load(source, slot), zero));
  const dataCondition = compare("ne", load(mask, mul(i, int(LANES))), int(0));
  const where = makeStore(out, slot, select(broadcast(dataCondition, LANES), load(source, slot), load(out, slot)));
  const accumulator = makeVar("acc", "float32", LANES);
  const update = makeAssign(
    accumulator,
    add(accumulator, select(broadcast(compare("lt", i, int(2)), LANES), load(source, slot), load(out, slot))),
  );
  for (const statement of [padded, where, update]) {
    const loop = makeFor(i, 4, statement);
    assert.equal(branchUniformSelects(loop), loop, printStmt(loop));
  }
});
