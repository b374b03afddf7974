/**
 * Float max/min against a constant bound (Relu, Clip) emit f32x4.pmax /
 * f32x4.pmin with the value first (codegen/emit-vector.ts emitClamp): NaN
 * must still come out as NaN, infinities must clamp, and two non-constant
 * operands keep f32x4.max/min.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { inspectModel } from "../../src/compiler/compile-model.js";
import { InferenceSession, Tensor } from "../../src/index.js";

const INPUTS = [NaN, -Infinity, Infinity, -3.5, -0, 0, 2.25, 7.5];

function clampModel(): Uint8Array {
  const bound = (name: string, value: number) => ({
    name,
    data: makeTensorData("float32", [], new Float32Array([value])),
  });
  return encodeModel({
    opset: 17,
    inputs: [
      { name: "x", dtype: "float32", shape: [2, 8] },
      { name: "z", dtype: "float32", shape: [2, 8] },
    ],
    outputs: ["relu", "clip", "pairwise"].map((name) => ({ name, dtype: "float32" as const, shape: null })),
    nodes: [
      { opType: "Relu", inputs: ["x"], outputs: ["relu"] },
      { opType: "Clip", inputs: ["x", "low", "high"], outputs: ["clip"] },
      { opType: "Max", inputs: ["x", "z"], outputs: ["pairwise"] },
    ],
    initializers: [bound("low", 0), bound("high", 6)],
  });
}

test("Relu and Clip keep NaN and clamp infinities through pmax/pmin", async () => {
  const x = Float32Array.from([...INPUTS, ...INPUTS.slice().reverse()]);
  const z = new Float32Array(16).fill(1);
  const session = await InferenceSession.create(clampModel(), { threads: 1 });
  try {
    const outputs = await session.run({ x: new Tensor("float32", x, [2, 8]), z: new Tensor("float32", z, [2, 8]) });
    const expect = (name: string, reference: (value: number) => number) => {
      const got = [...(outputs[name]!.data as Float32Array)];
      const want = [...x].map(reference);
      got.forEach((value, index) => {
        if (Number.isNaN(want[index]!)) assert.ok(Number.isNaN(value), `${name}[${index}] = ${value}, want NaN`);
        // === rather than Object.is: max(-0, 0) may give either zero.
        else assert.ok(value === want[index], `${name}[${index}] of ${x[index]}: ${value}, want ${want[index]}`);
      });
    };
    expect("relu", (value) => (Number.isNaN(value) ? NaN : Math.max(value, 0)));
    expect("clip", (value) => (Number.isNaN(value) ? NaN : Math.min(Math.max(value, 0), 6)));
    expect("pairwise", (value) => (Number.isNaN(value) ? NaN : Math.max(value, 1)));
  } finally {
    await session.release();
  }
});

test("a constant bound compiles to pmax/pmin, two tensors to max", () => {
  const wat = inspectModel({ bytes: clampModel() }, "wat");
  assert.match(wat, /f32x4\.pmax/);
  assert.match(wat, /f32x4\.pmin/);
  assert.match(wat, /f32x4\.max\b/, "Max of two inputs keeps the NaN-propagating max");
});
