/**
 * `npm run bench`: Tessera vs onnxruntime-web (wasm) vs onnxruntime-node on
 * the shared models, at 1 and 2 threads, each measurement in a fresh process,
 * one after another. Prints median ms, speedups over ORT-web, GFLOP/s and the
 * geomean speedup, plus compile time, first-inference time and wasm code size.
 *
 *   npm run bench [-- --models a,b] [-- --threads 1,2] [-- --runtimes tessera,ort-web,ort-node] [-- --relaxed-simd]
 *   npm run bench -- --held-out [...]
 *
 * --held-out measures, instead of the shared models, stand-ins for models
 * the checks hold out: the CNN blocks of tests/support/cnn-blocks.ts at
 * ImageNet sizes, two whole networks from there (ResNeXt-50 32×4d and
 * ShuffleNet V2 1.0× at 224×224) and a GPT-2-small-like decoder layer
 * (tests/support/decoder-model.ts), written to a temporary folder.
 *
 * --relaxed-simd runs every cell (all runtimes alike) with V8's relaxed SIMD
 * enabled, as Chromium and newer Node ship it; Tessera then emits
 * f32x4.relaxed_madd. Without it, Node 20's default engine: plain SIMD128.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as blocks from "../tests/support/cnn-blocks.js";
import { decoderModel } from "../tests/support/decoder-model.js";

const MODELS_DIR = process.env.TESSERA_MODELS_DIR ?? resolve("../shared/models");

interface Measurement {
  readonly kind: string;
  readonly threads: number;
  readonly medianMs: number;
  readonly firstMs: number;
  readonly compileMs: number;
  /** Session creation from the .onnx path (compile, wasm compile, weights), for Tessera. */
  readonly loadMs?: number;
  readonly codeBytes?: number;
  readonly error?: string;
}

function option(name: string, fallback: string): string[] {
  const index = process.argv.indexOf(`--${name}`);
  return (index >= 0 ? process.argv[index + 1]! : fallback).split(",").filter((item) => item !== "");
}

const ENGINE_FLAGS = process.argv.includes("--relaxed-simd") ? ["--experimental-wasm-relaxed-simd"] : [];

