/**
 * Rewrites 3×3 and 5×5 stride-1 convolutions into Winograd F(2×2, 3×3) and
 * F(2×2, 5×5) form (te/ops/nn/winograd.ts):
 *
 *   Conv(X, W, B) → WinogradInput(X) → Reshape [α², T, C] → MatMul(·, U) → WinogradOutput(·, B)
 *
 * where U = G W Gᵀ is computed here, once, at compile time (in float64, stored
 * as float32). The batched MatMul against the constant U is an ordinary
 * MatMul, so it gets the packed-panel micro-kernel of every dense product;
 * the product does α² multiplies per 2×2 output tile where the direct
 * convolution does 4 · r²: 16 against 36 for 3×3 (2.25× fewer), 36 against
 * 100 for 5×5 (2.8× fewer).
 *
 * Requires: shapes inferred, constants folded (BatchNormalization already in W).
 * Qualifies: a default-domain Conv over float32 [N, C, H, W] with constant
 * W [O, C, r, r] (r = 3 or 5), group 1, strides and dilations 1, C and O multiples of 4
 * and at least MIN_CHANNELS (below that the transforms cost more than the
 * multiplies they save). Others stay Conv.
 * Ensures: the Conv's output value is now written by WinogradOutput; the same
 * numbers up to float rounding. F(2, 3) only adds and subtracts inputs and
 * halves weights, so its error stays near the direct convolution's; F(2, 5)
 * scales inputs by integers up to 5 and weights by fractions down to 1/24,
 * which costs a few bits more (the points of the widely used F(4×4, 3×3)).
 */
import { type IdSource, defaultIds, makeConstantValue, makeNode, makeValue, rewriteGraph } from "../builder.js";
import type { Graph, Node, Value } from "../ir.js";
import { isStaticShape } from "../ir.js";
import { makePlaceholderContext } from "../fold-node.js";
import { type TensorData, makeTensorData } from "../../support/tensor-data.js";
import { TESSERA_DOMAIN } from "../../te/ops/registry.js";
import { type WinogradTransform, tileCount, winogradTransform } from "../../te/ops/nn/winograd.js";
import { windowGeometry } from "../../te/ops/nn/window.js";

/** Fewer input or output channels than this keep the direct convolution. */
export const MIN_CHANNELS = 16;
const CHANNEL_MULTIPLE = 4;
/** Opset of the MatMul and Reshape the rewrite creates (Reshape's shape is an input). */
const CREATED_OPSET = 13;

export function winogradConv(graph: Graph, ids: IdSource = defaultIds): Graph {
  return rewriteGraph(graph, (node) => {
    const qualified = qualify(node);
    return qualified === null ? undefined : rewriteConv(node, qualified.pads, qualified.transform, ids);
  });
}

/** Output tile of every rewrite: F(2×2, r×r) for each kernel size r that has a transform. */
const TILE = 2;

/** The conv's pads [top, left, bottom, right] and transform when it qualifies (see the file comment), else null. */
function qualify(node: Node): { pads: readonly number[]; transform: WinogradTransform } | null {
  if (node.opType !== "Conv" || node.domain !== "") return null;
  const [x, w] = node.inputs;
  if (x === null || x === undefined || w === null || w === undefined || w.constant === undefined) return null;
  if (x.dtype !== "float32" || w.dtype !== "float32" || !isStaticShape(x.shape) || x.shape.length !== 4) return null;
  const [outputs, inputs, kernelHeight, kernelWidth] = w.constant.shape as [number, number, number, number];
  if (w.constant.shape.length !== 4 || kernelWidth !== kernelHeight) return null;
  const transform = winogradTransform(TILE, kernelHeight);
  if (transform === null) return null;
  if (Math.min(inputs, outputs) < MIN_CHANNELS || inputs % CHANNEL_MULTIPLE !== 0) return null;
  if (outputs % CHANNEL_MULTIPLE !== 0 || x.shape[1] !== inputs) return null;
  const group = node.attributes.get("group");
  if (group !== undefined && (group.kind !== "int" || group.value !== 1)) return null;
  const geometry = windowGeometry(makePlaceholderContext(node), x.shape.slice(2), [kernelHeight, kernelWidth]);
  if (geometry.strides.some((stride) => stride !== 1) || geometry.dilations.some((dilation) => dilation !== 1))
    return null;
  const pads = [geometry.padBegin[0]!, geometry.padBegin[1]!, geometry.padEnd[0]!, geometry.padEnd[1]!];
  return { pads, transform };
}

