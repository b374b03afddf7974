import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr } from "../graph-fixture.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { MIN_CHANNELS, winogradConv } from "../../../src/graph/passes/winograd-conv.js";
import type { AttributeValue, Graph } from "../../../src/graph/ir.js";

interface ConvCase {
  readonly inputs?: number;
  readonly outputs?: number;
  readonly kernel?: number;
  readonly attributes?: Record<string, AttributeValue>;
  readonly constantWeights?: boolean;
}

/** One Conv over x [1, C, 6, 6] with weights w [O, C/group, k, k] of value `weight(o, c, kh, kw)`. */
function convGraph(options: ConvCase, weight = (o: number, c: number, kh: number, kw: number) => o + c + kh * kw) {
  const fixture = new GraphFixture();
  const inputs = options.inputs ?? MIN_CHANNELS;
  const outputs = options.outputs ?? MIN_CHANNELS;
  const kernel = options.kernel ?? 3;
  const group = options.attributes?.group?.kind === "int" ? options.attributes.group.value : 1;
  const x = fixture.input("x", [1, inputs, 6, 6]);
  const shape = [outputs, inputs / group, kernel, kernel];
  const values: number[] = [];
  for (let o = 0; o < shape[0]!; o++)
    for (let c = 0; c < shape[1]!; c++)
      for (let kh = 0; kh < kernel; kh++) for (let kw = 0; kw < kernel; kw++) values.push(weight(o, c, kh, kw));
  const w = options.constantWeights === false ? fixture.input("w", shape) : fixture.constant("w", shape, values);
  const b = fixture.constant("b", [outputs], new Array<number>(outputs).fill(0.5));
  const pads = attr.ints(new Array<number>(4).fill((kernel - 1) / 2));
  const [y] = fixture.op("Conv", [x, w, b], {
    name: "conv",
    outputs: ["y"],
    shape: [1, outputs, 6, 6],
    attributes: { pads, ...options.attributes },
  });
  return { fixture, graph: fixture.graph([y!]) };
}

const opTypes = (graph: Graph): string[] => graph.nodes.map((node) => node.opType);

test("winogradConv rewrites a 3×3 stride-1 Conv into input transform, MatMul and output transform", () => {
  const { fixture, graph } = convGraph({});
  const after = verifyGraph(winogradConv(graph, fixture.ids), { requireShapes: true });
  assert.deepEqual(opTypes(after), ["WinogradInput", "Reshape", "MatMul", "WinogradOutput"]);
  const [input, , matmul, output] = after.nodes;
  assert.equal(input!.domain, "ai.tessera");
  assert.deepEqual(input!.outputs[0]!.shape, [16, 1, 3, 3, MIN_CHANNELS]);
  assert.deepEqual(matmul!.inputs[1]!.shape, [16, MIN_CHANNELS, MIN_CHANNELS]);
  assert.equal(output!.outputs[0], graph.nodes[0]!.outputs[0], "the Conv's output value is kept");
  assert.equal(output!.inputs[1], graph.nodes[0]!.inputs[2], "the bias moves to the output transform");
});

test("winogradConv rewrites a 5×5 stride-1 Conv with F(2×2, 5×5): 36 tile positions", () => {
  const { fixture, graph } = convGraph({ kernel: 5 });
  const after = verifyGraph(winogradConv(graph, fixture.ids), { requireShapes: true });
  assert.deepEqual(opTypes(after), ["WinogradInput", "Reshape", "MatMul", "WinogradOutput"]);
  const [input, , matmul] = after.nodes;
  assert.equal(input!.attributes.get("kernel")?.kind === "int" && input!.attributes.get("kernel")?.value, 5);
  assert.deepEqual(input!.outputs[0]!.shape, [36, 1, 3, 3, MIN_CHANNELS]);
  assert.deepEqual(matmul!.inputs[1]!.shape, [36, MIN_CHANNELS, MIN_CHANNELS]);
});

test("winogradConv leaves convolutions it does not qualify unchanged", () => {
  const cases: Record<string, ConvCase> = {
    "stride 2": { attributes: { strides: attr.ints([2, 2]) } },
    "dilation 2": { attributes: { dilations: attr.ints([2, 2]) } },
    "group 2": { inputs: 32, attributes: { group: attr.int(2) } },
    "7×7 kernel": { kernel: 7 },
    "too few input channels": { inputs: MIN_CHANNELS / 2 },
    "too few output channels": { outputs: MIN_CHANNELS / 2 },
    "channels not a multiple of 4": { inputs: MIN_CHANNELS + 2 },
    "weights not constant": { constantWeights: false },
  };
  for (const [name, options] of Object.entries(cases)) {
    const { fixture, graph } = convGraph(options);
    assert.equal(winogradConv(graph, fixture.ids), graph, name);
  }
});

test("winogradConv transforms the weights as G g Gᵀ", () => {
  // g = 1 at the centre tap only: G g Gᵀ = outer(G[:, 1], G[:, 1]) with G[:, 1] = [0, ½, −½, 0].
  const { fixture, graph } = convGraph({}, (o, c, kh, kw) => (o === 0 && c === 0 && kh === 1 && kw === 1 ? 1 : 0));
  const after = winogradConv(graph, fixture.ids);
  const weights = after.nodes[2]!.inputs[1]!.constant!;
  const column = [0, 0.5, -0.5, 0];
  for (let xi = 0; xi < 4; xi++) {
    for (let nu = 0; nu < 4; nu++) {
      const at = (xi * 4 + nu) * MIN_CHANNELS * MIN_CHANNELS;
      assert.equal(Number(weights.data[at]) + 0, column[xi]! * column[nu]! + 0, `U[${xi}, ${nu}, 0, 0]`);
      assert.equal(weights.data[at + 1], 0, `U[${xi}, ${nu}, 0, 1] (another output channel)`);
    }
  }
});
