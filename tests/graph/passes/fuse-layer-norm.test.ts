import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { GraphFixture, lines } from "../graph-fixture.js";
import { printGraph } from "../../../src/graph/print-graph.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { fuseLayerNorm } from "../../../src/graph/passes/fuse-layer-norm.js";
import type { Graph, Value } from "../../../src/graph/ir.js";
import { InferenceSession, Tensor, inspectModel } from "../../../src/index.js";
import { type InitializerSpec, type NodeSpec, encodeModel } from "../../../src/onnx/encode-model.js";
import { makeTensorData } from "../../../src/support/tensor-data.js";
import { compareToReference } from "../../support/shared-models.js";

interface PatternOptions {
  readonly square?: "pow" | "mul";
  readonly normalize?: "div" | "reciprocal";
  readonly scale?: boolean;
  readonly bias?: boolean;
  /** Axes of the first and second ReduceMean. */
  readonly meanAxes?: readonly number[];
  readonly varianceAxes?: readonly number[];
  /** "variance": Add(variance, ε) before the Sqrt (the pattern); "root": Sqrt(variance) + ε (a near miss). */
  readonly epsilonAt?: "variance" | "root";
  /** Sub(mean, x) instead of Sub(x, mean) (a near miss: the sign of the result flips). */
  readonly reversedSub?: boolean;
  /** Also return the centered value as a graph output. */
  readonly exposeDifference?: boolean;
}

const SHAPE = [2, 3, 8] as const;

/** SHAPE with the reduced axes kept as 1. */
function keptShape(axes: readonly number[]): number[] {
  return SHAPE.map((extent, dim) => (axes.some((axis) => (axis + SHAPE.length) % SHAPE.length === dim) ? 1 : extent));
}

/** The decomposed layer normalization over x: float32[2,3,8], as opset-13 exporters write it. */
function decomposed(options: PatternOptions = {}): { fixture: GraphFixture; graph: Graph } {
  const fixture = new GraphFixture();
  const x = fixture.input("x", SHAPE);
  const op = (opType: string, inputs: Value[], name: string, shape: readonly number[] = SHAPE): Value =>
    fixture.op(opType, inputs, { name, outputs: [`${name}_out`], shape, opset: 13 })[0]!;
  const axes = (name: string, values: readonly number[]): Value =>
    fixture.constant(name, [values.length], [...values], "int64");
  const meanAxes = options.meanAxes ?? [-1];
  const varianceAxes = options.varianceAxes ?? [-1];
  const rows = keptShape(varianceAxes);
  const mean = op("ReduceMean", [x, axes("mean_axes", meanAxes)], "mean", keptShape(meanAxes));
  const difference = op("Sub", options.reversedSub === true ? [mean, x] : [x, mean], "sub");
  const square =
    options.square === "mul"
      ? op("Mul", [difference, difference], "square")
      : op("Pow", [difference, fixture.constant("two", [], [2])], "square");
  const variance = op("ReduceMean", [square, axes("variance_axes", varianceAxes)], "variance", rows);
  const epsilon = fixture.constant("epsilon", [], [1e-5]);
  const deviation =
    options.epsilonAt === "root"
      ? op("Add", [op("Sqrt", [variance], "sqrt", rows), epsilon], "add_epsilon", rows)
      : op("Sqrt", [op("Add", [variance, epsilon], "add_epsilon", rows)], "sqrt", rows);
  let y =
    options.normalize === "reciprocal"
      ? op("Mul", [op("Reciprocal", [deviation], "reciprocal", rows), difference], "normalize")
      : op("Div", [difference, deviation], "normalize");
  if (options.scale ?? true) y = op("Mul", [y, fixture.constant("scale", [8], [1, 2, 3, 4, 5, 6, 7, 8])], "scale");
  if (options.bias ?? true) y = op("Add", [fixture.constant("bias", [8], [0, 1, 0, 1, 0, 1, 0, 1]), y], "bias");
  const outputs = options.exposeDifference === true ? [y, difference] : [y];
  return { fixture, graph: fixture.graph(outputs) };
}

