import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Expr,
  type Var,
  add,
  binary,
  compare,
  constant,
  div,
  int,
  makeVar,
  mul,
  rem,
  select,
  sub,
  unary,
  cast,
} from "../../src/te/expr.js";
import { simplifyExpr, simplifyStmt } from "../../src/loop/simplify.js";
import { evaluate } from "../../src/loop/interpret-loop.js";
import { printExpr, printStmt } from "../../src/loop/print-loop.js";
import type { Interval } from "../../src/loop/linear.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { makeFor, makeIf, makeStore } from "../../src/loop/stmt.js";

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function randomIndexExpr(next: () => number, vars: readonly Var[], depth: number): Expr {
  if (depth === 0 || next() < 0.2) {
    return next() < 0.6 ? vars[Math.floor(next() * vars.length)]! : int(Math.floor(next() * 21) - 8);
  }
  const a = randomIndexExpr(next, vars, depth - 1);
  const b = randomIndexExpr(next, vars, depth - 1);
  const small = int(1 + Math.floor(next() * 9));
  switch (Math.floor(next() * 9)) {
    case 0:
      return add(a, b);
    case 1:
      return sub(a, b);
    case 2:
      return mul(a, small);
    case 3:
      return div(a, small);
    case 4:
      return rem(a, small);
    case 5:
      return binary("min", a, b);
    case 6:
      return binary("max", a, b);
    case 7:
      return select(compare(next() < 0.5 ? "lt" : "ge", a, b), a, b);
    default:
      return mul(a, b);
  }
}

function check(expr: Expr, ranges: Map<Var, Interval>, environments: readonly Map<Var, number>[]): void {
  const simplified = simplifyExpr(expr, ranges);
  for (const env of environments) {
    assert.equal(
      evaluate(simplified, env),
      evaluate(expr, env),
      `${printExpr(expr)}  ⇒  ${printExpr(simplified)} at ${[...env].map(([v, x]) => `${v.name}=${x}`)}`,
    );
  }
}

test("simplifier rules are sound on random index expressions within loop ranges (property)", () => {
  const next = random(42);
  const vars = [makeVar("x"), makeVar("y"), makeVar("z")];
  const extents = [4, 7, 16];
  const ranges = new Map<Var, Interval>(
    vars.map((variable, index) => [variable, { min: 0, max: extents[index]! - 1 }]),
  );
  for (let trial = 0; trial < 1500; trial++) {
    const expr = randomIndexExpr(next, vars, 4);
    const environments = Array.from(
      { length: 12 },
      () => new Map(vars.map((variable, index) => [variable, Math.floor(next() * extents[index]!)])),
    );
    check(expr, ranges, environments);
  }
});

test("simplifier rules without ranges are sound for any int32 values, wrap included (property)", () => {
  const next = random(7);
  const vars = [makeVar("p"), makeVar("q")];
  const pick = (): number =>
    [0, 1, -1, 2147483647, -2147483648, 65536, -7][Math.floor(next() * 7)]! +
    (next() < 0.5 ? 0 : Math.floor(next() * 2000) - 1000);
  for (let trial = 0; trial < 1500; trial++) {
    const expr = randomIndexExpr(next, vars, 4);
    const environments = Array.from({ length: 8 }, () => new Map(vars.map((variable) => [variable, pick() | 0])));
    check(expr, new Map(), environments);
  }
});

test("linear index expressions are canonical and fold constants", () => {
  const [i, j] = [makeVar("i"), makeVar("j")];
  assert.equal(printExpr(simplifyExpr(add(mul(add(mul(i, int(4)), j), int(16)), int(0)))), "i * 64 + j * 16");
  assert.equal(simplifyExpr(sub(add(i, j), add(j, i))), int(0));
  assert.equal(printExpr(simplifyExpr(add(add(int(3), i), int(-5)))), "i - 2");
  assert.equal(simplifyExpr(add(mul(div(i, int(8)), int(8)), rem(i, int(8)))), i);
});