function rewriteConv(node: Node, pads: readonly number[], transform: WinogradTransform, ids: IdSource): Node[] {
  const [x, w, bias] = node.inputs as [Value, Value, Value | null | undefined];
  const output = node.outputs[0]!;
  const [batch, channels] = x.shape as [number, number, number, number];
  const [, outChannels, height, width] = output.shape as [number, number, number, number];
  const { tile, kernel, alpha } = transform;
  const tiles = batch * tileCount(height, tile) * tileCount(width, tile);
  const positions = alpha * alpha;
  const attributes = { tile: { kind: "int", value: tile }, kernel: { kind: "int", value: kernel } } as const;
  const name = (suffix: string): string => `${node.name}_winograd_${suffix}`;
  const transformed = makeValue(
    name("input"),
    "float32",
    [positions, batch, tileCount(height, tile), tileCount(width, tile), channels],
    undefined,
    ids,
  );
  const shape = makeConstantValue(
    name("shape"),
    makeTensorData("int64", [3], BigInt64Array.from([positions, tiles, channels].map(BigInt))),
    ids,
  );
  const rows = makeValue(name("rows"), "float32", [positions, tiles, channels], undefined, ids);
  const weights = makeConstantValue(name("weights"), transformWeights(w, transform), ids);
  const products = makeValue(name("products"), "float32", [positions, tiles, outChannels], undefined, ids);
  const common = { domain: TESSERA_DOMAIN, opset: 1 };
  return [
    makeNode(
      {
        ...common,
        name: name("in"),
        opType: "WinogradInput",
        inputs: [x],
        outputs: [transformed],
        attributes: { ...attributes, pads: { kind: "ints", value: pads } },
      },
      ids,
    ),
    makeNode(
      { name: name("reshape"), opType: "Reshape", opset: CREATED_OPSET, inputs: [transformed, shape], outputs: [rows] },
      ids,
    ),
    makeNode(
      { name: name("matmul"), opType: "MatMul", opset: CREATED_OPSET, inputs: [rows, weights], outputs: [products] },
      ids,
    ),
    makeNode(
      {
        ...common,
        name: node.name,
        opType: "WinogradOutput",
        inputs: bias === undefined || bias === null ? [products] : [products, bias],
        outputs: [output],
        attributes: { ...attributes, output_size: { kind: "ints", value: [height, width] } },
      },
      ids,
    ),
  ];
}

/** U[ξ·α+ν, c, o] = Σ_{k,l} G[ξ][k] · W[o, c, k, l] · G[ν][l], accumulated in float64. */
export function transformWeights(w: Value, transform: WinogradTransform): TensorData {
  const source = w.constant!;
  const weights = source.data as Float32Array;
  const [outputs, inputs, kernel] = source.shape as [number, number, number, number];
  const { alpha } = transform;
  const g = Float64Array.from(transform.kernelMatrix.flat());
  const positions = alpha * alpha;
  const data = new Float32Array(positions * inputs * outputs);
  const half = new Float64Array(kernel * alpha);
  // Output channels innermost: each of the alpha² planes is written in order
  // (o outermost scattered every write over the planes: 0.29 s for resnet18).
  for (let c = 0; c < inputs; c++) {
    for (let o = 0; o < outputs; o++) {
      const base = (o * inputs + c) * kernel * kernel;
      // (g Gᵀ)[k][ν], then G · that.
      for (let k = 0; k < kernel; k++) {
        for (let nu = 0; nu < alpha; nu++) {
          let sum = 0;
          for (let l = 0; l < kernel; l++) sum += weights[base + k * kernel + l]! * g[nu * kernel + l]!;
          half[k * alpha + nu] = sum;
        }
      }
      for (let position = 0; position < positions; position++) {
        const xi = Math.floor(position / alpha);
        const nu = position - xi * alpha;
        let sum = 0;
        for (let k = 0; k < kernel; k++) sum += g[xi * kernel + k]! * half[k * alpha + nu]!;
        data[(position * inputs + c) * outputs + o] = sum;
      }
    }
  }
  return makeTensorData("float32", [positions, inputs, outputs], data);
}
