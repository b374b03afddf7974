import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cacheKey, compileWithCache } from "../../src/runtime/compile-cache.js";
import { readModelFile } from "../../src/runtime/model-source.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import type { ModelSource } from "../../src/runtime/model-source.js";
import { tinyCompiledModel } from "./fixture.js";

const platform = createNodePlatform();
const options = { bindings: { batch: 1 }, relaxedSimd: false, threads: false, winograd: true, layout: "NHWC" } as const;

describe("compileWithCache", () => {
  it("compiles once, then loads the entry until the model's external data changes", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tessera-cache-"));
    try {
      writeFileSync(join(directory, "net.onnx"), new Uint8Array([1, 2, 3]));
      writeFileSync(join(directory, "net.data"), new Uint8Array([4, 5]));
      const cache = join(directory, "cache");
      let compiles = 0;
      const compile = async (source: ModelSource) => {
        compiles++;
        source.readExternal!("net.data");
        return tinyCompiledModel();
      };
      const model = () => readModelFile(platform, join(directory, "net.onnx"));
      const first = await compileWithCache(platform, cache, await model(), options, compile);
      const second = await compileWithCache(platform, cache, await model(), options, compile);
      assert.equal(compiles, 1);
      assert.deepEqual(second.plan, first.plan);
      assert.deepEqual([...second.wasm], [...first.wasm]);

      writeFileSync(join(directory, "net.data"), new Uint8Array([4, 6]));
      await compileWithCache(platform, cache, await model(), options, compile);
      assert.equal(compiles, 2, "changed external data invalidates the entry");

      const [entry] = readdirSync(cache);
      rmSync(join(cache, entry, "weights.bin"));
      await compileWithCache(platform, cache, await model(), options, compile);
      assert.equal(compiles, 3, "a damaged entry is compiled again");
      await compileWithCache(platform, cache, await model(), options, compile);
      assert.equal(compiles, 3, "and rewritten");
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("keys on the model bytes and every option that changes the output", async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const base = await cacheKey(bytes, options);
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(await cacheKey(bytes, { ...options, bindings: { batch: 1 } }), base);
    assert.notEqual(await cacheKey(new Uint8Array([1, 2, 4]), options), base);
    assert.notEqual(await cacheKey(bytes, { ...options, bindings: { batch: 2 } }), base);
    assert.notEqual(await cacheKey(bytes, { ...options, relaxedSimd: true }), base);
    assert.notEqual(await cacheKey(bytes, { ...options, threads: true }), base);
    assert.notEqual(await cacheKey(bytes, { ...options, winograd: false }), base);
    assert.notEqual(await cacheKey(bytes, { ...options, layout: "NCHW" }), base);
  });
});
