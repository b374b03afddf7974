/**
 * Measures one (runtime, model, threads) combination in a fresh process and
 * prints one JSON line. Warm-up is by time (V8 tiers wasm up after seconds),
 * then at least MIN_RUNS runs and MIN_SECONDS seconds are timed.
 *
 *   node --import tsx bench/worker.ts <tessera|ort-web|ort-node> <model.onnx> <threads> <inputs.json>
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const WARMUP_MS = 3000;
const MIN_RUNS = 20;
const MIN_MS = 2000;

interface InputSpec {
  readonly name: string;
  readonly dtype: "float32" | "int64";
  readonly shape: readonly number[];
  readonly file?: string;
}

type RunOnce = () => Promise<void>;

interface Prepared {
  readonly run: RunOnce;
  readonly compileMs: number;
  readonly loadMs?: number;
  readonly codeBytes?: number;
}

function makeData(spec: InputSpec): Float32Array | BigInt64Array {
  const length = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.file !== undefined) {
    const bytes = readFileSync(spec.file);
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    return spec.dtype === "int64" ? new BigInt64Array(copy) : new Float32Array(copy);
  }
  if (spec.dtype === "int64") return BigInt64Array.from({ length }, (_, i) => BigInt(i % 100));
  return Float32Array.from({ length }, (_, i) => Math.sin(i) * 0.5);
}

async function prepareTessera(modelPath: string, threads: number, inputs: readonly InputSpec[]): Promise<Prepared> {
  const { InferenceSession, Tensor, compileModel } = await import("../src/index.js");
  const bytes = new Uint8Array(readFileSync(modelPath));
  const compileStart = performance.now();
  const compiled = compileModel({ bytes });
  const compileMs = performance.now() - compileStart;
  const loadStart = performance.now();
  const session = await InferenceSession.create(modelPath, { threads });
  const loadMs = performance.now() - loadStart;
  const feeds = Object.fromEntries(
    inputs.map((spec) => [spec.name, new Tensor(spec.dtype, makeData(spec), [...spec.shape])]),
  );
  return { run: async () => void (await session.run(feeds)), compileMs, loadMs, codeBytes: compiled.wasm.byteLength };
}

async function prepareOrt(
  kind: "ort-web" | "ort-node",
  modelPath: string,
  threads: number,
  inputs: readonly InputSpec[],
): Promise<Prepared> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ort: any = kind === "ort-web" ? await import("onnxruntime-web") : await import("onnxruntime-node");
  const options: Record<string, unknown> = { executionProviders: [kind === "ort-web" ? "wasm" : "cpu"] };
  if (kind === "ort-web") {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
  } else {
    options.intraOpNumThreads = threads;
    options.interOpNumThreads = 1;
  }
  const start = performance.now();
  const session = await ort.InferenceSession.create(new Uint8Array(readFileSync(modelPath)), options);
  const compileMs = performance.now() - start;
  const feeds = Object.fromEntries(
    inputs.map((spec) => [spec.name, new ort.Tensor(spec.dtype, makeData(spec), [...spec.shape])]),
  );
  return { run: async () => void (await session.run(feeds)), compileMs };
}

async function main(): Promise<void> {
  const [kind, modelPath, threadsText, inputsJson] = process.argv.slice(2);
  const threads = Number(threadsText);
  const inputs = JSON.parse(inputsJson!) as InputSpec[];
  const prepared =
    kind === "tessera"
      ? await prepareTessera(modelPath!, threads, inputs)
      : await prepareOrt(kind as "ort-web" | "ort-node", modelPath!, threads, inputs);
  const firstStart = performance.now();
  await prepared.run();
  const firstMs = performance.now() - firstStart;
  const warmupEnd = performance.now() + WARMUP_MS;
  while (performance.now() < warmupEnd) await prepared.run();
  const times: number[] = [];
  const measureStart = performance.now();
  while (times.length < MIN_RUNS || performance.now() - measureStart < MIN_MS) {
    const start = performance.now();
    await prepared.run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const medianMs = times[Math.floor(times.length / 2)]!;
  console.log(
    JSON.stringify({
      kind,
      threads,
      medianMs,
      minMs: times[0],
      runs: times.length,
      firstMs,
      compileMs: prepared.compileMs,
      loadMs: prepared.loadMs,
      codeBytes: prepared.codeBytes,
    }),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message.split("\n")[0] : String(error) }));
  process.exit(0);
});
