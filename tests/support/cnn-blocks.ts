/**
 * CNN building blocks beyond the shared models, as single-input ONNX
 * models with pseudo-random weights: EfficientNet's MBConv (SiLU, 5×5
 * depthwise, squeeze-excitation), MobileNetV3's block (Hardswish,
 * HardSigmoid gate, stride-2 depthwise), a ShuffleNet V2 unit (58-channel
 * branches, channel shuffle), a ResNeXt bottleneck (4 channels per group),
 * DenseNet layers (BatchNormalization before ReLU and conv, Concat),
 * Inception's factorized 1×7 / 7×1 branches, an AlexNet stem (11×11
 * stride 4, 5×5) and VGG convs. The e2e tests run them small against
 * onnxruntime-node; bench/held-out.ts runs them at ImageNet sizes against
 * onnxruntime-web.
 */
import { encodeModel, type InitializerSpec, type NodeSpec } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { pseudoRandom, size } from "./random.js";

export interface BlockModel {
  readonly name: string;
  /** Shape of the one input, "x". */
  readonly input: readonly number[];
  readonly bytes: Uint8Array;
}

interface ConvOptions {
  readonly group?: number;
  readonly stride?: number;
  /** [top, left, bottom, right]; default: half the kernel on each side. */
  readonly pads?: readonly number[];
  /** Multiplies the weights' 1/√fan-in scale (whole networks keep their activations near 1 with 4). */
  readonly gain?: number;
}

/** Builds a single-input model node by node. */
class BlockBuilder {
  private readonly nodes: NodeSpec[] = [];
  private readonly initializers: InitializerSpec[] = [];
  private count = 0;

  private fresh(prefix: string): string {
    return `${prefix}${this.count++}`;
  }

  weight(shape: readonly number[], scale: number, offset = 0): string {
    const name = this.fresh("w");
    const data = pseudoRandom(size(shape), this.count).map((value) => value * scale + offset);
    this.initializers.push({ name, data: makeTensorData("float32", shape, data) });
    return name;
  }

  ints(values: readonly number[]): string {
    const name = this.fresh("c");
    const data = makeTensorData("int64", [values.length], BigInt64Array.from(values.map(BigInt)));
    this.initializers.push({ name, data });
    return name;
  }

  op(opType: string, inputs: readonly string[], attributes: NodeSpec["attributes"] = {}): string {
    const output = this.fresh("t");
    this.nodes.push({ opType, inputs, outputs: [output], attributes });
    return output;
  }

  conv(
    x: string,
    inputs: number,
    outputs: number,
    kernel: readonly [number, number],
    options: ConvOptions = {},
  ): string {
    const [height, width] = kernel;
    const group = options.group ?? 1;
    const pads = options.pads ?? [height >> 1, width >> 1, height >> 1, width >> 1];
    const stride = options.stride ?? 1;
    const gain = options.gain ?? 1;
    const w = this.weight(
      [outputs, inputs / group, height, width],
      gain / Math.sqrt((inputs / group) * height * width),
    );
    const attributes = { kernel_shape: [height, width], pads, group, strides: [stride, stride] };
    return this.op("Conv", [x, w, this.weight([outputs], 0.1)], attributes);
  }

  batchNorm(x: string, channels: number): string {
    const parameters = [this.weight([channels], 0.5, 1), this.weight([channels], 0.1), this.weight([channels], 0.1)];
    return this.op("BatchNormalization", [x, ...parameters, this.weight([channels], 0.25, 1)], { epsilon: 1e-5 });
  }

  silu(x: string): string {
    return this.op("Mul", [x, this.op("Sigmoid", [x])]);
  }

  relu(x: string): string {
    return this.op("Relu", [x]);
  }

  /** Split along `axis` into parts of `sizes`. */
  split(x: string, sizes: readonly number[], axis: number): string[] {
    const outputs = sizes.map(() => this.fresh("t"));
    this.nodes.push({ opType: "Split", inputs: [x, this.ints(sizes)], outputs, attributes: { axis } });
    return outputs;
  }

  /** The classifier: pool to a vector (GlobalAveragePool + Flatten, or ReduceMean), then a Linear layer. */
  classifier(x: string, channels: number, classes: number, pool: "global" | "mean"): string {
    const pooled =
      pool === "global"
        ? this.op("Flatten", [this.op("GlobalAveragePool", [x])], { axis: 1 })
        : this.op("ReduceMean", [x], { axes: [2, 3], keepdims: 0 });
    const w = this.weight([classes, channels], 16 / Math.sqrt(channels));
    return this.op("Gemm", [pooled, w, this.weight([classes], 0.1)], { transB: 1 });
  }