test("(a*c + b) / c and % c simplify when 0 <= b < c is provable", () => {
  const [outer, inner] = [makeVar("o"), makeVar("n")];
  const ranges = new Map<Var, Interval>([
    [outer, { min: 0, max: 9 }],
    [inner, { min: 0, max: 3 }],
  ]);
  const index = add(mul(outer, int(4)), inner);
  assert.equal(simplifyExpr(div(index, int(4)), ranges), outer);
  assert.equal(simplifyExpr(rem(index, int(4)), ranges), inner);
  assert.equal(printExpr(simplifyExpr(div(add(index, int(5)), int(4)), ranges)), "o + (n + 1) / 4 + 1");
  assert.equal(simplifyExpr(div(index, int(4))), div(index, int(4)), "unprovable without ranges");
});

test("constants fold with wasm semantics for every dtype", () => {
  assert.equal(simplifyExpr(add(int(2147483647), int(1))), int(-2147483648));
  assert.equal(simplifyExpr(div(int(-7), int(2))), int(-3));
  assert.equal(simplifyExpr(rem(int(-7), int(2))), int(-1));
  assert.equal(printExpr(simplifyExpr(div(int(1), int(0)))), "1 / 0", "a trap stays unfolded");
  assert.equal(
    simplifyExpr(binary("add", constant(0.1, "float32"), constant(0.2, "float32"))),
    constant(Math.fround(Math.fround(0.1) + Math.fround(0.2)), "float32"),
  );
  assert.equal(
    simplifyExpr(binary("mul", constant(3n, "int64"), constant(1n << 62n, "int64"))),
    constant(BigInt.asIntN(64, 3n << 62n), "int64"),
  );
  assert.equal(simplifyExpr(binary("add", constant(250, "uint8"), constant(10, "uint8"))), constant(4, "uint8"));
  assert.equal(simplifyExpr(cast(constant(3.7, "float32"), "int32")), int(3));
  assert.equal(simplifyExpr(cast(constant(-1, "int32"), "uint32")), constant(4294967295, "uint32"));
  assert.equal(simplifyExpr(unary("round", constant(2.5, "float32"))), constant(2, "float32"));
  assert.equal(simplifyExpr(compare("lt", constant(1n, "int64"), constant(2n, "int64"))), constant(1, "bool"));
});

test("identities keep float semantics exact", () => {
  const x = makeVar("x", "float32");
  const y = makeVar("y", "int32");
  assert.equal(simplifyExpr(binary("mul", x, constant(1, "float32"))), x);
  assert.notEqual(simplifyExpr(binary("add", x, constant(0, "float32"))), x, "x + 0 is not x for x = -0");
  assert.notEqual(simplifyExpr(binary("mul", x, constant(0, "float32"))), constant(0, "float32"));
  assert.equal(simplifyExpr(mul(y, int(0))), int(0));
  assert.equal(simplifyExpr(select(constant(1, "bool"), x, makeVar("z", "float32"))), x);
});

test("min/max and compares decided by ranges; ifs with decided conditions and unit loops disappear", () => {
  const buffer = makeBuffer("out", "int32", 64, "global", 1);
  const [i, j] = [makeVar("i"), makeVar("j")];
  const guarded = makeIf(
    compare("lt", add(mul(i, int(4)), j), int(64)),
    makeStore(buffer, add(mul(i, int(4)), j), binary("min", j, int(10))),
  );
  const nest = makeFor(i, 16, makeFor(j, 4, guarded));
  assert.equal(printStmt(simplifyStmt(nest)), "for i in 0..16 {\n  for j in 0..4 {\n    out[i * 4 + j] = j\n  }\n}");
  const unit = makeFor(i, 1, makeFor(j, 4, makeStore(buffer, add(i, j), j)));
  assert.equal(printStmt(simplifyStmt(unit)), "for j in 0..4 {\n  out[j] = j\n}");
  assert.equal(
    printStmt(simplifyStmt(unit, { keepLoops: true })),
    "for i in 0..1 {\n  for j in 0..4 {\n    out[i + j] = j\n  }\n}",
  );
  assert.equal(printStmt(simplifyStmt(makeFor(i, 0, makeStore(buffer, i, i)))), "{}");
});
