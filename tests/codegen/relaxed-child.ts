/**
 * Child process for the relaxed-SIMD test (Node 20 needs
 * --experimental-wasm-relaxed-simd): runs the same kernel with and without
 * f32x4.relaxed_madd and prints {relaxed, maxDifference} as JSON.
 */
import { detectFeatures } from "../../src/codegen/probe-features.js";
import { makeBuffer } from "../../src/loop/ir.js";
import { add, binary, int, load, makeVar, mul, ramp } from "../../src/te/expr.js";
import { forLoop, instantiate, kernelOf, store } from "./harness.js";

const a = makeBuffer("a", "float32", 64, "global");
const b = makeBuffer("b", "float32", 64, "global");
const c = makeBuffer("c", "float32", 64, "global");
const out = makeBuffer("out", "float32", 64, "global");
const i = makeVar("i");
const lanes = ramp(mul(i, int(4)), 1, 4);
const kernel = kernelOf(
  "madd",
  forLoop(i, 16, store(out, lanes, add(binary("mul", load(a, lanes), load(b, lanes)), load(c, lanes))), "parallel"),
  [a, b, c, out],
);

function run(relaxedSimd: boolean): number[] {
  const instance = instantiate([kernel], { relaxedSimd });
  instance.write(
    a,
    Array.from({ length: 64 }, (_, k) => k * 0.37 - 5),
  );
  instance.write(
    b,
    Array.from({ length: 64 }, (_, k) => 1.1 - k * 0.013),
  );
  instance.write(
    c,
    Array.from({ length: 64 }, (_, k) => k * 0.5),
  );
  instance.exports.madd(0, 16);
  return instance.read(out) as number[];
}

const relaxed = detectFeatures().relaxedSimd;
const plain = run(false);
const fused = relaxed ? run(true) : plain;
const maxDifference = Math.max(
  ...plain.map((value, index) => Math.abs(value - fused[index]) / Math.max(1, Math.abs(value))),
);
console.log(JSON.stringify({ relaxed, maxDifference }));