function fuse(options: PatternOptions = {}): { before: Graph; after: Graph } {
  const { fixture, graph } = decomposed(options);
  return { before: graph, after: verifyGraph(fuseLayerNorm(graph, fixture.ids)) };
}

function opTypes(graph: Graph): string[] {
  return graph.nodes.map((node) => node.opType);
}

test("fuseLayerNorm rewrites ReduceMean → Sub → Pow → ReduceMean → Add → Sqrt → Div → Mul → Add into LayerNormalization", () => {
  const { before, after } = fuse();
  assert.equal(
    printGraph(before),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,3,8]",
      "  %1 mean_axes = const int64[1] [-1]",
      "  %6 two = const float32[] [2]",
      "  %9 variance_axes = const int64[1] [-1]",
      "  %12 epsilon = const float32[] [0.00001]",
      "  %19 scale = const float32[8] [1, 2, 3, 4, 5, 6, 7, 8]",
      "  %22 bias = const float32[8] [0, 1, 0, 1, 0, 1, 0, 1]",
      "  %2 mean_out: float32[2,3,1] = ReduceMean(%0, %1)  # mean",
      "  %4 sub_out: float32[2,3,8] = Sub(%0, %2)  # sub",
      "  %7 square_out: float32[2,3,8] = Pow(%4, %6)  # square",
      "  %10 variance_out: float32[2,3,1] = ReduceMean(%7, %9)  # variance",
      "  %13 add_epsilon_out: float32[2,3,1] = Add(%10, %12)  # add_epsilon",
      "  %15 sqrt_out: float32[2,3,1] = Sqrt(%13)  # sqrt",
      "  %17 normalize_out: float32[2,3,8] = Div(%4, %15)  # normalize",
      "  %20 scale_out: float32[2,3,8] = Mul(%17, %19)  # scale",
      "  %23 bias_out: float32[2,3,8] = Add(%22, %20)  # bias",
      "  return %23",
    ),
  );
  assert.equal(
    printGraph(after),
    lines(
      "graph test (opset 17)",
      "  input %0 x: float32[2,3,8]",
      "  %19 scale = const float32[8] [1, 2, 3, 4, 5, 6, 7, 8]",
      "  %22 bias = const float32[8] [0, 1, 0, 1, 0, 1, 0, 1]",
      "  %23 bias_out: float32[2,3,8] = LayerNormalization(%0, %19, %22) {axis=-1, epsilon=0.00001}  # mean_layer_norm",
      "  return %23",
    ),
  );
  assert.equal(after.nodes[0]!.attributes.get("epsilon")?.value, Math.fround(1e-5));
  assert.equal(after.nodes[0]!.opset, 17);
});

test("fuseLayerNorm fuses the Mul(d, d) square and the Reciprocal form of the division", () => {
  for (const options of [{ square: "mul" }, { normalize: "reciprocal" }, { square: "mul", normalize: "reciprocal" }]) {
    const { after } = fuse(options as PatternOptions);
    assert.deepEqual(opTypes(after), ["LayerNormalization"], JSON.stringify(options));
  }
});

test("fuseLayerNorm fuses without a bias (B left out) and without a scale (ones inserted)", () => {
  const noBias = fuse({ bias: false }).after;
  assert.deepEqual(opTypes(noBias), ["LayerNormalization"]);
  assert.equal(noBias.nodes[0]!.inputs.length, 2);
  assert.equal(noBias.nodes[0]!.outputs[0]!.name, "scale_out");
  const bare = fuse({ scale: false, bias: false }).after;
  assert.deepEqual(opTypes(bare), ["LayerNormalization"]);
  const ones = bare.nodes[0]!.inputs[1]!.constant!;
  assert.deepEqual(ones.shape, [8]);
  assert.equal(ones.dtype, "float32");
  assert.deepEqual([...(ones.data as Float32Array)], [1, 1, 1, 1, 1, 1, 1, 1]);
  const biasOnly = fuse({ scale: false }).after;
  assert.deepEqual(opTypes(biasOnly), ["LayerNormalization"]);
  assert.equal(biasOnly.nodes[0]!.inputs[2]!.name, "bias");
});

