import { test } from "node:test";
import assert from "node:assert/strict";
import { importModel } from "../../src/onnx/import-model.js";
import { normalizeOpsets } from "../../src/onnx/normalize-opsets.js";
import { encodeModel, type InitializerSpec, type NodeSpec } from "../../src/onnx/encode-model.js";
import { IdSource, attr } from "../../src/graph/builder.js";
import type { Graph, Node } from "../../src/graph/ir.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { constantValues, tesseraError } from "./helpers.js";

/** Imports a one-node model `y = node(x, …)` at `opset` and returns the (normalized) node. */
function importOne(opset: number, node: NodeSpec, initializers: InitializerSpec[] = []): Node {
  const graph = importGraph(opset, node, initializers);
  assert.equal(graph.nodes.length, 1);
  return graph.nodes[0]!;
}

function importGraph(opset: number, node: NodeSpec, initializers: InitializerSpec[] = []): Graph {
  const bytes = encodeModel({
    opset,
    inputs: [{ name: "x", dtype: "float32", shape: [1, 2, 4, 4] }],
    outputs: node.outputs.filter((name) => name !== "").map((name) => ({ name, dtype: "float32" as const })),
    initializers,
    nodes: [{ name: "n", inputs: ["x"], ...node }],
  });
  return importModel(bytes, { ids: new IdSource() });
}

function attributeNames(node: Node): string[] {
  return [...node.attributes.keys()].sort();
}

function stringAttribute(node: Node, name: string): string {
  const value = node.attributes.get(name);
  assert.equal(value?.kind, "string", `attribute ${name}`);
  return value.value as string;
}

test("Clip < 11: min/max attributes become scalar inputs 1 and 2 of the input's dtype", () => {
  const clip = importOne(6, {
    opType: "Clip",
    outputs: ["y"],
    attributes: { min: attr.float(-1), max: attr.float(2.5) },
  });
  assert.equal(clip.opset, 6);
  assert.equal(clip.inputs.length, 3);
  assert.deepEqual(constantValues(clip.inputs[1]), [-1]);
  assert.deepEqual(constantValues(clip.inputs[2]), [2.5]);
  assert.deepEqual(clip.inputs[1]!.constant!.shape, []);
  assert.equal(clip.inputs[1]!.dtype, "float32");
  assert.deepEqual(attributeNames(clip), []);
  const onlyMax = importOne(6, { opType: "Clip", outputs: ["y"], attributes: { max: attr.float(6) } });
  assert.equal(onlyMax.inputs[1], null);
  assert.deepEqual(constantValues(onlyMax.inputs[2]), [6]);
  const noBounds = importOne(6, { opType: "Clip", outputs: ["y"] });
  assert.equal(noBounds.inputs.length, 1);
});

test("Squeeze/Unsqueeze < 13: axes become an int64 input", () => {
  for (const opType of ["Squeeze", "Unsqueeze"]) {
    const node = importOne(11, { opType, outputs: ["y"], attributes: { axes: [0, -1] } });
    assert.equal(node.inputs[1]!.dtype, "int64");
    assert.deepEqual(constantValues(node.inputs[1]), [0, -1]);
    assert.equal(node.attributes.has("axes"), false);
    assert.equal(node.opset, 11);
  }
  assert.equal(importOne(11, { opType: "Squeeze", outputs: ["y"] }).inputs.length, 1, "no axes: squeeze all");
});

test("Reduce ops: axes become input 1 below opset 13 (ReduceSum) or 18 (the others); keepdims stays", () => {
  const sum = importOne(11, { opType: "ReduceSum", outputs: ["y"], attributes: { axes: [2, 3], keepdims: 0 } });
  assert.deepEqual(constantValues(sum.inputs[1]), [2, 3]);
  assert.deepEqual(attributeNames(sum), ["keepdims"]);
  for (const opType of [
    "ReduceMean",
    "ReduceMax",
    "ReduceMin",
    "ReduceProd",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceSumSquare",
  ]) {
    const node = importOne(17, { opType, outputs: ["y"], attributes: { axes: [1] } });
    assert.deepEqual(constantValues(node.inputs[1]), [1], opType);
    assert.equal(node.attributes.has("axes"), false, opType);
  }
  const axes = { name: "axes", data: makeTensorData("int64", [1], BigInt64Array.of(1n)) };
  const modern = importOne(13, { opType: "ReduceSum", inputs: ["x", "axes"], outputs: ["y"] }, [axes]);
  assert.deepEqual(constantValues(modern.inputs[1]), [1], "the input form is left alone");
});