  model(name: string, input: readonly number[], output: string): BlockModel {
    const rename = (value: string): string => (value === output ? "y" : value);
    const bytes = encodeModel({
      name,
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
    return { name, input, bytes };
  }
}

/** Channel and spatial sizes of a block; `repeats` stacks it. */
export interface BlockSize {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly repeats: number;
}

/** MBConv: expand 1×1 + SiLU, 5×5 depthwise + SiLU, squeeze-excitation, project, residual. */
export function mbconvBlock({ channels, height, width, repeats }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  const expanded = channels * 6;
  const squeezed = Math.max(1, channels >> 2);
  let x = "x";
  for (let repeat = 0; repeat < repeats; repeat++) {
    const h = b.silu(
      b.conv(b.silu(b.conv(x, channels, expanded, [1, 1])), expanded, expanded, [5, 5], { group: expanded }),
    );
    const pooled = b.op("GlobalAveragePool", [h]);
    const gate = b.op("Sigmoid", [
      b.conv(b.silu(b.conv(pooled, expanded, squeezed, [1, 1])), squeezed, expanded, [1, 1]),
    ]);
    x = b.op("Add", [b.conv(b.op("Mul", [h, gate]), expanded, channels, [1, 1]), x]);
  }
  return b.model("mbconv", [1, channels, height, width], x);
}

/** MobileNetV3: expand + Hardswish, 5×5 depthwise, HardSigmoid gate, project, residual; then a stride-2 stage. */
export function mobilenetV3Block({ channels, height, width }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  const expanded = channels * 3;
  let h = b.op("HardSwish", [b.conv("x", channels, expanded, [1, 1])]);
  h = b.op("HardSwish", [b.conv(h, expanded, expanded, [5, 5], { group: expanded })]);
  const squeezed = b.relu(b.conv(b.op("GlobalAveragePool", [h]), expanded, 8, [1, 1]));
  const gate = b.op("HardSigmoid", [b.conv(squeezed, 8, expanded, [1, 1])], { alpha: 1 / 6, beta: 0.5 });
  const x = b.op("Add", [b.conv(b.op("Mul", [h, gate]), expanded, channels, [1, 1]), "x"]);
  let d = b.op("HardSwish", [b.conv(x, channels, expanded * 2, [1, 1])]);
  d = b.op("HardSwish", [b.conv(d, expanded * 2, expanded * 2, [3, 3], { group: expanded * 2, stride: 2 })]);
  return b.model("mobilenet_v3", [1, channels, height, width], b.conv(d, expanded * 2, channels * 2, [1, 1]));
}

/** ShuffleNet V2 unit: split, 1×1, 3×3 depthwise, 1×1 on one half, concat, channel shuffle. */
export function shuffleBlock({ channels, height, width, repeats }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  const half = channels / 2;
  let x = "x";
  for (let repeat = 0; repeat < repeats; repeat++) {
    const kept = b.op("Slice", [x, b.ints([0]), b.ints([half]), b.ints([1])]);
    const branch = b.op("Slice", [x, b.ints([half]), b.ints([channels]), b.ints([1])]);
    let h = b.relu(b.conv(branch, half, half, [1, 1]));
    h = b.relu(b.conv(b.conv(h, half, half, [3, 3], { group: half }), half, half, [1, 1]));
    const split = b.op("Reshape", [b.op("Concat", [kept, h], { axis: 1 }), b.ints([1, 2, half, height, width])]);
    const shuffled = b.op("Transpose", [split], { perm: [0, 2, 1, 3, 4] });
    x = b.op("Reshape", [shuffled, b.ints([1, channels, height, width])]);
  }
  return b.model("shufflenet_v2", [1, channels, height, width], x);
}

/** ResNeXt bottleneck: 1×1, grouped 3×3 with 4 channels per group, 1×1, residual. */
export function resnextBlock({ channels, height, width, repeats }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  const inner = channels / 2;
  let x = "x";
  for (let repeat = 0; repeat < repeats; repeat++) {
    const h = b.relu(b.conv(b.relu(b.conv(x, channels, inner, [1, 1])), inner, inner, [3, 3], { group: inner / 4 }));
    x = b.relu(b.op("Add", [b.conv(h, inner, channels, [1, 1]), x]));
  }
  return b.model("resnext", [1, channels, height, width], x);
}

/** DenseNet layers: BN, ReLU, 1×1 conv, BN, ReLU, 3×3 conv (growth 32), concatenated. */
export function densenetBlock({ channels, height, width, repeats }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  let x = "x";
  let current = channels;
  for (let repeat = 0; repeat < repeats; repeat++) {
    const bottleneck = b.conv(b.relu(b.batchNorm(x, current)), current, 4 * 32, [1, 1]);
    const grown = b.conv(b.relu(b.batchNorm(bottleneck, 4 * 32)), 4 * 32, 32, [3, 3]);
    x = b.op("Concat", [x, grown], { axis: 1 });
    current += 32;
  }
  return b.model("densenet", [1, channels, height, width], x);
}

/** Inception branches: 1×1; 1×1 → 1×7 → 7×1; 1×1 → 5×5; average pool → 1×1; concatenated. */
export function inceptionBlock({ channels, height, width }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  const branch = (channels * 3) / 4;
  const direct = b.relu(b.conv("x", channels, branch, [1, 1]));
  let factorized = b.relu(b.conv("x", channels, channels / 2, [1, 1]));
  factorized = b.relu(b.conv(factorized, channels / 2, channels / 2, [1, 7]));
  factorized = b.relu(b.conv(factorized, channels / 2, branch, [7, 1]));
  const wide = b.relu(b.conv(b.relu(b.conv("x", channels, channels / 4, [1, 1])), channels / 4, channels / 4, [5, 5]));
  const pooled = b.op("AveragePool", ["x"], {
    kernel_shape: [3, 3],
    strides: [1, 1],
    pads: [1, 1, 1, 1],
    count_include_pad: 0,
  });
  const pool = b.relu(b.conv(pooled, channels, branch, [1, 1]));
  return b.model(
    "inception",
    [1, channels, height, width],
    b.op("Concat", [direct, factorized, wide, pool], { axis: 1 }),
  );
}

/** AlexNet's stem: 11×11 stride 4, max pool, 5×5, max pool (3 input channels). */
export function alexnetStem({ channels, height, width }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  let x = b.relu(b.conv("x", 3, channels, [11, 11], { stride: 4, pads: [2, 2, 2, 2] }));
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2] });
  x = b.relu(b.conv(x, channels, channels * 3, [5, 5]));
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2] });
  return b.model("alexnet_stem", [1, 3, height, width], x);
}

