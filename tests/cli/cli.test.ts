import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/cli.js";
import type { CliIo } from "../../src/cli/io.js";
import { writeArtifact } from "../../src/runtime/artifact.js";
import { createNodePlatform } from "../../src/runtime/platform-node.js";
import type { Platform } from "../../src/runtime/platform.js";
import { TESSERA_VERSION } from "../../src/runtime/version.js";
import { WEIGHT_VALUES, tinyCompiledModel } from "../runtime/fixture.js";

interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tessera(args: string[], platform: Platform = createNodePlatform()): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), platform };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

function assertUserError(result: Result, code: string, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^error\\[${code}\\]: `));
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace for user errors");
}

let directory: string;
let artifact: string;

before(async () => {
  directory = mkdtempSync(join(tmpdir(), "tessera-cli-"));
  artifact = join(directory, "tiny");
  await writeArtifact(createNodePlatform(), artifact, tinyCompiledModel());
});

after(() => rmSync(directory, { recursive: true, force: true }));

describe("tessera (arguments)", () => {
  it("prints help and the version", async () => {
    const help = await tessera(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /compile \[options\] <model>/);
    assert.match(help.stdout, /inspect \[options\] <model>/);
    const version = await tessera(["--version"]);
    assert.equal(version.code, 0);
    assert.equal(version.stdout.trim(), TESSERA_VERSION);
    assert.equal(TESSERA_VERSION, JSON.parse(readFileSync("package.json", "utf8")).version);
  });

  it("shows usage and fails without a command", async () => {
    const result = await tessera([]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /Usage: tessera/);
  });

  it("reports argument errors as E_USAGE", async () => {
    assertUserError(await tessera(["frobnicate"]), "E_USAGE", /unknown command 'frobnicate'/);
    assertUserError(await tessera(["compile", "m.onnx"]), "E_USAGE", /required option '-o, --output <dir>'/);
    assertUserError(await tessera(["run"]), "E_USAGE", /missing required argument 'source'/);
    assertUserError(await tessera(["run", artifact, "--speed"]), "E_USAGE", /unknown option '--speed'/);
    assertUserError(await tessera(["inspect", "m.onnx", "--stage", "asm"]), "E_USAGE", /graph, fused, loop, wat/);
    assertUserError(await tessera(["inspect", "m.onnx"]), "E_USAGE", /--stage/);
    assertUserError(
      await tessera(["run", artifact, "--repeat", "0"]),
      "E_USAGE",
      /--repeat expects a positive integer/,
    );
    assertUserError(await tessera(["compile", "m.onnx", "-o", "x", "--bind", "batch"]), "E_USAGE", /name=size/);
  });
});

describe("tessera run", () => {
  it("runs an artifact on pseudo-random inputs and prints outputs and latency", async () => {
    const result = await tessera(["run", artifact, "--repeat", "3"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /input a: float32 \[2, 3\] pseudo-random \(seed 1\)/);
    assert.match(result.stdout, /^y: float32 \[2, 3\]  min \S+  max \S+  mean \S+  \[/m);
    assert.match(result.stdout, /latency: first run [\d.]+ ms; median [\d.]+ ms, min [\d.]+ ms over 3 runs/);
    const again = await tessera(["run", artifact, "--repeat", "1"]);
    const outputLine = (text: string) => text.split("\n").find((line) => line.startsWith("y:"));
    assert.equal(outputLine(again.stdout), outputLine(result.stdout), "pseudo-random inputs are deterministic");
  });

  it("reads inputs from .npy and .bin files", async () => {
    const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    const padded = header + " ".repeat(128 - 10 - header.length - 1) + "\n";
    const prefix = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
    const aFile = join(directory, "a.npy");
    const values = new Float32Array([1, 2, 3, 4, 5, 6]);
    writeFileSync(aFile, Buffer.concat([prefix, Buffer.from(padded, "latin1"), Buffer.from(values.buffer)]));
    const bFile = join(directory, "b.bin");
    writeFileSync(bFile, Buffer.from(new Float32Array([10, 20, 30, 40, 50, 60]).buffer));
    const result = await tessera(["run", artifact, "--input", `a=${aFile}`, "--input", `b=${bFile}`, "--repeat", "1"]);
    assert.equal(result.code, 0, result.stderr);
    const expected = [...values].map((value, index) => value * 11 + WEIGHT_VALUES[index]);
    assert.match(result.stdout, new RegExp(`\\[${expected.join(", ")}\\]`));
  });

  it("names the input in input errors", async () => {
    const bFile = join(directory, "short.bin");
    writeFileSync(bFile, new Uint8Array(8));
    assertUserError(await tessera(["run", artifact, "--input", `b=${bFile}`]), "E_BAD_FEED", /short.bin has 8 bytes/);
    assertUserError(
      await tessera(["run", artifact, "--input", "c=x.npy"]),
      "E_USAGE",
      /'c', which is not an input.*a, b/,
    );
    assertUserError(await tessera(["run", artifact, "--input", "x.npy"]), "E_USAGE", /name=file/);
    assertUserError(
      await tessera(["run", artifact, "--input", "a=nope.npy"]),
      "E_USAGE",
      /no such input file: nope.npy/,
    );
    assertUserError(
      await tessera(["run", artifact, "--input", `a=${bFile}`, "--input", `a=${bFile}`]),
      "E_USAGE",
      /twice/,
    );
  });

  it("prints a per-kernel profile", async () => {
    const result = await tessera(["run", artifact, "--repeat", "2", "--profile"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /profile \(median of 2 runs/);
    assert.match(result.stdout, /fused_add_0 \(Add\)/);
    assert.match(result.stdout, /fused_add_1 \(Add\)/);
  });

  it("reports a broken artifact as E_BAD_ARTIFACT with exit code 1", async () => {
    const empty = join(directory, "empty");
    mkdirSync(empty, { recursive: true });
    assertUserError(await tessera(["run", empty]), "E_BAD_ARTIFACT", /plan.json is missing/);
    assertUserError(await tessera(["run", join(directory, "missing.onnx")]), "E_USAGE", /no such model file/);
  });

  it("prints the stack and exits with 2 on an internal failure", async () => {
    const broken: Platform = { ...createNodePlatform(), isDirectory: () => Promise.reject(new Error("disk on fire")) };
    const result = await tessera(["run", artifact], broken);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Error: disk on fire\n\s+at /);
  });
});

describe("tessera compile (destination)", () => {
  it("refuses to overwrite a file or a foreign folder without --force", async () => {
    const file = join(directory, "notes.txt");
    writeFileSync(file, "keep me");
    assertUserError(await tessera(["compile", "m.onnx", "-o", file]), "E_USAGE", /existing file; pass --force/);
    assert.equal(readFileSync(file, "utf8"), "keep me");
    const folder = join(directory, "photos");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "cat.jpg"), "meow");
    assertUserError(
      await tessera(["compile", "m.onnx", "-o", folder]),
      "E_USAGE",
      /not a Tessera artifact; pass --force/,
    );
  });

  it("accepts a previous artifact, an empty folder or --force (then needs the model)", async () => {
    const missingModel = join(directory, "missing.onnx");
    assertUserError(await tessera(["compile", missingModel, "-o", artifact]), "E_USAGE", /no such model file/);
    assertUserError(
      await tessera(["compile", missingModel, "-o", join(directory, "new")]),
      "E_USAGE",
      /no such model file/,
    );
    const folder = join(directory, "photos2");
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, "cat.jpg"), "meow");
    assertUserError(await tessera(["compile", missingModel, "-o", folder, "--force"]), "E_USAGE", /no such model file/);
  });
});
