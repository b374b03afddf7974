/**
 * The ONNX backend node tests (Debian's libonnx-testdata) of every math op
 * that is a single-node model: build the op over the test's inputs, evaluate
 * the TE, compare with the test's outputs (rtol 1e-3, atol 1e-5 for floats,
 * exact otherwise). Inputs are also given as compile-time constants, as the
 * importer's normalization makes axes and bounds. Skips with a printed
 * reason when the data is absent.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeModel } from "../../../src/onnx/decode-model.js";
import { decodeTensor, tensorDataFromProto } from "../../../src/onnx/tensor-proto.js";
import type { AttributeProto, ModelProto } from "../../../src/onnx/onnx-records.js";
import type { AttributeValue } from "../../../src/graph/ir.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { TesseraError } from "../../../src/support/errors.js";
import { dtypeFromOnnx } from "../../../src/support/dtype.js";
import { MATH_OPS } from "../../../src/te/ops/math/index.js";
import { type InputSpec, runOp } from "./math-helpers.js";

const ROOT = "/usr/share/libonnx-testdata/data/node";

function attributeOf(proto: AttributeProto): AttributeValue | null {
  switch (proto.type) {
    case 1:
      return { kind: "float", value: proto.f };
    case 2:
      return { kind: "int", value: proto.i };
    case 3:
      return { kind: "string", value: proto.s };
    case 4:
      return proto.t === null ? null : { kind: "tensor", value: tensorDataFromProto(proto.t) };
    case 6:
      return { kind: "floats", value: proto.floats };
    case 7:
      return { kind: "ints", value: proto.ints };
    case 8:
      return { kind: "strings", value: proto.strings };
    default:
      return null;
  }
}

interface Case {
  readonly model: ModelProto;
  readonly inputs: (InputSpec | null)[];
  readonly expected: TensorData[];
}

function loadCase(folder: string): Case | string {
  const model = decodeModel(readFileSync(join(folder, "model.onnx")));
  const graph = model.graph;
  if (graph.node.length !== 1) return "not a single-node model";
  for (const info of [...graph.input, ...graph.output]) {
    if (info.type?.kind === "tensor") dtypeFromOnnx(info.type.elemType, ` (value '${info.name}')`);
  }
  const dataFolder = join(folder, "test_data_set_0");
  const initializers = new Map(graph.initializer.map((proto) => [proto.name, tensorDataFromProto(proto)]));
  const fed = graph.input.filter((info) => !initializers.has(info.name));
  const values = new Map<string, TensorData>(initializers);
  fed.forEach((info, index) =>
    values.set(info.name, decodeTensor(readFileSync(join(dataFolder, `input_${index}.pb`)))),
  );
  const inputs = graph.node[0]!.input.map((name) => (name === "" ? null : { data: values.get(name)!, constant: true }));
  const expected = graph.output.map((_, index) => decodeTensor(readFileSync(join(dataFolder, `output_${index}.pb`))));
  return { model, inputs, expected };
}

function compare(actual: TensorData, expected: TensorData, label: string): void {
  assert.equal(actual.dtype, expected.dtype, `${label} dtype`);
  assert.deepEqual(actual.shape, expected.shape, `${label} shape`);
  for (let index = 0; index < expected.data.length; index++) {
    const got = actual.data[index]!;
    const want = expected.data[index]!;
    if (typeof want === "bigint" || expected.dtype === "bool" || !["float32", "float64"].includes(expected.dtype)) {
      assert.equal(got, want, `${label}[${index}]`);
      continue;
    }
    const value = got as number;
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(value), `${label}[${index}] ${value} should be NaN`);
      continue;
    }
    const ok = value === want || Math.abs(value - want) <= 1e-5 + 1e-3 * Math.abs(want);
    assert.ok(ok, `${label}[${index}]: ${value} vs ${want}`);
  }
}

function runCase(folder: string, name: string): "pass" | string {
  const loaded = loadCase(folder);
  if (typeof loaded === "string") return loaded;
  const node = loaded.model.graph.node[0]!;
  const opset = loaded.model.opsetImport.find((entry) => entry.domain === "" || entry.domain === "ai.onnx")!.version;
  const attributes: Record<string, AttributeValue> = {};
  for (const proto of node.attribute) {
    const value = attributeOf(proto);
    if (value !== null) attributes[proto.name] = value;
  }
  const outputs = node.output.map((output) => (output === "" ? "" : output));
  const run = runOp(node.opType, loaded.inputs, attributes, { opset, outputs });
  loaded.expected.forEach((expected, index) => {
    const actual = run.results[index];
    assert.ok(actual !== null && actual !== undefined, `${name}: output ${index} missing`);
    compare(actual, expected, `${name} output ${index}`);
  });
  return "pass";
}

function testFolders(): { name: string; folder: string; opType: string }[] {
  const found: { name: string; folder: string; opType: string }[] = [];
  for (const name of readdirSync(ROOT).sort()) {
    const folder = join(ROOT, name);
    if (!existsSync(join(folder, "model.onnx")) || name.endsWith("_expanded")) continue;
    let opType: string;
    try {
      const graph = decodeModel(readFileSync(join(folder, "model.onnx"))).graph;
      if (graph.node.length !== 1 || graph.node[0]!.domain !== "") continue;
      opType = graph.node[0]!.opType;
    } catch {
      continue;
    }
    if (MATH_OPS[opType] !== undefined) found.push({ name, folder, opType });
  }
  return found;
}

if (!existsSync(ROOT)) {
  test("ONNX conformance (math ops)", { skip: `${ROOT} is absent (apt-get install libonnx-testdata)` }, () => {});
} else {
  const outcomes = { pass: 0, unsupported: 0 };
  for (const { name, folder } of testFolders()) {
    test(`conformance ${name}`, () => {
      try {
        const outcome = runCase(folder, name);
        assert.equal(outcome, "pass");
        outcomes.pass++;
      } catch (error) {
        const code = error instanceof TesseraError ? error.code : null;
        if (code === "E_UNSUPPORTED_DTYPE" || code === "E_UNSUPPORTED_ATTRIBUTE") {
          outcomes.unsupported++;
          console.log(`${name}: ${(error as Error).message}`);
          return;
        }
        throw error;
      }
    });
  }
  test("conformance summary", () => {
    console.log(`math conformance: ${outcomes.pass} passed, ${outcomes.unsupported} rejected as unsupported`);
  });
}
