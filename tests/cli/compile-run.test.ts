/**
 * The CLI end to end on a real model: compile to an artifact, load it with
 * InferenceSession and compare with PyTorch's output; run and inspect the
 * .onnx directly. Skipped when the shared models are absent.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/cli.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import { InferenceSession } from "../../src/runtime/session.js";
import { Tensor } from "../../src/runtime/tensor.js";

const MODELS = "/work/shared/models";
const MODEL = join(MODELS, "mlp_mnist.onnx");
const skip = existsSync(MODEL) ? false : `${MODEL} is absent`;
if (skip !== false) console.log(`# skipping CLI end-to-end tests: ${skip}`);

async function tessera(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io = { stdout: (text: string) => (stdout += text), stderr: (text: string) => (stderr += text) };
  const code = await runCli(args, { ...io, platform: createNodePlatform() });
  return { code, stdout, stderr };
}

function floats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

describe("tessera on mlp_mnist", { skip }, () => {
  let directory: string;
  before(() => (directory = mkdtempSync(join(tmpdir(), "tessera-e2e-"))));
  after(() => rmSync(directory, { recursive: true, force: true }));

  it("compiles an artifact that matches PyTorch's output", async () => {
    const output = join(directory, "mlp");
    const compiled = await tessera(["compile", MODEL, "-o", output]);
    assert.equal(compiled.code, 0, compiled.stderr);
    assert.match(compiled.stdout, /wrote .*mlp: \d+ kernels/);
    const session = await InferenceSession.create(output);
    const input = new Tensor("float32", floats(join(MODELS, "ref/mlp_mnist.in0.bin")), [1, 784]);
    const actual = (await session.run({ input })).output.data as Float32Array;
    const expected = floats(join(MODELS, "ref/mlp_mnist.out.bin"));
    const scale = Math.max(...expected.map(Math.abs));
    for (let index = 0; index < expected.length; index++) {
      assert.ok(Math.abs(actual[index] - expected[index]) <= 1e-4 * scale, `output[${index}]`);
    }
  });

  it("runs the .onnx directly with a .bin input and a profile", async () => {
    const input = `input=${join(MODELS, "ref/mlp_mnist.in0.bin")}`;
    const result = await tessera(["run", MODEL, "--input", input, "--repeat", "3", "--profile"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^output: float32 \[1, 10\]/m);
    assert.match(result.stdout, /over 3 runs/);
    assert.match(result.stdout, /Gemm/);
  });

  it("prints the graph stage", async () => {
    const result = await tessera(["inspect", MODEL, "--stage", "graph"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Gemm/);
  });
});