test("Split < 13: split sizes become input 1", () => {
  const split = importOne(11, { opType: "Split", outputs: ["a", "b"], attributes: { axis: 1, split: [1, 1] } });
  assert.deepEqual(constantValues(split.inputs[1]), [1, 1]);
  assert.deepEqual(attributeNames(split), ["axis"]);
  assert.equal(split.outputs.length, 2);
});

test("Pad < 11: pads (or Pad-1's paddings) and value become inputs; mode stays an attribute", () => {
  const pads = [0, 0, 1, 1, 0, 0, 1, 1];
  const pad = importOne(2, {
    opType: "Pad",
    outputs: ["y"],
    attributes: { pads, value: attr.float(0.5), mode: "constant" },
  });
  assert.deepEqual(constantValues(pad.inputs[1]), pads);
  assert.equal(pad.inputs[1]!.dtype, "int64");
  assert.deepEqual(constantValues(pad.inputs[2]), [0.5]);
  assert.deepEqual(attributeNames(pad), ["mode"]);
  const reflect = importOne(1, { opType: "Pad", outputs: ["y"], attributes: { paddings: pads, mode: "reflect" } });
  assert.deepEqual(constantValues(reflect.inputs[1]), pads);
  assert.equal(reflect.inputs.length, 2);
  assert.equal(stringAttribute(reflect, "mode"), "reflect");
});

test("Slice < 10: starts/ends/axes become inputs; INT64_MAX ends stay INT64_MAX", () => {
  const ends = [9223372036854775807, 3];
  const slice = importOne(9, { opType: "Slice", outputs: ["y"], attributes: { starts: [1, 0], ends, axes: [2, 3] } });
  assert.deepEqual(constantValues(slice.inputs[1]), [1, 0]);
  assert.equal((slice.inputs[2]!.constant!.data as BigInt64Array)[0], 2n ** 63n - 1n);
  assert.deepEqual(constantValues(slice.inputs[3]), [2, 3]);
  assert.deepEqual(attributeNames(slice), []);
  const noAxes = importOne(1, { opType: "Slice", outputs: ["y"], attributes: { starts: [0], ends: [1] } });
  assert.equal(noAxes.inputs.length, 3);
});

test("Upsample (any opset) becomes Resize (X, roi, scales) with asymmetric floor sampling", () => {
  const fromAttribute = importOne(7, {
    opType: "Upsample",
    outputs: ["y"],
    attributes: { scales: attr.floats([1, 1, 2, 2]), mode: "nearest" },
  });
  assert.equal(fromAttribute.opType, "Resize");
  assert.equal(fromAttribute.opset, 7);
  assert.equal(fromAttribute.inputs[1], null);
  assert.deepEqual(constantValues(fromAttribute.inputs[2]), [1, 1, 2, 2]);
  assert.equal(fromAttribute.inputs[2]!.dtype, "float32");
  assert.equal(stringAttribute(fromAttribute, "mode"), "nearest");
  assert.equal(stringAttribute(fromAttribute, "coordinate_transformation_mode"), "asymmetric");
  assert.equal(stringAttribute(fromAttribute, "nearest_mode"), "floor");
  const scales = { name: "scales", data: makeTensorData("float32", [4], Float32Array.of(1, 1, 2, 3)) };
  const fromInput = importOne(
    9,
    { opType: "Upsample", inputs: ["x", "scales"], outputs: ["y"], attributes: { mode: "linear" } },
    [scales],
  );
  assert.equal(fromInput.opType, "Resize");
  assert.deepEqual(constantValues(fromInput.inputs[2]), [1, 1, 2, 3]);
  assert.equal(stringAttribute(fromInput, "mode"), "linear");
  assert.equal(fromInput.attributes.has("nearest_mode"), false);
  assert.throws(
    () => importOne(9, { opType: "Upsample", outputs: ["y"] }),
    tesseraError("E_INVALID_MODEL", /no scales.*node 'n'/),
  );
});

test("Resize 10 (X, scales) moves to the 11+ layout; downsampling picks ceil as onnxruntime does", () => {
  const scales = { name: "scales", data: makeTensorData("float32", [4], Float32Array.of(1, 1, 0.5, 0.5)) };
  const resize = importOne(10, { opType: "Resize", inputs: ["x", "scales"], outputs: ["y"] }, [scales]);
  assert.equal(resize.opset, 10);
  assert.equal(resize.inputs.length, 3);
  assert.equal(resize.inputs[1], null);
  assert.equal(resize.inputs[2]!.name, "scales");
  assert.equal(stringAttribute(resize, "coordinate_transformation_mode"), "asymmetric");
  assert.equal(stringAttribute(resize, "nearest_mode"), "ceil");
  const modern = importOne(11, { opType: "Resize", inputs: ["x", "", "scales"], outputs: ["y"] }, [scales]);
  assert.equal(modern.attributes.size, 0, "Resize 11 is left alone");
});

