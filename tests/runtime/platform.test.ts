import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFetchPlatform } from "../../src/runtime/platform.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import { readModelFile } from "../../src/runtime/model-source.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";
import { ARTIFACT_FILES, ARTIFACT_FORMAT, ARTIFACT_FORMAT_VERSION } from "../../src/runtime/artifact.js";
import { checkPlanFeatures } from "../../src/runtime/features.js";
import { TesseraError } from "../../src/support/errors.js";
import { WEIGHT_VALUES, buildAddModule, tinyCompiledModel, tinyPlan } from "./fixture.js";

function errorWith(code: string, pattern: RegExp) {
  return (error: unknown) => error instanceof TesseraError && error.code === code && pattern.test(error.message);
}

/** A fetch that serves `files` by URL, like a static web server. */
function fakeFetch(files: Record<string, Uint8Array | string>): typeof fetch {
  return (async (url: string | URL | Request) => {
    const body = files[String(url)];
    if (body === undefined) return new Response(null, { status: 404 });
    return new Response(typeof body === "string" ? body : new Uint8Array(body));
  }) as typeof fetch;
}

describe("fetch platform (browsers)", () => {
  it("loads an artifact folder by URL and runs it", async () => {
    const compiled = tinyCompiledModel();
    const planFile = {
      format: ARTIFACT_FORMAT,
      formatVersion: ARTIFACT_FORMAT_VERSION,
      tesseraVersion: "x",
      plan: compiled.plan,
    };
    const platform = createFetchPlatform(
      fakeFetch({
        [`/model/${ARTIFACT_FILES.plan}`]: JSON.stringify(planFile),
        [`/model/${ARTIFACT_FILES.wasm}`]: compiled.wasm,
        [`/model/${ARTIFACT_FILES.weights}`]: compiled.weights,
      }),
    );
    const session = await InferenceSession.create("/model/", { platform });
    const ones = new Tensor("float32", new Float32Array(6).fill(1), [2, 3]);
    const outputs = await session.run({ a: ones, b: ones });
    assert.deepEqual(
      [...outputs.y.data],
      WEIGHT_VALUES.map((value) => value + 2),
    );
  });

  it("reports a folder without plan.json as E_BAD_ARTIFACT", async () => {
    const platform = createFetchPlatform(fakeFetch({}));
    await assert.rejects(
      InferenceSession.create("/model/", { platform }),
      errorWith("E_BAD_ARTIFACT", /plan.json is missing/),
    );
  });

  it("joins and splits URL paths", () => {
    const platform = createFetchPlatform(fakeFetch({}));
    assert.equal(platform.join("/model/", "plan.json"), "/model/plan.json");
    assert.equal(platform.join("https://x.org/m", "plan.json"), "https://x.org/m/plan.json");
    assert.equal(platform.dirname("/models/net.onnx"), "/models/");
  });
});

describe("readModelFile", () => {
  it("reads external data next to the model and nothing outside its folder", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-model-"));
    try {
      mkdirSync(join(directory, "data"));
      writeFileSync(join(directory, "net.onnx"), new Uint8Array([1, 2, 3]));
      writeFileSync(join(directory, "data", "weights.bin"), new Uint8Array([9, 8]));
      const source = await readModelFile(createNodePlatform(), join(directory, "net.onnx"));
      assert.deepEqual([...source.bytes], [1, 2, 3]);
      assert.equal(source.name, "net");
      assert.deepEqual([...source.readExternal!("data/weights.bin")], [9, 8]);
      assert.throws(() => source.readExternal!("../secret"), errorWith("E_EXTERNAL_DATA", /inside the model's folder/));
      assert.throws(
        () => source.readExternal!("/etc/passwd"),
        errorWith("E_EXTERNAL_DATA", /inside the model's folder/),
      );
      assert.throws(
        () => source.readExternal!("missing.bin"),
        errorWith("E_EXTERNAL_DATA", /cannot read external data 'missing.bin'/),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("engine features", () => {
  it("refuses each feature the engine lacks, naming it", () => {
    const none = { simd: false, relaxedSimd: false, threads: false };
    const all = { simd: true, relaxedSimd: true, threads: true };
    assert.doesNotThrow(() => checkPlanFeatures(tinyPlan({ features: all }), all));
    assert.doesNotThrow(() => checkPlanFeatures(tinyPlan({ features: none }), none));
    const only = (feature: keyof typeof none) => tinyPlan({ features: { ...none, [feature]: true } });
    assert.throws(() => checkPlanFeatures(only("simd"), none), errorWith("E_BAD_ARTIFACT", /WebAssembly SIMD/));
    assert.throws(() => checkPlanFeatures(only("relaxedSimd"), none), errorWith("E_BAD_ARTIFACT", /relaxed SIMD/));
    assert.throws(() => checkPlanFeatures(only("threads"), none), errorWith("E_BAD_ARTIFACT", /threads/));
  });

  it("runs a threads plan over shared memory", async () => {
    const compiled = tinyCompiledModel({ features: { simd: false, relaxedSimd: false, threads: true } });
    const shared = buildAddModule(
      [
        { exportName: "add_ab", x: 128, y: 160, out: 192 },
        { exportName: "add_tw", x: 192, y: 64, out: 224 },
      ],
      1,
      true,
    );
    const session = await InferenceSession.fromCompiled({ ...compiled, wasm: shared });
    const twos = new Tensor("float32", new Float32Array(6).fill(2), [2, 3]);
    const outputs = await session.run({ a: twos, b: twos });
    assert.deepEqual(
      [...outputs.y.data],
      WEIGHT_VALUES.map((value) => value + 4),
    );
    assert.ok(!(outputs.y.data.buffer instanceof SharedArrayBuffer), "outputs are copied out of shared memory");
  });
});

describe("runtime core", () => {
  it("imports no Node-only module statically (it must load in browsers)", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const nodeOnly = /from\s+["'](node:)?(fs|fs\/promises|path|worker_threads|os|crypto|v8)["']/;
    const files = readdirSync("src/runtime").filter((file) => file.endsWith(".ts") && file !== "platform-node.ts");
    assert.ok(files.includes("session.ts"));
    for (const file of files) {
      assert.doesNotMatch(readFileSync(join("src/runtime", file), "utf8"), nodeOnly, file);
    }
  });
});
