import { test } from "node:test";
import assert from "node:assert/strict";
import { importModel } from "../../src/onnx/import-model.js";
import { encodeModel, type ModelSpec, type NodeSpec } from "../../src/onnx/encode-model.js";
import { onnxTypes } from "../../src/onnx/onnx-schema.js";
import { IdSource, attr } from "../../src/graph/builder.js";
import type { Graph } from "../../src/graph/ir.js";
import { type TensorData, makeTensorData } from "../../src/support/tensor-data.js";
import { constantValues, nodeNamed, smallModelSpec, tesseraError } from "./helpers.js";

function importSpec(spec: ModelSpec): Graph {
  return importModel(encodeModel(spec), { ids: new IdSource() });
}

/** A model y = opType(x…) with the given nodes, for tests that only care about nodes. */
function nodesModel(nodes: readonly NodeSpec[], extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    opset: 17,
    inputs: [{ name: "x", dtype: "float32", shape: [2, 3] }],
    outputs: [{ name: "y", dtype: "float32" }],
    nodes,
    ...extra,
  };
}

test("graph inputs exclude initializers; initializers are constants; names and opsets are kept", () => {
  const spec = smallModelSpec();
  const graph = importSpec({ ...spec, inputs: [...spec.inputs, { name: "w", dtype: "float32", shape: [3] }] });
  assert.equal(graph.opset, 17);
  assert.deepEqual(
    graph.inputs.map((value) => [value.name, value.dtype, value.shape]),
    [["x", "float32", [2, 3]]],
  );
  assert.deepEqual(
    graph.outputs.map((value) => value.name),
    ["y"],
  );
  const mul = nodeNamed(graph, "mul");
  assert.equal(mul.opset, 17);
  assert.equal(mul.domain, "");
  assert.equal(mul.inputs[0], graph.inputs[0]);
  assert.deepEqual(constantValues(mul.inputs[1]), [1, 2, 3]);
  assert.equal(nodeNamed(graph, "relu").inputs[0], mul.outputs[0]);
  assert.equal(nodeNamed(graph, "relu").outputs[0], graph.outputs[0]);
});

const SAMPLE_DATA: readonly TensorData[] = [
  makeTensorData("float32", [2, 2], Float32Array.of(1.5, -2, 3.25, 1e-30)),
  makeTensorData("float64", [3], Float64Array.of(Math.PI, -1e300, 0)),
  makeTensorData("int8", [3], Int8Array.of(-128, 0, 127)),
  makeTensorData("uint8", [3], Uint8Array.of(0, 128, 255)),
  makeTensorData("int16", [2], Int16Array.of(-32768, 32767)),
  makeTensorData("uint16", [2], Uint16Array.of(0, 65535)),
  makeTensorData("int32", [2], Int32Array.of(-(2 ** 31), 2 ** 31 - 1)),
  makeTensorData("uint32", [2], Uint32Array.of(0, 2 ** 32 - 1)),
  makeTensorData("int64", [4], BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n), 2n ** 63n - 1n, -3n)),
  makeTensorData("uint64", [2], BigUint64Array.of(2n ** 64n - 1n, 2n ** 53n + 1n)),
  makeTensorData("bool", [3], Uint8Array.of(1, 0, 1)),
  makeTensorData("float32", [0, 4], new Float32Array(0)),
  makeTensorData("int64", [], BigInt64Array.of(7n)),
];

for (const storage of ["raw", "typed"] as const) {
  test(`initializers of every dtype round-trip exactly (${storage} storage)`, () => {
    const initializers = SAMPLE_DATA.map((data, index) => ({ name: `c${index}`, data, storage }));
    const nodes = initializers.map((initializer, index) => ({
      name: `use${index}`,
      opType: "Identity",
      inputs: [initializer.name],
      outputs: [`o${index}`],
    }));
    const graph = importSpec({ opset: 17, inputs: [], outputs: [], initializers, nodes });
    SAMPLE_DATA.forEach((expected, index) => {
      const actual = nodeNamed(graph, `use${index}`).inputs[0]!.constant!;
      assert.equal(actual.dtype, expected.dtype);
      assert.deepEqual(actual.shape, expected.shape);
      assert.deepEqual(Array.from(actual.data as ArrayLike<unknown>), Array.from(expected.data as ArrayLike<unknown>));
    });
  });
}

