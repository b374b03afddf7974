/**
 * The ONNX backend node tests (Debian's libonnx-testdata) for the ops this
 * family defines: import each model, build its nodes' TE over the test
 * inputs, interpret it, and compare with the expected outputs. Graph inputs
 * are also given as compile-time constants, as the tests feed shape-like
 * inputs (Reshape's shape, Slice's starts) at run time.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Attributes } from "../../../src/graph/attributes.js";
import type { Graph, Value } from "../../../src/graph/ir.js";
import { decodeTensor, importModel } from "../../../src/onnx/index.js";
import { TesseraError } from "../../../src/support/errors.js";
import type { TensorData } from "../../../src/support/tensor-data.js";
import { evaluateTe } from "../../../src/te/evaluate.js";
import type { OpInput } from "../../../src/te/op.js";
import { NN_OPS } from "../../../src/te/ops/nn/index.js";
import { type TeTensor, placeholder } from "../../../src/te/tensor.js";

const ROOT = "/usr/share/libonnx-testdata/data/node";

/** Tests whose op form Tessera refuses on purpose (E_UNSUPPORTED_ATTRIBUTE expected). */
const UNSUPPORTED = [/cubic/, /tf_crop_and_resize/, /maxpool_with_argmax/, /training_dropout/];

function readTensors(folder: string, prefix: string): TensorData[] {
  const files = readdirSync(folder)
    .filter((name) => name.startsWith(prefix))
    .sort((a, b) => fileIndex(a) - fileIndex(b));
  return files.map((name) => decodeTensor(new Uint8Array(readFileSync(join(folder, name)))));
}

function fileIndex(name: string): number {
  return Number(/_(\d+)\.pb$/.exec(name)![1]);
}

/** Builds every node's TE and interprets the graph outputs. */
function runGraph(graph: Graph, feeds: readonly TensorData[]): TensorData[] {
  const tensors = new Map<Value, TeTensor>();
  const known = new Map<Value, TensorData>();
  const bindings = new Map<TeTensor, TensorData>();
  const bind = (value: Value, data: TensorData): void => {
    const tensor = placeholder(value.name, data.dtype, data.shape);
    tensors.set(value, tensor);
    known.set(value, data);
    bindings.set(tensor, data);
  };
  graph.inputs.forEach((value, index) => bind(value, feeds[index]!));
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((value): OpInput | null => {
      if (value === null) return null;
      if (!tensors.has(value) && value.constant !== undefined) bind(value, value.constant);
      return { tensor: tensors.get(value)!, constant: known.get(value) ?? null };
    });
    const context = {
      node,
      attributes: new Attributes(node),
      inputs,
      outputNames: node.outputs.map((value) => value.name),
    };
    const built = NN_OPS[node.opType]!.build(context);
    built.forEach((tensor, index) => {
      if (tensor !== null) tensors.set(node.outputs[index]!, tensor);
    });
  }
  const outputs = graph.outputs.map((value) => {
    if (!tensors.has(value) && value.constant !== undefined) bind(value, value.constant);
    return tensors.get(value)!;
  });
  return evaluateTe(outputs, bindings);
}

function assertMatches(actual: TensorData, expected: TensorData, label: string): void {
  assert.deepEqual([...actual.shape], [...expected.shape], `${label}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${label}: dtype`);
  for (let index = 0; index < expected.data.length; index++) {
    const value = Number(actual.data[index]);
    const want = Number(expected.data[index]);
    const close =
      value === want ||
      Math.abs(value - want) <= 1e-4 * (1 + Math.abs(want)) ||
      (Number.isNaN(value) && Number.isNaN(want));
    assert.ok(close, `${label}: element ${index} is ${value}, expected ${want}`);
  }
}

function candidateTests(): string[] {
  if (!existsSync(ROOT)) return [];
  return readdirSync(ROOT)
    .filter((name) => existsSync(join(ROOT, name, "model.onnx")))
    .filter((name) => {
      try {
        const graph = importModel(new Uint8Array(readFileSync(join(ROOT, name, "model.onnx"))));
        return (
          graph.nodes.length > 0 && graph.nodes.every((node) => node.domain === "" && NN_OPS[node.opType] !== undefined)
        );
      } catch {
        return false;
      }
    })
    .sort();
}

describe("ONNX node conformance (nn ops)", () => {
  const tests = candidateTests();
  if (tests.length === 0) {
    it("skipped: no libonnx-testdata at " + ROOT, { skip: true }, () => {});
    return;
  }
  for (const name of tests) {
    it(name, () => {
      const folder = join(ROOT, name);
      const graph = importModel(new Uint8Array(readFileSync(join(folder, "model.onnx"))));
      const dataFolder = join(folder, "test_data_set_0");
      const expectUnsupported = UNSUPPORTED.some((pattern) => pattern.test(name));
      try {
        const actual = runGraph(graph, readTensors(dataFolder, "input_"));
        assert.ok(!expectUnsupported, "expected E_UNSUPPORTED_ATTRIBUTE");
        readTensors(dataFolder, "output_").forEach((expected, index) =>
          assertMatches(actual[index]!, expected, `output ${index}`),
        );
      } catch (error) {
        if (expectUnsupported && error instanceof TesseraError && error.code === "E_UNSUPPORTED_ATTRIBUTE") return;
        throw error;
      }
    });
  }
});
