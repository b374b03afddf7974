import { test } from "node:test";
import assert from "node:assert/strict";
import { GraphFixture, attr } from "../graph-fixture.js";
import { verifyGraph } from "../../../src/graph/verify-graph.js";
import { convertLayout } from "../../../src/graph/passes/convert-layout.js";
import { explicitPad } from "../../../src/graph/passes/explicit-pad.js";
import type { AttributeValue, Graph, Node } from "../../../src/graph/ir.js";

const describe = (node: Node): string => `${node.domain === "" ? "" : `${node.domain}.`}${node.opType}`;
const ops = (graph: Graph): string[] => graph.nodes.map(describe);

interface ConvSpec {
  readonly weights: readonly number[];
  readonly output: readonly number[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/** x [1, C, 9, 9] → Conv, converted channels-last, then explicit-pad. */
function padded(spec: ConvSpec): Graph {
  const fixture = new GraphFixture();
  const x = fixture.input("x", [
    1,
    spec.weights[1]! * (spec.attributes.group?.kind === "int" ? spec.attributes.group.value : 1),
    9,
    9,
  ]);
  const count = spec.weights.reduce((a, b) => a * b, 1);
  const w = fixture.constant("w", spec.weights, new Array<number>(count).fill(1));
  const [y] = fixture.op("Conv", [x, w], {
    name: "conv",
    outputs: ["y"],
    shape: spec.output,
    attributes: spec.attributes,
  });
  const nhwc = convertLayout(fixture.graph([y!]), fixture.ids);
  return verifyGraph(explicitPad(nhwc, fixture.ids), { requireShapes: true });
}

test("explicitPad gives a padded dense conv a Pad node and pads 0", () => {
  const after = padded({
    weights: [8, 4, 5, 3],
    output: [1, 8, 9, 8],
    attributes: { pads: attr.ints([2, 0, 2, 1]) },
  });
  assert.deepEqual(ops(after), ["Transpose", "Pad", "ai.tessera.Conv", "Transpose"]);
  const pad = after.nodes[1]!;
  assert.deepEqual(
    [...pad.inputs[1]!.constant!.data].map(Number),
    [0, 2, 0, 0, 0, 2, 1, 0],
    "NHWC pads [t, l] then [b, r]",
  );
  assert.deepEqual(pad.outputs[0]!.shape, [1, 13, 10, 4]);
  const conv = after.nodes[2]!;
  assert.equal(conv.inputs[0], pad.outputs[0]);
  assert.deepEqual(conv.attributes.get("pads"), { kind: "ints", value: [0, 0, 0, 0] });
  assert.deepEqual(conv.outputs[0]!.shape, [1, 9, 8, 8], "the conv's output is unchanged");
});

test("explicitPad resolves auto_pad into the Pad node and drops it from the conv", () => {
  const after = padded({
    weights: [8, 4, 3, 3],
    output: [1, 8, 5, 5],
    attributes: { auto_pad: attr.string("SAME_UPPER"), strides: attr.ints([2, 2]) },
  });
  assert.deepEqual(ops(after), ["Transpose", "Pad", "ai.tessera.Conv", "Transpose"]);
  assert.deepEqual([...after.nodes[1]!.inputs[1]!.constant!.data].map(Number), [0, 1, 1, 0, 0, 1, 1, 0]);
  assert.equal(after.nodes[2]!.attributes.has("auto_pad"), false);
});

test("explicitPad leaves depthwise, 1x1 and unpadded convs alone", () => {
  const depthwise = padded({
    weights: [4, 1, 3, 3],
    output: [1, 4, 9, 9],
    attributes: { group: attr.int(4), pads: attr.ints([1, 1, 1, 1]) },
  });
  assert.deepEqual(ops(depthwise), ["Transpose", "ai.tessera.Conv", "Transpose"]);
  const pointwise = padded({ weights: [8, 4, 1, 1], output: [1, 8, 9, 9], attributes: {} });
  assert.deepEqual(ops(pointwise), ["Transpose", "ai.tessera.Conv", "Transpose"]);
  const unpadded = padded({ weights: [8, 4, 3, 3], output: [1, 8, 7, 7], attributes: {} });
  assert.deepEqual(ops(unpadded), ["Transpose", "ai.tessera.Conv", "Transpose"]);
});
