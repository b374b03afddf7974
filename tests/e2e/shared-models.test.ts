/**
 * End to end on every model of ../shared/models: compile through the public
 * API and through the CLI artifact path, run in Tessera's wasm, and compare
 * with PyTorch's reference output within the brief's float32 tolerance.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { InferenceSession, Tensor } from "../../src/index.js";
import {
  SHARED_MODELS_DIR,
  compareToReference,
  manifestDtype,
  readManifest,
  readRawTensor,
  sharedModelsSkipReason,
  type ManifestModel,
} from "../support/shared-models.js";

const skipReason = sharedModelsSkipReason();
if (skipReason !== undefined) console.log(`# skipping shared-model end-to-end tests: ${skipReason}`);
const models = skipReason === undefined ? Object.entries(readManifest()) : [];

async function checkSession(session: InferenceSession, model: ManifestModel): Promise<void> {
  const feeds: Record<string, Tensor> = {};
  for (const input of model.inputs) {
    feeds[input.name] = new Tensor(manifestDtype(input.dtype), readRawTensor(input), [...input.shape]);
  }
  const results = await session.run(feeds);
  for (const output of model.outputs) {
    const actual = results[output.name];
    assert.ok(actual !== undefined, `missing output ${output.name}`);
    assert.deepEqual([...actual.dims], [...output.shape]);
    const { maxError, tolerance } = compareToReference(
      actual.data as Float32Array,
      readRawTensor(output) as Float32Array,
    );
    console.log(
      `# ${model.file} ${output.name}: max abs error ${maxError.toExponential(2)} (tolerance ${tolerance.toExponential(2)})`,
    );
    assert.ok(maxError <= tolerance, `${output.name}: max abs error ${maxError} > ${tolerance}`);
  }
}

for (const [name, model] of models) {
  test(`${name} matches the reference through InferenceSession.create(path)`, async () => {
    const session = await InferenceSession.create(join(SHARED_MODELS_DIR, model.file), { threads: 1 });
    try {
      await checkSession(session, model);
    } finally {
      await session.release();
    }
  });
}

for (const [name, model] of models) {
  test(`${name} matches the reference through a CLI-compiled artifact`, async () => {
    const folder = mkdtempSync(join(tmpdir(), `tessera-${name}-`));
    try {
      const artifact = join(folder, "out");
      execFileSync(
        process.execPath,
        ["--import", "tsx", "src/cli/main.ts", "compile", join(SHARED_MODELS_DIR, model.file), "-o", artifact],
        {
          stdio: "pipe",
        },
      );
      const session = await InferenceSession.create(artifact, { threads: 1 });
      try {
        await checkSession(session, model);
      } finally {
        await session.release();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
}
