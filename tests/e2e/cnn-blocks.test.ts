/**
 * CNN building blocks beyond the shared models, checked against
 * onnxruntime-node at 1 and 2 threads in both layouts: a squeeze-excitation
 * block with SiLU and a 5×5 depthwise conv (EfficientNet), a ShuffleNet V2
 * unit (58-channel branches, channel shuffle), a ResNeXt bottleneck (4
 * channels per group) and Inception's factorized 1×7 / 7×1 convs.
 */
import { test } from "node:test";
import { encodeModel, type InitializerSpec, type NodeSpec } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { pseudoRandom, size } from "../support/random.js";
import { THREADS_AND_LAYOUTS } from "../support/conv-model.js";

/** Builds a single-input model node by node, with pseudo-random weights. */
class BlockBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: InitializerSpec[] = [];
  private count = 0;

  private fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  weight(shape: readonly number[], scale: number): string {
    const name = this.fresh("w");
    const data = pseudoRandom(size(shape), this.count).map((value) => value * scale);
    this.initializers.push({ name, data: makeTensorData("float32", shape, data) });
    return name;
  }

  ints(values: readonly number[]): string {
    const name = this.fresh("c");
    this.initializers.push({
      name,
      data: makeTensorData("int64", [values.length], BigInt64Array.from(values.map(BigInt))),
    });
    return name;
  }

  op(opType: string, inputs: readonly string[], attributes: NodeSpec["attributes"] = {}): string {
    const output = this.fresh("t");
    this.nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  }

  conv(x: string, inputs: number, outputs: number, kernel: readonly [number, number], group = 1): string {
    const [height, width] = kernel;
    const pads = [height >> 1, width >> 1, height >> 1, width >> 1];
    const fanIn = (inputs / group) * height * width;
    const w = this.weight([outputs, inputs / group, height, width], 1 / Math.sqrt(fanIn));
    return this.op("Conv", [x, w, this.weight([outputs], 0.1)], { kernel_shape: [height, width], pads, group });
  }

  silu(x: string): string {
    return this.op("Mul", [x, this.op("Sigmoid", [x])]);
  }

  model(input: readonly number[], output: string): Uint8Array {
    const rename = (name: string): string => (name === output ? "y" : name);
    return encodeModel({
      opset: 17,
      inputs: [{ name: "x", dtype: "float32", shape: input }],
      outputs: [{ name: "y", dtype: "float32", shape: null }],
      nodes: this.nodes.map((node) => ({
        ...node,
        inputs: node.inputs?.map(rename),
        outputs: node.outputs.map(rename),
      })),
      initializers: this.initializers,
    });
  }
}

function squeezeExcitation(): { input: number[]; bytes: Uint8Array } {
  const b = new BlockBuilder();
  const expanded = b.silu(b.conv("x", 8, 32, [1, 1]));
  const depthwise = b.silu(b.conv(expanded, 32, 32, [5, 5], 32));
  const squeezed = b.silu(b.conv(b.op("GlobalAveragePool", [depthwise]), 32, 4, [1, 1]));
  const gate = b.op("Sigmoid", [b.conv(squeezed, 4, 32, [1, 1])]);
  const projected = b.conv(b.op("Mul", [depthwise, gate]), 32, 8, [1, 1]);
  return { input: [1, 8, 9, 10], bytes: b.model([1, 8, 9, 10], b.op("Add", [projected, "x"])) };
}

function shuffleUnit(): { input: number[]; bytes: Uint8Array } {
  const b = new BlockBuilder();
  const kept = b.op("Slice", ["x", b.ints([0]), b.ints([58]), b.ints([1])]);
  const branch = b.op("Slice", ["x", b.ints([58]), b.ints([116]), b.ints([1])]);
  let h = b.op("Relu", [b.conv(branch, 58, 58, [1, 1])]);
  h = b.op("Relu", [b.conv(b.conv(h, 58, 58, [3, 3], 58), 58, 58, [1, 1])]);
  const joined = b.op("Concat", [kept, h], { axis: 1 });
  const split = b.op("Reshape", [joined, b.ints([1, 2, 58, 7, 6])]);
  const shuffled = b.op("Transpose", [split], { perm: [0, 2, 1, 3, 4] });
  return { input: [1, 116, 7, 6], bytes: b.model([1, 116, 7, 6], b.op("Reshape", [shuffled, b.ints([1, 116, 7, 6])])) };
}

function resnextBottleneck(): { input: number[]; bytes: Uint8Array } {
  const b = new BlockBuilder();
  let h = b.op("Relu", [b.conv("x", 32, 32, [1, 1])]);
  h = b.op("Relu", [b.conv(h, 32, 32, [3, 3], 8)]);
  return {
    input: [1, 32, 9, 11],
    bytes: b.model([1, 32, 9, 11], b.op("Relu", [b.op("Add", [b.conv(h, 32, 32, [1, 1]), "x"])])),
  };
}

function factorizedConvs(): { input: number[]; bytes: Uint8Array } {
  const b = new BlockBuilder();
  const wide = b.op("Relu", [b.conv("x", 16, 24, [1, 7])]);
  const tall = b.op("Relu", [b.conv(wide, 24, 20, [7, 1])]);
  return {
    input: [1, 16, 9, 8],
    bytes: b.model([1, 16, 9, 8], b.op("Concat", [tall, b.conv("x", 16, 12, [5, 5])], { axis: 1 })),
  };
}

const BLOCKS = [
  ["squeeze-excitation with SiLU and a 5x5 depthwise conv", squeezeExcitation],
  ["ShuffleNet V2 unit", shuffleUnit],
  ["ResNeXt bottleneck, 4 channels per group", resnextBottleneck],
  ["factorized 1x7 / 7x1 and 5x5 convs", factorizedConvs],
] as const;

for (const [index, [name, build]] of BLOCKS.entries()) {
  const { input, bytes } = build();
  for (const [threads, layout] of THREADS_AND_LAYOUTS) {
    test(`${name} matches onnxruntime-node at ${threads} thread(s), ${layout}`, async () => {
      const data = pseudoRandom(size(input), 31 + index);
      await expectMatchesOrt(bytes, { x: { dtype: "float32", data, dims: input } }, { threads, layout });
    });
  }
}