test("Constant nodes become constant values in every attribute form", () => {
  const forms: Record<string, NodeSpec["attributes"]> = {
    tensor: { value: makeTensorData("int32", [2], Int32Array.of(4, 5)) },
    float: { value_float: attr.float(2) },
    floats: { value_floats: attr.floats([1, 2.5]) },
    int: { value_int: 9 },
    ints: { value_ints: [3, 2 ** 40, -1] },
  };
  const nodes: NodeSpec[] = Object.entries(forms).flatMap(([form, attributes]) => [
    { name: `k_${form}`, opType: "Constant", outputs: [form], attributes },
    { name: `use_${form}`, opType: "Identity", inputs: [form], outputs: [`${form}_out`] },
  ]);
  const graph = importSpec(nodesModel(nodes, { inputs: [], outputs: [] }));
  assert.equal(graph.nodes.filter((node) => node.opType === "Constant").length, 0);
  const read = (form: string): [string, readonly number[], number[]] => {
    const value = nodeNamed(graph, `use_${form}`).inputs[0]!;
    assert.equal(value.name, form);
    return [value.constant!.dtype, value.constant!.shape, constantValues(value)];
  };
  assert.deepEqual(read("tensor"), ["int32", [2], [4, 5]]);
  assert.deepEqual(read("float"), ["float32", [], [2]]);
  assert.deepEqual(read("floats"), ["float32", [2], [1, 2.5]]);
  assert.deepEqual(read("int"), ["int64", [], [9]]);
  assert.deepEqual(read("ints"), ["int64", [3], [3, 2 ** 40, -1]]);
});

test("bad Constant nodes name the node", () => {
  const twoValues = { value_int: 1, value_float: attr.float(1) };
  assert.throws(
    () => importSpec(nodesModel([{ name: "k", opType: "Constant", outputs: ["y"], attributes: twoValues }])),
    tesseraError("E_INVALID_MODEL", /exactly one value attribute.*node 'k'/),
  );
  const strings = { value_strings: ["a", "b"] };
  assert.throws(
    () => importSpec(nodesModel([{ name: "s", opType: "Constant", outputs: ["y"], attributes: strings }])),
    tesseraError("E_UNSUPPORTED_DTYPE", /strings.*node 's'/),
  );
});

/** A model built from protobufjs objects directly, for dtypes the encoder cannot express. */
function rawModel(graph: Record<string, unknown>): Uint8Array {
  const model = { irVersion: 8, opsetImport: [{ domain: "", version: 17 }], graph };
  return onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish();
}

test("float16 and string tensors are E_UNSUPPORTED_DTYPE naming the tensor or input", () => {
  const half = { name: "half_weights", dims: [2], dataType: 10, rawData: new Uint8Array(4) };
  assert.throws(
    () => importModel(rawModel({ initializer: [half] })),
    tesseraError("E_UNSUPPORTED_DTYPE", /float16.*half_weights/),
  );
  const text = { name: "words", dims: [1], dataType: 8, stringData: [new Uint8Array(1)] };
  assert.throws(
    () => importModel(rawModel({ initializer: [text] })),
    tesseraError("E_UNSUPPORTED_DTYPE", /string.*words/),
  );
  const input = { name: "h", type: { tensorType: { elemType: 10 } } };
  assert.throws(() => importModel(rawModel({ input: [input] })), tesseraError("E_UNSUPPORTED_DTYPE", /float16.*'h'/));
  const sequence = { name: "seq", type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } };
  assert.throws(
    () => importModel(rawModel({ input: [sequence] })),
    tesseraError("E_UNSUPPORTED_DTYPE", /'seq' has sequence type/),
  );
});