test("BatchNormalization < 9: spatial, is_test and consumed_inputs are dropped when harmless", () => {
  const inputs = ["x", "s", "b", "m", "v"];
  const channel = (name: string) => ({ name, data: makeTensorData("float32", [2], Float32Array.of(1, 1)) });
  const params = ["s", "b", "m", "v"].map(channel);
  const bn7 = importOne(
    7,
    { opType: "BatchNormalization", inputs, outputs: ["y"], attributes: { spatial: 1, epsilon: attr.float(1e-3) } },
    params,
  );
  assert.deepEqual(attributeNames(bn7), ["epsilon"]);
  const bn6 = importOne(
    6,
    { opType: "BatchNormalization", inputs, outputs: ["y"], attributes: { is_test: 1 } },
    params,
  );
  assert.deepEqual(attributeNames(bn6), []);
  const bn1 = importOne(
    1,
    { opType: "BatchNormalization", inputs, outputs: ["y"], attributes: { consumed_inputs: [0, 0, 0, 1, 1] } },
    params,
  );
  assert.deepEqual(attributeNames(bn1), []);
  assert.throws(
    () => importOne(7, { opType: "BatchNormalization", inputs, outputs: ["y"], attributes: { spatial: 0 } }, params),
    tesseraError("E_UNSUPPORTED_ATTRIBUTE", /spatial=0.*node 'n'/),
  );
  assert.throws(
    () =>
      importOne(
        6,
        { opType: "BatchNormalization", inputs, outputs: ["y", "mean", "var"], attributes: { is_test: 0 } },
        params,
      ),
    tesseraError("E_UNSUPPORTED_ATTRIBUTE", /training mode/),
  );
});

test("Dropout < 12: ratio becomes input 1; is_test is dropped", () => {
  const dropout = importOne(10, { opType: "Dropout", outputs: ["y"], attributes: { ratio: attr.float(0.25) } });
  assert.deepEqual(constantValues(dropout.inputs[1]), [0.25]);
  assert.deepEqual(attributeNames(dropout), []);
  const old = importOne(6, { opType: "Dropout", outputs: ["y"], attributes: { is_test: 1 } });
  assert.deepEqual(attributeNames(old), []);
  assert.equal(old.inputs.length, 1);
});

test("Reshape < 5, TopK < 10 and Cast < 6 attribute forms are normalized too", () => {
  const reshape = importOne(4, { opType: "Reshape", outputs: ["y"], attributes: { shape: [1, -1] } });
  assert.deepEqual(constantValues(reshape.inputs[1]), [1, -1]);
  const topK = importOne(9, { opType: "TopK", outputs: ["values", "indices"], attributes: { k: 3, axis: -1 } });
  assert.deepEqual(constantValues(topK.inputs[1]), [3]);
  assert.deepEqual(attributeNames(topK), ["axis"]);
  const cast = importOne(5, { opType: "Cast", outputs: ["y"], attributes: { to: "DOUBLE" } });
  assert.deepEqual(cast.attributes.get("to"), { kind: "int", value: 11 });
});

test("generated constant names are unique and ids stay unique; a modern graph is returned unchanged", () => {
  const bytes = encodeModel({
    opset: 6,
    inputs: [{ name: "x", dtype: "float32" }],
    outputs: [
      { name: "y", dtype: "float32" },
      { name: "n_min", dtype: "float32" },
    ],
    initializers: [{ name: "n_min", data: makeTensorData("float32", [], Float32Array.of(0)) }],
    nodes: [{ name: "n", opType: "Clip", inputs: ["x"], outputs: ["y"], attributes: { min: attr.float(0) } }],
  });
  const graph = importModel(bytes, { ids: new IdSource() });
  const clip = graph.nodes[0]!;
  assert.notEqual(clip.inputs[1]!.name, "n_min", "avoids an existing name");
  const items = new Set<{ id: number }>([...graph.inputs, ...graph.outputs, ...graph.nodes, ...clip.outputs]);
  for (const value of clip.inputs) if (value !== null) items.add(value);
  const ids = [...items].map((item) => item.id);
  assert.equal(new Set(ids).size, ids.length);
  const modern = importGraph(17, { opType: "Relu", outputs: ["y"] });
  assert.equal(normalizeOpsets(modern), modern);
});
