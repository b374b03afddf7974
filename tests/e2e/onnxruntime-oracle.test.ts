/**
 * Tessera against onnxruntime-node (the numeric oracle) on the bundled
 * example and on every shared model, with pseudo-random inputs that differ
 * from the reference files, at 1 and 2 threads. Float outputs must agree
 * within 1e-4 × max(1, max |expected|).
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SHARED_MODELS_DIR, manifestDtype, readManifest, sharedModelsSkipReason } from "../support/shared-models.js";

interface InputSpec {
  readonly name: string;
  readonly dtype: "float32" | "int64";
  readonly shape: readonly number[];
}

function pseudoRandom(spec: InputSpec, seed: number): Float32Array | BigInt64Array {
  const length = spec.shape.reduce((a, b) => a * b, 1);
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  if (spec.dtype === "int64") return BigInt64Array.from({ length }, () => BigInt(Math.floor(next() * 1000)));
  return Float32Array.from({ length }, () => next() * 2 - 1);
}

async function compareWithOrt(modelPath: string, inputs: readonly InputSpec[], threads: number): Promise<void> {
  const feeds = Object.fromEntries(
    inputs.map((spec, index) => [
      spec.name,
      { dtype: spec.dtype, data: pseudoRandom(spec, 7 + index), dims: spec.shape },
    ]),
  );
  await expectMatchesOrt(new Uint8Array(readFileSync(modelPath)), feeds, { threads });
}

test("examples/tiny_cnn.onnx matches onnxruntime-node", async () => {
  await compareWithOrt("examples/tiny_cnn.onnx", [{ name: "input", dtype: "float32", shape: [1, 3, 32, 32] }], 1);
});

const skip = sharedModelsSkipReason();
const models = skip === undefined ? Object.entries(readManifest()) : [];
for (const [name, model] of models) {
  for (const threads of [1, 2]) {
    test(`${name} matches onnxruntime-node on random inputs at ${threads} thread(s)`, async () => {
      const inputs = model.inputs.map((input) => ({
        name: input.name,
        dtype: manifestDtype(input.dtype) as "float32" | "int64",
        shape: input.shape,
      }));
      await compareWithOrt(join(SHARED_MODELS_DIR, model.file), inputs, threads);
    });
  }
}

test("integer Pow matches onnxruntime-node exactly, whole powers included (3^6 = 729)", async () => {
  const { encodeModel } = await import("../../src/onnx/encode-model.js");
  const { InferenceSession, Tensor } = await import("../../src/index.js");
  const ort = await import("onnxruntime-node");
  const bases = BigInt64Array.from([1n, 2n, 3n, -3n, 7n, 10n, 2n, 5n]);
  for (const exponentType of ["float32", "int64"] as const) {
    const exponents = [4, 5, 6, 5, 9, 15, -1, 0.5];
    const exponentData =
      exponentType === "int64"
        ? BigInt64Array.from(exponents.map((value) => BigInt(Math.trunc(value))))
        : Float32Array.from(exponents);
    const bytes = encodeModel({
      opset: 15,
      inputs: [
        { name: "x", dtype: "int64", shape: [8] },
        { name: "y", dtype: exponentType, shape: [8] },
      ],
      outputs: [{ name: "z", dtype: "int64", shape: [8] }],
      nodes: [{ opType: "Pow", inputs: ["x", "y"], outputs: ["z"] }],
    });
    const oracle = await ort.InferenceSession.create(bytes);
    const session = await InferenceSession.create(bytes, { threads: 1 });
    try {
      const want = await oracle.run({
        x: new ort.Tensor("int64", bases, [8]),
        y: new ort.Tensor(exponentType, exponentData, [8]),
      });
      const got = await session.run({
        x: new Tensor("int64", bases, [8]),
        y: new Tensor(exponentType, exponentData, [8]),
      });
      assert.deepEqual([...got.z!.data], [...(want.z!.data as BigInt64Array)], `exponents of type ${exponentType}`);
    } finally {
      await session.release();
      await oracle.release();
    }
  }
});
