/**
 * The ONNX backend conformance suite (Debian's libonnx-testdata, "node"
 * tests): each test is a model.onnx plus test_data_set_N/{input,output}_K.pb.
 * Each model is compiled and run in Tessera's wasm and its outputs compared
 * with numpy.testing.assert_allclose's rule (|actual - expected| <= atol +
 * rtol·|expected|, NaN equal to NaN); integer and bool outputs must be equal.
 *
 * Tests of training ops, strings, sequences/optionals and non-ai.onnx domains
 * are counted as skipped, as the issue allows; everything else counts.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { InferenceSession, Tensor } from "../../src/index.js";
import { decodeModel, decodeTensor } from "../../src/onnx/index.js";
import type { ModelProto, TypeProto } from "../../src/onnx/onnx-records.js";
import type { TensorData } from "../../src/support/tensor-data.js";
import { TesseraError } from "../../src/support/errors.js";

export const NODE_TESTS_DIR = process.env.TESSERA_ONNX_NODE_TESTS ?? "/usr/share/libonnx-testdata/data/node";

const RTOL = 1e-3;
const ATOL = 1e-5;
const STRING_TYPE = 8;
const TRAINING_OPS = new Set(["Adagrad", "Adam", "Momentum", "Gradient"]);

export type Outcome =
  | { readonly status: "passed" }
  | { readonly status: "skipped"; readonly reason: string }
  | { readonly status: "failed"; readonly reason: string };

export interface TestResult {
  readonly name: string;
  readonly ops: readonly string[];
  readonly outcome: Outcome;
}

export function listNodeTests(): string[] {
  if (!existsSync(NODE_TESTS_DIR)) return [];
  return readdirSync(NODE_TESTS_DIR)
    .filter((name) => existsSync(join(NODE_TESTS_DIR, name, "model.onnx")))
    .sort();
}

export async function runNodeTest(name: string): Promise<TestResult> {
  const folder = join(NODE_TESTS_DIR, name);
  const bytes = new Uint8Array(readFileSync(join(folder, "model.onnx")));
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    return { name, ops: [], outcome: { status: "failed", reason: describe(error) } };
  }
  const ops = [...new Set(model.graph.node.map((node) => node.opType))];
  const skip = skipReason(name, model);
  if (skip !== undefined) return { name, ops, outcome: { status: "skipped", reason: skip } };
  try {
    return { name, ops, outcome: await compileAndCompare(folder, bytes, model) };
  } catch (error) {
    return { name, ops, outcome: { status: "failed", reason: describe(error) } };
  }
}

function skipReason(name: string, model: ModelProto): string | undefined {
  const nodes = model.graph.node;
  if (nodes.some((node) => node.domain !== "" && node.domain !== "ai.onnx")) return "non-ai.onnx domain";
  if (nodes.some((node) => TRAINING_OPS.has(node.opType)) || name.includes("training")) return "training op";
  const types = [...model.graph.input, ...model.graph.output].map((info) => info.type);
  if (types.some((type) => type !== null && type.kind !== "tensor")) return "sequence/optional/map type";
  if (types.some((type) => isStringTensor(type))) return "string tensors";
  if (nodes.some((node) => /Sequence|^Optional/.test(node.opType))) return "sequence op";
  if (nodes.some((node) => node.attribute.some((attribute) => attribute.t?.dataType === STRING_TYPE)))
    return "string tensors";
  return undefined;
}

function isStringTensor(type: TypeProto | null): boolean {
  return type !== null && type.kind === "tensor" && type.elemType === STRING_TYPE;
}

async function compileAndCompare(folder: string, bytes: Uint8Array, model: ModelProto): Promise<Outcome> {
  const session = await InferenceSession.create(bytes, { threads: 1 });
  try {
    const dataSets = readdirSync(folder)
      .filter((entry) => entry.startsWith("test_data_set_"))
      .sort();
    for (const dataSet of dataSets) {
      const failure = await runDataSet(session, join(folder, dataSet), model);
      if (failure !== undefined) return { status: "failed", reason: `${dataSet}: ${failure}` };
    }
    return { status: "passed" };
  } finally {
    await session.release();
  }
}

async function runDataSet(session: InferenceSession, folder: string, model: ModelProto): Promise<string | undefined> {
  const initializerNames = new Set(model.graph.initializer.map((tensor) => tensor.name));
  const inputNames = model.graph.input.map((info) => info.name).filter((inputName) => !initializerNames.has(inputName));
  const feeds: Record<string, Tensor> = {};
  readPbFiles(folder, "input").forEach((tensor, index) => {
    const inputName = inputNames[index];
    if (inputName !== undefined) feeds[inputName] = new Tensor(tensor.dtype, tensor.data, [...tensor.shape]);
  });
  const expected = readPbFiles(folder, "output");
  const results = await session.run(feeds);
  for (let index = 0; index < expected.length; index++) {
    const outputName = model.graph.output[index]!.name;
    const actual = results[outputName];
    if (actual === undefined) return `missing output ${outputName}`;
    const mismatch = compareTensor(actual, expected[index]!);
    if (mismatch !== undefined) return `output ${outputName}: ${mismatch}`;
  }
  return undefined;
}

function readPbFiles(folder: string, prefix: string): TensorData[] {
  const files = readdirSync(folder)
    .filter((file) => file.startsWith(`${prefix}_`) && file.endsWith(".pb"))
    .sort((a, b) => Number(a.slice(prefix.length + 1, -3)) - Number(b.slice(prefix.length + 1, -3)));
  return files.map((file) => decodeTensor(new Uint8Array(readFileSync(join(folder, file)))));
}

export function compareTensor(actual: Tensor, expected: TensorData): string | undefined {
  if (actual.type !== expected.dtype) return `dtype ${actual.type}, expected ${expected.dtype}`;
  if (actual.dims.join(",") !== expected.shape.join(",")) return `dims [${actual.dims}], expected [${expected.shape}]`;
  const isFloatType = expected.dtype === "float32" || expected.dtype === "float64";
  for (let i = 0; i < expected.data.length; i++) {
    const got = actual.data[i]!;
    const want = expected.data[i]!;
    if (isFloatType ? !closeEnough(got as number, want as number) : got !== want) {
      return `element ${i}: got ${got}, expected ${want}`;
    }
  }
  return undefined;
}

function closeEnough(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  if (!Number.isFinite(want)) return got === want;
  return Math.abs(got - want) <= ATOL + RTOL * Math.abs(want);
}

function describe(error: unknown): string {
  if (error instanceof TesseraError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return String(error);
}

export interface Summary {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failuresByOp: ReadonlyMap<string, readonly string[]>;
}

export function summarize(results: readonly TestResult[]): Summary {
  const failuresByOp = new Map<string, string[]>();
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const result of results) {
    if (result.outcome.status === "passed") passed++;
    else if (result.outcome.status === "skipped") skipped++;
    else {
      failed++;
      const op = result.ops.join("+") || "(undecodable)";
      failuresByOp.set(op, [...(failuresByOp.get(op) ?? []), `${result.name}: ${result.outcome.reason}`]);
    }
  }
  return { passed, failed, skipped, failuresByOp };
}

export function formatSummary(summary: Summary, verbose: boolean): string {
  const lines = [`${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`];
  lines.push("failures by op:");
  const entries = [...summary.failuresByOp].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  for (const [op, failures] of entries) {
    lines.push(`  ${op}: ${failures.length}`);
    if (verbose) for (const failure of failures) lines.push(`    ${failure}`);
  }
  return lines.join("\n");
}
