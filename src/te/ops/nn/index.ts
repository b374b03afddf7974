/**
 * The nn op family: convolutions, pools, matrix products, views, data
 * movement and shape ops. Joined with the math family in ../registry.ts.
 */
import type { OpDefinition } from "../../op.js";
import { Constant, ConstantOfShape, Range, Shape, Size } from "./constant-ops.js";
import { Conv } from "./conv.js";
import { ConvTranspose } from "./conv-transpose.js";
import { Concat, Expand, Slice, Split, Tile, Transpose } from "./data-movement.js";
import { Gather, GatherElements, GatherND } from "./gather.js";
import { Gemm, MatMul } from "./matmul.js";
import { EyeLike, OneHot, Trilu } from "./masks.js";
import { Pad } from "./pad.js";
import { DepthToSpace, ReverseSequence, SpaceToDepth } from "./rearrange.js";
import { Resize, Upsample } from "./resize.js";
import { Scatter, ScatterElements, ScatterND } from "./scatter.js";
import { AveragePool, GlobalAveragePool, GlobalLpPool, GlobalMaxPool, LpPool, MaxPool } from "./pool.js";
import { Dropout, Flatten, Identity, Reshape, Squeeze, Unsqueeze } from "./shape-ops.js";

export const NN_OPS: Readonly<Record<string, OpDefinition>> = {
  Conv,
  ConvTranspose,
  Gemm,
  MatMul,
  MaxPool,
  AveragePool,
  LpPool,
  GlobalMaxPool,
  GlobalAveragePool,
  GlobalLpPool,
  Reshape,
  Flatten,
  Squeeze,
  Unsqueeze,
  Identity,
  Dropout,
  Concat,
  Split,
  Transpose,
  Slice,
  Expand,
  Tile,
  Gather,
  GatherElements,
  GatherND,
  Shape,
  Size,
  ConstantOfShape,
  Range,
  Constant,
  Pad,
  DepthToSpace,
  SpaceToDepth,
  ReverseSequence,
  Trilu,
  EyeLike,
  OneHot,
  Resize,
  Upsample,
  Scatter,
  ScatterElements,
  ScatterND,
};
