/**
 * Nanoseconds per element of the generated math helpers: for each function,
 * one kernel `y[i] = f(x[i])` over 1M float32 elements, vectorized (f32x4)
 * and scalar (f32). Each kernel warms up for at least 2 s (so V8's optimizing
 * tier has compiled it), then the median of timed passes is reported.
 *
 *   node --import tsx bench/math-helpers.ts [--ops exp,erf] [--variants f32x4,f32] [--warmup-ms 2000]
 */
import { performance } from "node:perf_hooks";
import { emitModule } from "../src/codegen/emit-module.js";
import { makeBuffer, type Kernel } from "../src/loop/ir.js";
import { constant, int, load, makeVar, mul, ramp, unary, type UnaryOp } from "../src/te/expr.js";

const ELEMENTS = 1 << 20;
/** Inputs cover each function's interesting range (tails included), not just [0, 1). */
const RANGES: Readonly<Record<string, readonly [number, number]>> = {
  exp: [-20, 20],
  log: [1e-3, 1e3],
  erf: [-4, 4],
  tanh: [-6, 6],
  sigmoid: [-12, 12],
};

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] as string) : fallback;
}

function kernelFor(op: UnaryOp, vector: boolean): Kernel {
  const input = makeBuffer("x", "float32", ELEMENTS, "global");
  const output = makeBuffer("y", "float32", ELEMENTS, "global");
  const loopVar = makeVar("i");
  const index = vector ? ramp(mul(loopVar, int(4)), 1, 4) : loopVar;
  const extent = vector ? ELEMENTS / 4 : ELEMENTS;
  const body = { kind: "store", buffer: output, index, value: unary(op, load(input, index)) } as const;
  return {
    name: "apply",
    body: { kind: "for", loopVar, extent: constant(extent), annotation: "parallel", body },
    taskExtent: extent,
    buffers: [input, output],
    flops: 0,
  };
}

/** Median ns per element of `op` after a time-based warm-up. */
function measure(op: UnaryOp, vector: boolean, warmupMs: number): number {
  const kernel = kernelFor(op, vector);
  const bytes = ELEMENTS * 4;
  const addresses = new Map([
    [kernel.buffers[0]!.id, 64],
    [kernel.buffers[1]!.id, 64 + bytes],
  ]);
  const pages = Math.ceil((64 + 2 * bytes) / 65536) + 1;
  const wasm = emitModule({ kernels: [kernel], addressOf: (buffer) => addresses.get(buffer.id)!, memoryPages: pages });
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(wasm), { env: { memory } });
  const apply = instance.exports.apply as (first: number, count: number) => void;
  const [low, high] = RANGES[op] ?? [-4, 4];
  const inputs = new Float32Array(memory.buffer, 64, ELEMENTS);
  for (let index = 0; index < ELEMENTS; index++) inputs[index] = low + (high - low) * ((index * 0.6180339887) % 1);
  const warmupEnd = performance.now() + warmupMs;
  while (performance.now() < warmupEnd) apply(0, kernel.taskExtent);
  const samples: number[] = [];
  for (let pass = 0; pass < 15; pass++) {
    const start = performance.now();
    apply(0, kernel.taskExtent);
    samples.push(((performance.now() - start) * 1e6) / ELEMENTS);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
}

function main(): void {
  const ops = option("ops", "exp,log,erf,tanh,sigmoid").split(",") as UnaryOp[];
  const variants = option("variants", "f32x4,f32").split(",");
  const warmupMs = Number(option("warmup-ms", "2000"));
  console.log(`| function | ${variants.map((variant) => `${variant} ns/element`).join(" | ")} |`);
  console.log(`| --- |${" --- |".repeat(variants.length)}`);
  for (const op of ops) {
    const cells = variants.map((variant) => measure(op, variant === "f32x4", warmupMs).toFixed(2));
    console.log(`| ${op} | ${cells.join(" | ")} |`);
  }
}

main();
