import { test } from "node:test";
import assert from "node:assert/strict";
import { printTe } from "../../src/te/print-te.js";
import { compute, placeholder } from "../../src/te/tensor.js";
import { binary, cast, constant, makeIterVar, reduce, select, compare, tload, unary, int } from "../../src/te/expr.js";

test("prints placeholders, then computes in dependency order", () => {
  const x = placeholder("x", "float32", [4, 16]);
  const b = placeholder("b", "float32", [16]);
  const biased = compute("biased", [4, 16], ([i, j]) => binary("add", tload(x, [i!, j!]), tload(b, [j!])));
  const relu = compute("relu", [4, 16], ([i, j]) => binary("max", tload(biased, [i!, j!]), constant(0, "float32")));
  assert.equal(
    printTe([relu]),
    [
      "x = placeholder float32[4, 16]",
      "b = placeholder float32[16]",
      "biased[i0:4, i1:16] = x[i0, i1] + b[i1]",
      "relu[i0:4, i1:16] = max(biased[i0, i1], 0f)",
      "",
    ].join("\n"),
  );
});

test("prints reductions with their axes, and infix with minimal parentheses", () => {
  const x = placeholder("x", "float32", [8, 3]);
  const w = placeholder("w", "float32", [8, 3]);
  const out = compute(
    "conv",
    [2],
    ([n]) => {
      const rc = makeIterVar("rc", 8);
      const rw = makeIterVar("rw", 3);
      const product = binary("mul", tload(x, [rc.variable, rw.variable]), tload(w, [rc.variable, rw.variable]));
      const scaled = binary(
        "mul",
        reduce("sum", [rc, rw], product),
        binary("sub", constant(1, "float32"), constant(0.1, "float32")),
      );
      return select(compare("lt", n!, int(1)), unary("neg", scaled), cast(binary("add", n!, int(1)), "float32"));
    },
    ["n"],
  );
  const printed = printTe([out]).split("\n")[2];
  assert.equal(
    printed,
    "conv[n:2] = select(n < 1, -(sum(rc:8, rw:3; x[rc, rw] * w[rc, rw]) * (1f - 0.1f)), float32(n + 1))",
  );
});

test("distinct tensors with one name are told apart; constants show their type", () => {
  const first = placeholder("t", "int64", []);
  const second = compute("t", [], () => binary("add", tload(first, []), constant(3n, "int64")));
  const third = compute("u", [2], ([i]) =>
    select(
      compare("eq", tload(second, []), constant(-1n, "int64")),
      constant(Infinity, "float64"),
      cast(i!, "float64"),
    ),
  );
  assert.equal(
    printTe([third]),
    ["t = placeholder int64[]", "t_1 = t[] + 3i64", "u[i0:2] = select(t_1[] == -1i64, infd, float64(i0))", ""].join(
      "\n",
    ),
  );
});