test("symbolic dims keep their names; unnamed dims get unique generated names", () => {
  const graph = importSpec(
    nodesModel([{ opType: "Relu", inputs: ["x"], outputs: ["y"] }], {
      inputs: [{ name: "x", dtype: "float32", shape: ["batch", null, 3, null] }],
    }),
  );
  const shape = graph.inputs[0]!.shape!;
  assert.equal(shape[0], "batch");
  assert.equal(shape[2], 3);
  assert.equal(typeof shape[1], "string");
  assert.equal(typeof shape[3], "string");
  assert.notEqual(shape[1], shape[3]);
  assert.notEqual(shape[1], "batch");
  assert.equal(
    importSpec(
      nodesModel([{ opType: "Relu", inputs: ["x"], outputs: ["y"] }], {
        inputs: [{ name: "x", dtype: "float32" }],
      }),
    ).inputs[0]!.shape,
    null,
  );
});

test("each node gets its domain's opset; ai.onnx is the default domain", () => {
  const nodes: NodeSpec[] = [
    { name: "a", opType: "Relu", inputs: ["x"], outputs: ["t"], domain: "ai.onnx" },
    { name: "b", opType: "FusedThing", inputs: ["t"], outputs: ["y"], domain: "com.example" },
  ];
  const graph = importSpec(nodesModel(nodes, { opset: { "": 13, "com.example": 2 } }));
  assert.deepEqual(
    graph.nodes.map((node) => [node.name, node.domain, node.opset]),
    [
      ["a", "", 13],
      ["b", "com.example", 2],
    ],
  );
  assert.equal(graph.opset, 13);
  const unknownDomain = [{ name: "c", opType: "X", inputs: ["x"], outputs: ["y"], domain: "org.unknown" }];
  assert.throws(() => importSpec(nodesModel(unknownDomain)), tesseraError("E_INVALID_MODEL", /org.unknown.*node 'c'/));
});

test("nodes are sorted topologically; cycles, missing inputs and double definitions name the node", () => {
  const unsorted: NodeSpec[] = [
    { name: "second", opType: "Relu", inputs: ["t"], outputs: ["y"] },
    { name: "first", opType: "Abs", inputs: ["x"], outputs: ["t"] },
  ];
  assert.deepEqual(
    importSpec(nodesModel(unsorted)).nodes.map((node) => node.name),
    ["first", "second"],
  );
  const sorted = [...unsorted].reverse();
  assert.deepEqual(
    importSpec(nodesModel(sorted)).nodes.map((node) => node.name),
    ["first", "second"],
  );

  const cycle: NodeSpec[] = [
    { name: "p", opType: "Add", inputs: ["x", "r"], outputs: ["q"] },
    { name: "r_node", opType: "Relu", inputs: ["q"], outputs: ["r"] },
    { name: "out", opType: "Relu", inputs: ["q"], outputs: ["y"] },
  ];
  assert.throws(() => importSpec(nodesModel(cycle)), tesseraError("E_INVALID_MODEL", /cycle.*node '(p|r_node)'/));
  const missing: NodeSpec[] = [{ name: "lonely", opType: "Add", inputs: ["x", "ghost"], outputs: ["y"] }];
  assert.throws(() => importSpec(nodesModel(missing)), tesseraError("E_INVALID_MODEL", /'ghost'.*node 'lonely'/));
  const twice: NodeSpec[] = [
    { name: "one", opType: "Relu", inputs: ["x"], outputs: ["y"] },
    { name: "two", opType: "Abs", inputs: ["x"], outputs: ["y"] },
  ];
  assert.throws(() => importSpec(nodesModel(twice)), tesseraError("E_INVALID_MODEL", /'y' is defined more than once/));
});

