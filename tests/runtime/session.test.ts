import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { writeArtifact, readArtifact, isArtifactDirectory } from "../../src/runtime/artifact.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import { TesseraError } from "../../src/support/errors.js";
import { tinyCompiledModel, WEIGHT_VALUES } from "./fixture.js";

const platform = createNodePlatform();

function errorWith(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof TesseraError && error.code === code && pattern.test(error.message);
}

function feeds() {
  return {
    a: new Tensor("float32", new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
    b: new Tensor("float32", new Float32Array([10, 20, 30, 40, 50, 60]), [2, 3]),
  };
}

const EXPECTED = [1, 2, 3, 4, 5, 6].map((value, index) => value * 11 + WEIGHT_VALUES[index]);

describe("InferenceSession", () => {
  it("runs every step's kernel in order over the weights and feeds", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    assert.deepEqual(session.inputNames, ["a", "b"]);
    assert.deepEqual(session.outputNames, ["y"]);
    assert.deepEqual(session.inputMetadata[0], { name: "a", type: "float32", dims: [2, 3] });
    const outputs = await session.run(feeds());
    assert.equal(outputs.y.type, "float32");
    assert.deepEqual(outputs.y.dims, [2, 3]);
    assert.deepEqual([...outputs.y.data], EXPECTED);
  });

  it("returns fresh output tensors that later runs do not overwrite", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    const first = await session.run(feeds());
    const zeros = new Tensor("float32", new Float32Array(6), [2, 3]);
    const second = await session.run({ a: zeros, b: zeros });
    assert.deepEqual([...first.y.data], EXPECTED);
    assert.deepEqual([...second.y.data], WEIGHT_VALUES);
  });

  it("accepts tensor-like feeds such as onnxruntime-web's", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    const plain = (values: number[]) => ({ type: "float32", data: new Float32Array(values), dims: [2, 3] });
    const outputs = await session.run({ a: plain([1, 2, 3, 4, 5, 6]), b: plain([10, 20, 30, 40, 50, 60]) });
    assert.deepEqual([...outputs.y.data], EXPECTED);
  });

  it("times each step with runProfiled", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    const { outputs, steps } = await session.runProfiled(feeds());
    assert.deepEqual([...outputs.y.data], EXPECTED);
    assert.deepEqual(
      steps.map((step) => step.group),
      ["fused_add_0", "fused_add_1"],
    );
    assert.ok(steps.every((step) => step.milliseconds >= 0 && step.flops === 6));
  });

  it("names the input in feed errors", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    const { a, b } = feeds();
    await assert.rejects(session.run({ a }), errorWith("E_BAD_FEED", /input 'b' is missing \(float32 \[2, 3\]\)/));
    await assert.rejects(session.run({ a, b, c: a }), errorWith("E_BAD_FEED", /unknown input 'c'.*'a', 'b'/));
    const int32 = new Tensor("int32", new Int32Array(6), [2, 3]);
    await assert.rejects(session.run({ a, b: int32 }), errorWith("E_BAD_FEED", /'b' must be float32, got int32/));
    const flat = new Tensor("float32", new Float32Array(6), [6]);
    await assert.rejects(
      session.run({ a: flat, b }),
      errorWith("E_BAD_FEED", /'a' must have dims \[2, 3\], got \[6\]/),
    );
    const broken = { type: "float32", data: new Float32Array(5), dims: [2, 3] };
    await assert.rejects(session.run({ a: broken, b }), errorWith("E_BAD_FEED", /input 'a': .*5 elements/));
    await assert.rejects(session.run({ a: 3 as never, b }), errorWith("E_BAD_FEED", /'a' is not a tensor/));
  });

  it("refuses to run after release", async () => {
    const session = await InferenceSession.fromCompiled(tinyCompiledModel());
    await session.release();
    await assert.rejects(session.run(feeds()), errorWith("E_USAGE", /released/));
  });

  it("refuses plans that do not fit the module or the memory", async () => {
    const missingKernel = tinyCompiledModel();
    const renamed = { ...missingKernel.plan, steps: [{ ...missingKernel.plan.steps[0], kernel: "nope" }] };
    await assert.rejects(
      InferenceSession.fromCompiled({ ...missingKernel, plan: renamed }),
      errorWith("E_BAD_ARTIFACT", /no kernel 'nope'/),
    );
    await assert.rejects(
      InferenceSession.fromCompiled(tinyCompiledModel({ memoryBytes: 200 })),
      errorWith("E_BAD_ARTIFACT", /outside its 200-byte memory/),
    );
    await assert.rejects(
      InferenceSession.fromCompiled({ ...tinyCompiledModel(), weights: new Uint8Array(4) }),
      errorWith("E_BAD_ARTIFACT", /4 bytes, the plan expects 24/),
    );
    await assert.rejects(
      InferenceSession.fromCompiled({ ...tinyCompiledModel(), wasm: new Uint8Array([0, 97, 115, 109, 9]) }),
      errorWith("E_BAD_ARTIFACT", /does not load/),
    );
  });

  it("refuses a module that needs a feature the engine lacks", async () => {
    const needsEverything = tinyCompiledModel({ features: { simd: true, relaxedSimd: true, threads: true } });
    const { detectEngineFeatures } = await import("../../src/runtime/features.js");
    if (detectEngineFeatures().relaxedSimd) return; // this engine has everything: nothing to refuse
    await assert.rejects(InferenceSession.fromCompiled(needsEverything), errorWith("E_BAD_ARTIFACT", /relaxed SIMD/));
  });
});

describe("artifacts", () => {
  it("round-trips through a folder and loads with InferenceSession.create", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-artifact-"));
    try {
      const compiled = tinyCompiledModel();
      await writeArtifact(platform, directory, compiled);
      assert.ok(await isArtifactDirectory(platform, directory));
      const loaded = await readArtifact(platform, directory);
      assert.deepEqual(loaded.plan, compiled.plan);
      assert.deepEqual([...loaded.wasm], [...compiled.wasm]);
      assert.deepEqual([...loaded.weights], [...compiled.weights]);
      const session = await InferenceSession.create(directory);
      assert.deepEqual([...(await session.run(feeds())).y.data], EXPECTED);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("refuses folders with missing files or another version", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-artifact-"));
    try {
      await assert.rejects(InferenceSession.create(directory), errorWith("E_BAD_ARTIFACT", /plan.json is missing/));
      await writeArtifact(platform, directory, tinyCompiledModel());
      rmSync(join(directory, "weights.bin"));
      await assert.rejects(InferenceSession.create(directory), errorWith("E_BAD_ARTIFACT", /weights.bin is missing/));
      await writeArtifact(platform, directory, tinyCompiledModel());
      const planPath = join(directory, "plan.json");
      const document = JSON.parse(readFileSync(planPath, "utf8"));
      writeFileSync(planPath, JSON.stringify({ ...document, formatVersion: 99 }));
      await assert.rejects(
        InferenceSession.create(directory),
        errorWith("E_BAD_ARTIFACT", /format 99.*compile the model again/),
      );
      writeFileSync(planPath, "{ not json");
      await assert.rejects(InferenceSession.create(directory), errorWith("E_BAD_ARTIFACT", /not JSON/));
      assert.equal(await isArtifactDirectory(platform, directory), false);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("reports a missing model path as a usage error", async () => {
    await assert.rejects(InferenceSession.create("/no/such/model.onnx"), errorWith("E_USAGE", /no such model file/));
  });
});