test("fuseLayerNorm accepts the trailing axis written as -1 or as 2, and two trailing axes", () => {
  const explicit = fuse({ meanAxes: [2], varianceAxes: [-1] }).after;
  assert.deepEqual(opTypes(explicit), ["LayerNormalization"]);
  assert.equal(printGraph(explicit).includes("{axis=-1, epsilon=0.00001}"), true);
  const twoAxes = fuse({ meanAxes: [1, 2], varianceAxes: [-1, -2], scale: false }).after;
  assert.deepEqual(opTypes(twoAxes), ["LayerNormalization"]);
  assert.equal(printGraph(twoAxes).includes("{axis=-2, epsilon=0.00001}"), true);
  assert.deepEqual(twoAxes.nodes[0]!.inputs[1]!.constant!.shape, [3, 8]);
});

test("fuseLayerNorm leaves near misses unchanged", () => {
  const nearMisses: Record<string, PatternOptions> = {
    "ε added after the Sqrt": { epsilonAt: "root" },
    "mean over another axis": { meanAxes: [1], varianceAxes: [1] },
    "the two means over different axes": { meanAxes: [-1], varianceAxes: [1] },
    "the centered value also a graph output": { exposeDifference: true },
    "mean minus x": { reversedSub: true },
  };
  for (const [what, options] of Object.entries(nearMisses)) {
    const { before, after } = fuse(options);
    assert.equal(after, before, what);
  }
});

test("fuseLayerNorm stops before a Mul whose operand is not a constant, and fuses what precedes it", () => {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [4, 8]);
  const gate = fixture.input("gate", [4, 8]);
  const axes = fixture.constant("axes", [1], [1], "int64");
  const op = (opType: string, inputs: Value[], name: string, shape: readonly number[] = [4, 8]): Value =>
    fixture.op(opType, inputs, { name, outputs: [`${name}_out`], shape, opset: 13 })[0]!;
  const mean = op("ReduceMean", [x, axes], "mean", [4, 1]);
  const difference = op("Sub", [x, mean], "sub");
  const variance = op("ReduceMean", [op("Mul", [difference, difference], "square"), axes], "variance", [4, 1]);
  const deviation = op(
    "Sqrt",
    [op("Add", [fixture.constant("epsilon", [1], [1e-6]), variance], "eps", [4, 1])],
    "sqrt",
  );
  const gated = op("Mul", [op("Div", [difference, deviation], "normalize"), gate], "gate");
  const after = verifyGraph(fuseLayerNorm(fixture.graph([gated]), fixture.ids));
  assert.deepEqual(opTypes(after), ["LayerNormalization", "Mul"]);
  assert.equal(after.nodes[0]!.outputs[0]!.name, "normalize_out");
  assert.deepEqual(after.nodes[0]!.inputs[1]!.constant!.shape, [8]);
});

// Numerics: opset-13 models encoded as exporters write them, compared with onnxruntime-node.

const BATCH = [2, 16, 32] as const;

function random(length: number, seed: number, scale = 1): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32 - 0.5) * 2 * scale;
  });
}

/**
 * A decomposed layer normalization over the trailing `axes` of x (ReduceMean
 * axes as the opset-13 attribute, ε from a Constant node); with
 * `exposeMean` the mean is also an output, which blocks the fusion.
 */
