/**
 * The math op family: elementwise, broadcast, reduction and normalization
 * ops. The registry (../registry.ts) joins it with the nn family.
 */
import type { OpDefinition } from "../../op.js";
import { ACTIVATION_OPS } from "./activations.js";
import { BINARY_OPS } from "./binary.js";
import { CAST_CLIP_OPS } from "./cast-clip.js";
import { COMPARE_LOGIC_OPS } from "./compare-logic.js";
import { CUMSUM_OPS } from "./cumsum.js";
import { LOSS_OPS } from "./loss.js";
import { NORMALIZATION_OPS } from "./normalization.js";
import { QUANTIZE_OPS } from "./quantize.js";
import { REDUCE_OPS } from "./reduce.js";
import { SOFTMAX_OPS } from "./softmax.js";
import { TOPK_OPS } from "./topk.js";
import { UNARY_OPS } from "./unary.js";

export const MATH_OPS: Record<string, OpDefinition> = {
  ...UNARY_OPS,
  ...ACTIVATION_OPS,
  ...BINARY_OPS,
  ...COMPARE_LOGIC_OPS,
  ...CAST_CLIP_OPS,
  ...REDUCE_OPS,
  ...SOFTMAX_OPS,
  ...NORMALIZATION_OPS,
  ...CUMSUM_OPS,
  ...QUANTIZE_OPS,
  ...LOSS_OPS,
  ...TOPK_OPS,
};
