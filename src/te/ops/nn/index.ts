/**
 * The nn op family: convolutions, pools, matrix products, views, data
 * movement and shape ops. Joined with the math family in ../registry.ts.
 */
import type { OpDefinition } from "../../op.js";
import { Conv } from "./conv.js";
import { Gemm, MatMul } from "./matmul.js";
import { AveragePool, GlobalAveragePool, GlobalLpPool, GlobalMaxPool, LpPool, MaxPool } from "./pool.js";

export const NN_OPS: Readonly<Record<string, OpDefinition>> = {
  Conv,
  Gemm,
  MatMul,
  MaxPool,
  AveragePool,
  LpPool,
  GlobalMaxPool,
  GlobalAveragePool,
  GlobalLpPool,
};