function measure(kind: string, modelPath: string, threads: number, inputs: unknown): Measurement {
  const output = execFileSync(
    process.execPath,
    [...ENGINE_FLAGS, "--import", "tsx", "bench/worker.ts", kind, modelPath, String(threads), JSON.stringify(inputs)],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = output.trim().split("\n").pop()!;
  return { kind, threads, ...(JSON.parse(line) as Omit<Measurement, "kind" | "threads">) };
}

interface BenchInput {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Raw little-endian data; pseudo-random inputs when absent. */
  readonly file?: string;
}

interface BenchModel {
  readonly path: string;
  readonly inputs: readonly BenchInput[];
  /** Work per inference, when known (for the GFLOP/s column). */
  readonly gflop?: number;
}

/** The shared models and their reference inputs, by name; null when they are not there. */
function sharedModels(): Map<string, BenchModel> | null {
  if (!existsSync(join(MODELS_DIR, "MANIFEST.json"))) return null;
  const manifest = JSON.parse(readFileSync(join(MODELS_DIR, "MANIFEST.json"), "utf8")).models as Record<
    string,
    { file: string; gflop: number; inputs: { name: string; dtype: string; shape: number[]; data: string }[] }
  >;
  const models = new Map<string, BenchModel>();
  for (const [name, entry] of Object.entries(manifest)) {
    const inputs = entry.inputs.map((input) => ({
      name: input.name,
      dtype: input.dtype === "float" ? "float32" : input.dtype,
      shape: input.shape,
      file: join(MODELS_DIR, input.data),
    }));
    models.set(name, { path: join(MODELS_DIR, entry.file), inputs, gflop: entry.gflop });
  }
  return models;
}

/** Held-out stand-ins (see the file comment), written to a temporary folder. */
function heldOutModels(): Map<string, BenchModel> {
  const folder = mkdtempSync(join(tmpdir(), "tessera-held-out-"));
  const imagenet = (channels: number, side: number, repeats = 1) => ({ channels, height: side, width: side, repeats });
  const cnns = [
    blocks.mbconvBlock(imagenet(40, 28, 2)),
    blocks.mobilenetV3Block(imagenet(40, 28)),
    blocks.shuffleBlock(imagenet(116, 28, 2)),
    blocks.resnextBlock(imagenet(256, 28, 2)),
    blocks.densenetBlock(imagenet(128, 28, 4)),
    blocks.inceptionBlock(imagenet(256, 17)),
    blocks.alexnetStem(imagenet(64, 224)),
    blocks.vggBlock(imagenet(64, 56)),
    blocks.resnext50({ side: 224, widthScale: 1, classes: 1000 }),
    blocks.shufflenetV2({ side: 224, widthScale: 1, classes: 1000 }),
  ];
  const models = new Map<string, BenchModel>();
  for (const block of cnns) {
    const path = join(folder, `${block.name}.onnx`);
    writeFileSync(path, block.bytes);
    models.set(block.name, { path, inputs: [{ name: "x", dtype: "float32", shape: block.input }] });
  }
  const decoder = { vocab: 2000, sequence: 128, width: 512, heads: 8 };
  for (const [name, style] of [
    ["decoder_block", "opset17"],
    ["decoder_block_gpt2", "gpt2"],
  ] as const) {
    const path = join(folder, `${name}.onnx`);
    writeFileSync(path, decoderModel(decoder, style));
    models.set(name, { path, inputs: [{ name: "input_ids", dtype: "int64", shape: [1, decoder.sequence] }] });
  }
  return models;
}

function main(): void {
  const suite = process.argv.includes("--held-out") ? heldOutModels() : sharedModels();
  if (suite === null) {
    console.log(`no models at ${MODELS_DIR}; set TESSERA_MODELS_DIR`);
    return;
  }
  const models = option("models", [...suite.keys()].join(","));
  const threadCounts = option("threads", "1,2").map(Number);
  const runtimes = option("runtimes", "tessera,ort-web,ort-node");
  const rows: string[] = [
    "| model | threads | " +
      runtimes.map((r) => `${r} ms`).join(" | ") +
      " | vs ort-web | Tessera GFLOP/s | compile ms | load ms | first run ms | wasm code KB |",
  ];
  rows.push("|" + " --- |".repeat(8 + runtimes.length));
  const speedups = new Map<number, number[]>();
  for (const name of models) {
    const entry = suite.get(name);
    if (entry === undefined) throw new Error(`unknown model '${name}'; known: ${[...suite.keys()].join(", ")}`);
    for (const threads of threadCounts) {
      const results = new Map(runtimes.map((kind) => [kind, measure(kind, entry.path, threads, entry.inputs)]));
      const tessera = results.get("tessera");
      const web = results.get("ort-web");
      const ratio =
        tessera?.medianMs !== undefined && web?.medianMs !== undefined ? web.medianMs / tessera.medianMs : NaN;
      if (Number.isFinite(ratio)) speedups.set(threads, [...(speedups.get(threads) ?? []), ratio]);
      const cells = runtimes.map((kind) => {
        const result = results.get(kind)!;
        return result.error !== undefined ? `error: ${result.error}` : result.medianMs.toFixed(2);
      });
      const gflops =
        tessera?.medianMs && entry.gflop !== undefined ? (entry.gflop / (tessera.medianMs / 1000)).toFixed(1) : "-";
      rows.push(
        `| ${name} | ${threads} | ${cells.join(" | ")} | ${Number.isFinite(ratio) ? ratio.toFixed(2) + "×" : "-"} | ${gflops} | ${tessera?.compileMs?.toFixed(0) ?? "-"} | ${tessera?.loadMs?.toFixed(0) ?? "-"} | ${tessera?.firstMs?.toFixed(1) ?? "-"} | ${tessera?.codeBytes !== undefined ? (tessera.codeBytes / 1024).toFixed(0) : "-"} |`,
      );
      console.log(rows[rows.length - 1]);
    }
  }
  console.log(`\nengine: Node ${process.version}${ENGINE_FLAGS.length > 0 ? ` with ${ENGINE_FLAGS.join(" ")}` : ""}`);
  console.log(rows.join("\n"));
  for (const [threads, values] of speedups) {
    const geomean = Math.exp(values.reduce((sum, value) => sum + Math.log(value), 0) / values.length);
    console.log(`geomean speedup over ort-web at ${threads} thread(s): ${geomean.toFixed(2)}×`);
  }
}

main();