/** VGG: two 3×3 convs, 2×2 max pool, a stride-2 3×3 conv, a 3×3 conv. */
export function vggBlock({ channels, height, width }: BlockSize): BlockModel {
  const b = new BlockBuilder();
  let x = b.relu(b.conv("x", channels, channels * 2, [3, 3]));
  x = b.relu(b.conv(x, channels * 2, channels * 2, [3, 3]));
  x = b.op("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2] });
  x = b.relu(b.conv(x, channels * 2, channels * 4, [3, 3], { stride: 2 }));
  x = b.relu(b.conv(x, channels * 4, channels * 4, [3, 3]));
  return b.model("vgg", [1, channels, height, width], x);
}

/** Conv weight gain for whole networks: their outputs stay near 1 through 50 layers. */
const NETWORK_GAIN = 4;

/** A whole network's input side and channel scale (1 = the published widths). */
export interface NetworkSize {
  readonly side: number;
  readonly widthScale: number;
  readonly classes: number;
}

/**
 * ResNeXt-50 32×4d as torchvision builds it (BatchNorm folded, as export
 * leaves it): 7×7 stem, max pool, four stages of 3/4/6/3 bottlenecks
 * (1×1, grouped 3×3 with 32 groups, 1×1, residual; a strided 1×1
 * projection opens each stage), global average pool, Linear.
 */
export function resnext50({ side, widthScale, classes }: NetworkSize): BlockModel {
  const b = new BlockBuilder();
  const scaled = (channels: number): number => Math.max(32, Math.round(channels * widthScale));
  let x = b.relu(b.conv("x", 3, scaled(64), [7, 7], { gain: NETWORK_GAIN, stride: 2 }));
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let channels = scaled(64);
  const stages = [
    [3, 128, 256, 1],
    [4, 256, 512, 2],
    [6, 512, 1024, 2],
    [3, 1024, 2048, 2],
  ] as const;
  for (const [blocks, width, out, stride] of stages) {
    for (let index = 0; index < blocks; index++) {
      const step = index === 0 ? stride : 1;
      let h = b.relu(b.conv(x, channels, scaled(width), [1, 1], { gain: NETWORK_GAIN }));
      h = b.relu(b.conv(h, scaled(width), scaled(width), [3, 3], { gain: NETWORK_GAIN, group: 32, stride: step }));
      h = b.conv(h, scaled(width), scaled(out), [1, 1], { gain: NETWORK_GAIN });
      const skip = index === 0 ? b.conv(x, channels, scaled(out), [1, 1], { gain: NETWORK_GAIN, stride: step }) : x;
      x = b.relu(b.op("Add", [h, skip]));
      channels = scaled(out);
    }
  }
  return b.model("resnext50", [1, 3, side, side], b.classifier(x, channels, classes, "global"));
}

/**
 * ShuffleNet V2 1.0× as torchvision builds it: 3×3 stride-2 stem, max
 * pool, stages of 4/8/4 units (116/232/464 channels; the first unit of each
 * downsamples both branches, the others Split the channels in two), each
 * unit ending in Concat and the channel shuffle (Reshape, Transpose,
 * Reshape), a 1×1 conv to 1024, the spatial mean, Linear.
 */
export function shufflenetV2({ side, widthScale, classes }: NetworkSize): BlockModel {
  const b = new BlockBuilder();
  const even = (channels: number): number => 2 * Math.max(4, Math.round((channels * widthScale) / 2));
  let x = b.relu(b.conv("x", 3, 24, [3, 3], { gain: NETWORK_GAIN, stride: 2 }));
  x = b.op("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
  let channels = 24;
  let height = Math.floor((Math.floor((side - 1) / 2) + 1 - 1) / 2) + 1;
  const shuffle = (value: string, count: number): string => {
    const split = b.op("Reshape", [value, b.ints([1, 2, count / 2, height, height])]);
    const swapped = b.op("Transpose", [split], { perm: [0, 2, 1, 3, 4] });
    return b.op("Reshape", [swapped, b.ints([1, count, height, height])]);
  };
  for (const [units, width] of [
    [4, 116],
    [8, 232],
    [4, 464],
  ] as const) {
    const out = even(width);
    const half = out / 2;
    for (let unit = 0; unit < units; unit++) {
      if (unit === 0) {
        const left = b.relu(
          b.conv(
            b.conv(x, channels, channels, [3, 3], { gain: NETWORK_GAIN, group: channels, stride: 2 }),
            channels,
            half,
            [1, 1],
            { gain: NETWORK_GAIN },
          ),
        );
        let right = b.relu(b.conv(x, channels, half, [1, 1], { gain: NETWORK_GAIN }));
        right = b.conv(right, half, half, [3, 3], { gain: NETWORK_GAIN, group: half, stride: 2 });
        right = b.relu(b.conv(right, half, half, [1, 1], { gain: NETWORK_GAIN }));
        height = Math.floor((height - 1) / 2) + 1;
        x = shuffle(b.op("Concat", [left, right], { axis: 1 }), out);
      } else {
        const [kept, branch] = b.split(x, [half, half], 1) as [string, string];
        let right = b.relu(b.conv(branch, half, half, [1, 1], { gain: NETWORK_GAIN }));
        right = b.relu(
          b.conv(b.conv(right, half, half, [3, 3], { gain: NETWORK_GAIN, group: half }), half, half, [1, 1], {
            gain: NETWORK_GAIN,
          }),
        );
        x = shuffle(b.op("Concat", [kept, right], { axis: 1 }), out);
      }
      channels = out;
    }
  }
  x = b.relu(b.conv(x, channels, 1024, [1, 1], { gain: NETWORK_GAIN }));
  return b.model("shufflenet_v2_net", [1, 3, side, side], b.classifier(x, 1024, classes, "mean"));
}

export const CNN_BLOCKS: readonly ((size: BlockSize) => BlockModel)[] = [
  mbconvBlock,
  mobilenetV3Block,
  shuffleBlock,
  resnextBlock,
  densenetBlock,
  inceptionBlock,
  alexnetStem,
  vggBlock,
];