test("omitted optional inputs are null (trailing ones dropped); omitted outputs get fresh unique names", () => {
  const graph = importSpec(
    nodesModel(
      [
        {
          name: "bounds",
          opType: "Constant",
          outputs: ["hi"],
          attributes: { value: makeTensorData("float32", [], Float32Array.of(6)) },
        },
        { name: "clip", opType: "Clip", inputs: ["x", "", "hi", ""], outputs: ["c"] },
        { name: "drop", opType: "Dropout", inputs: ["c"], outputs: ["y", ""] },
        { name: "lstm_like", opType: "Split", inputs: ["x"], outputs: ["", "z"], attributes: { axis: 0 } },
      ],
      {
        outputs: [
          { name: "y", dtype: "float32" },
          { name: "z", dtype: "float32" },
        ],
      },
    ),
  );
  const clip = nodeNamed(graph, "clip");
  assert.equal(clip.inputs.length, 3);
  assert.equal(clip.inputs[1], null);
  assert.equal(clip.inputs[2]!.name, "hi");
  assert.equal(nodeNamed(graph, "drop").outputs.length, 1);
  const split = nodeNamed(graph, "lstm_like");
  assert.equal(split.outputs.length, 2);
  const names = new Set<string>();
  for (const node of graph.nodes) for (const value of node.outputs) names.add(value.name);
  assert.equal(names.size, 4, "c, y, z and the generated name are distinct");
  assert.ok(!["", "x", "y", "z", "c", "hi"].includes(split.outputs[0]!.name));
});

test("value_info and graph outputs give node outputs their declared dtype and shape", () => {
  const graph = importSpec(
    nodesModel(
      [
        { name: "shape", opType: "Shape", inputs: ["x"], outputs: ["s"] },
        { name: "cast", opType: "Cast", inputs: ["s"], outputs: ["y"], attributes: { to: 1 } },
      ],
      {
        valueInfo: [{ name: "s", dtype: "int64", shape: [2] }],
        outputs: [{ name: "y", dtype: "float32", shape: [2] }],
      },
    ),
  );
  assert.deepEqual(
    [nodeNamed(graph, "shape").outputs[0]!.dtype, nodeNamed(graph, "shape").outputs[0]!.shape],
    ["int64", [2]],
  );
  assert.deepEqual(graph.outputs[0]!.shape, [2]);
});

test("subgraph attributes stay raw and order their owner after the outer values they read", () => {
  const branch = (name: string, op: string) => ({
    kind: "graph" as const,
    value: {
      name,
      inputs: [],
      outputs: [{ name: `${name}_out`, dtype: "float32" as const }],
      nodes: [{ opType: op, inputs: ["outer"], outputs: [`${name}_out`] }],
    },
  });
  const graph = importSpec({
    opset: 17,
    inputs: [
      { name: "cond", dtype: "bool", shape: [] },
      { name: "x", dtype: "float32", shape: [2] },
    ],
    outputs: [{ name: "y", dtype: "float32" }],
    nodes: [
      {
        name: "if",
        opType: "If",
        inputs: ["cond"],
        outputs: ["y"],
        attributes: { then_branch: branch("then", "Relu"), else_branch: branch("else", "Neg") },
      },
      { name: "make_outer", opType: "Abs", inputs: ["x"], outputs: ["outer"] },
    ],
  });
  assert.deepEqual(
    graph.nodes.map((node) => node.name),
    ["make_outer", "if"],
  );
  const thenBranch = nodeNamed(graph, "if").attributes.get("then_branch")!;
  assert.equal(thenBranch.kind, "graph");
  assert.equal((thenBranch.value as { node: { opType: string }[] }).node[0]!.opType, "Relu");
});

test("graph outputs may be inputs or constants; an unproduced output is E_INVALID_MODEL", () => {
  const spec = smallModelSpec();
  const graph = importSpec({
    ...spec,
    outputs: [...spec.outputs, { name: "w", dtype: "float32" }, { name: "x", dtype: "float32" }],
  });
  assert.deepEqual(constantValues(graph.outputs[1]), [1, 2, 3]);
  assert.equal(graph.outputs[2], graph.inputs[0]);
  assert.throws(
    () => importSpec({ ...spec, outputs: [{ name: "nowhere", dtype: "float32" }] }),
    tesseraError("E_INVALID_MODEL", /graph output 'nowhere'/),
  );
});