function encodedModel(variant: {
  axes: number[];
  square: "pow" | "mul";
  bias: boolean;
  exposeMean: boolean;
}): Uint8Array {
  const normalizedSize = BATCH.slice(BATCH.length - variant.axes.length).reduce((a, b) => a * b, 1);
  const normalizedShape = BATCH.slice(BATCH.length - variant.axes.length);
  const initializers: InitializerSpec[] = [
    ...(variant.square === "pow" ? [{ name: "two", data: makeTensorData("float32", [], Float32Array.of(2)) }] : []),
    { name: "scale", data: makeTensorData("float32", normalizedShape, random(normalizedSize, 3, 2)) },
    ...(variant.bias
      ? [{ name: "bias", data: makeTensorData("float32", normalizedShape, random(normalizedSize, 4)) }]
      : []),
  ];
  const epsilon = makeTensorData("float32", [], Float32Array.of(1e-5));
  const nodes: NodeSpec[] = [
    { opType: "ReduceMean", inputs: ["x"], outputs: ["mean"], attributes: { axes: variant.axes } },
    { opType: "Sub", inputs: ["x", "mean"], outputs: ["d"] },
    {
      opType: variant.square === "pow" ? "Pow" : "Mul",
      inputs: ["d", variant.square === "pow" ? "two" : "d"],
      outputs: ["sq"],
    },
    { opType: "ReduceMean", inputs: ["sq"], outputs: ["var"], attributes: { axes: variant.axes } },
    { opType: "Constant", outputs: ["epsilon"], attributes: { value: epsilon } },
    { opType: "Add", inputs: ["var", "epsilon"], outputs: ["var_eps"] },
    { opType: "Sqrt", inputs: ["var_eps"], outputs: ["std"] },
    { opType: "Div", inputs: ["d", "std"], outputs: ["normalized"] },
    { opType: "Mul", inputs: ["normalized", "scale"], outputs: [variant.bias ? "scaled" : "y"] },
    ...(variant.bias ? [{ opType: "Add", inputs: ["scaled", "bias"], outputs: ["y"] }] : []),
  ];
  const meanShape = BATCH.map((extent, dim) => (dim >= BATCH.length - variant.axes.length ? 1 : extent));
  return encodeModel({
    name: "decomposed_layer_norm",
    opset: 13,
    inputs: [{ name: "x", dtype: "float32", shape: [...BATCH] }],
    outputs: [
      { name: "y", dtype: "float32", shape: [...BATCH] },
      ...(variant.exposeMean ? [{ name: "mean", dtype: "float32" as const, shape: meanShape }] : []),
    ],
    nodes,
    initializers,
  });
}

async function runTessera(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const session = await InferenceSession.create(bytes, { threads: 1 });
  try {
    return (await session.run({ x: new Tensor("float32", x, [...BATCH]) })).y!.data as Float32Array;
  } finally {
    await session.release();
  }
}

async function runOnnxruntime(bytes: Uint8Array, x: Float32Array): Promise<Float32Array> {
  const oracle = await ort.InferenceSession.create(bytes);
  try {
    return (await oracle.run({ x: new ort.Tensor("float32", x, [...BATCH]) })).y!.data as Float32Array;
  } finally {
    await oracle.release();
  }
}

const numericVariants = [
  { axes: [-1], square: "pow", bias: true },
  { axes: [2], square: "mul", bias: false },
  { axes: [1, 2], square: "pow", bias: true },
] as const;

for (const variant of numericVariants) {
  test(`fused and unfused layer norm (axes ${variant.axes}, ${variant.square}) match onnxruntime-node`, async () => {
    const fusedBytes = encodedModel({ ...variant, axes: [...variant.axes], exposeMean: false });
    const unfusedBytes = encodedModel({ ...variant, axes: [...variant.axes], exposeMean: true });
    assert.match(inspectModel({ bytes: fusedBytes }, "graph"), /LayerNormalization/);
    assert.doesNotMatch(inspectModel({ bytes: unfusedBytes }, "graph"), /LayerNormalization/);
    const x = random(
      BATCH.reduce((a, b) => a * b, 1),
      7,
      3,
    );
    const expected = await runOnnxruntime(fusedBytes, x);
    for (const [what, bytes] of [
      ["fused", fusedBytes],
      ["unfused", unfusedBytes],
    ] as const) {
      const { maxError, tolerance } = compareToReference(await runTessera(bytes, x), expected);
      assert.ok(maxError <= tolerance, `${what}: max abs error ${maxError} > ${tolerance}`);
    }
  });
}
