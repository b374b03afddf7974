/**
 * Shared pieces of the ONNX frontend tests: error matchers, small models
 * built with the encoder, and a seeded random source.
 */
import { TesseraError } from "../../src/support/errors.js";
import type { ErrorCode } from "../../src/support/errors.js";
import { encodeModel, type ModelSpec } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import type { Graph, Node, Value } from "../../src/graph/ir.js";

/** For assert.throws: a TesseraError with `code` whose message matches `pattern`. */
export function tesseraError(code: ErrorCode, pattern: RegExp = /./): (error: unknown) => boolean {
  return (error) => {
    if (!(error instanceof TesseraError)) throw error;
    if (error.code !== code || !pattern.test(error.message)) {
      throw new Error(`expected ${code} matching ${pattern}, got: ${error.message}`);
    }
    return true;
  };
}

/** A deterministic generator of uniform floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** x[2,3] → Mul by an initializer → Relu → y: small, with every section of a model present. */
export function smallModelSpec(): ModelSpec {
  return {
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 3] }],
    initializers: [{ name: "w", data: makeTensorData("float32", [3], Float32Array.of(1, 2, 3)) }],
    nodes: [
      { name: "mul", opType: "Mul", inputs: ["x", "w"], outputs: ["m"], attributes: {} },
      { name: "relu", opType: "Relu", inputs: ["m"], outputs: ["y"] },
    ],
  };
}

export function smallModel(): Uint8Array {
  return encodeModel(smallModelSpec());
}

export function nodeNamed(graph: Graph, name: string): Node {
  const node = graph.nodes.find((candidate) => candidate.name === name);
  if (node === undefined) throw new Error(`no node '${name}' in ${graph.nodes.map((n) => n.name).join(", ")}`);
  return node;
}

/** The contents of a constant input as plain numbers (bigints converted). */
export function constantValues(value: Value | null | undefined): number[] {
  if (value === null || value === undefined || value.constant === undefined) {
    throw new Error(`expected a constant value, got ${value?.name ?? String(value)}`);
  }
  return Array.from(value.constant.data as ArrayLike<number | bigint>, Number);
}
