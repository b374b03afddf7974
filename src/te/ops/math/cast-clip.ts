/**
 * Cast, CastLike and Clip: elementwise ops whose parameters come from an
 * attribute (Cast's `to`), another input's dtype (CastLike), or scalar
 * inputs (Clip's bounds).
 */
import { dtypeFromOnnx } from "../../../support/dtype.js";
import { TesseraError } from "../../../support/errors.js";
import { sizeOf } from "../../../support/tensor-data.js";
import { locationOf } from "../../../graph/attributes.js";
import { type Expr, binary, cast, constant, int, tload } from "../../expr.js";
import { compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition, OpInput, PatternKind } from "../../op.js";
import { normalizeConstant } from "../../evaluate-scalar.js";
import {
  ALL_TYPES,
  NUMERIC_TYPES,
  checkDtype,
  invalidModel,
  optionalInput,
  outputName,
  requireInput,
} from "./common.js";
import { unaryOpDefinition } from "./unary.js";

/** Cast to the ONNX element type code `to`; strings, float16 and the like are E_UNSUPPORTED_DTYPE. */
const castOp: OpDefinition = unaryOpDefinition(ALL_TYPES, (x, context) => {
  const code = context.attributes.int("to");
  try {
    return cast(x, dtypeFromOnnx(code));
  } catch (error) {
    if (!(error instanceof TesseraError)) throw error;
    throw new TesseraError(error.code, `Cast target: ${error.message}`, locationOf(context.node));
  }
});

const castLike: OpDefinition = {
  pattern: () => "elementwise",
  build(context) {
    const input = requireInput(context, 0);
    const target = requireInput(context, 1);
    return [compute(outputName(context), input.shape, (indices) => cast(tload(input, indices), target.dtype))];
  },
};

/**
 * A bound of Clip: input `index` (opset ≥ 11), or the attribute of the same
 * name before opset 11. A constant bound becomes a literal; a bound computed
 * at run time is loaded as the one element of its tensor. Null when absent.
 */
function clipBound(context: OpBuildContext, index: number, name: "min" | "max", x: Expr): Expr | null {
  if (context.node.opset < 11) {
    if (!context.attributes.has(name)) return null;
    return constant(normalizeConstant(context.attributes.float(name), x.dtype), x.dtype);
  }
  const input = optionalInput(context, index);
  if (input === null) return null;
  const bound = input.tensor;
  if (bound.dtype !== x.dtype) throw invalidModel(context, `${name} has type ${bound.dtype}, X has ${x.dtype}`);
  if (sizeOf(bound.shape) !== 1)
    throw invalidModel(context, `${name} must be a scalar, got [${bound.shape.join(",")}]`);
  if (input.constant !== null) return constant(normalizeConstant(input.constant.data[0]!, x.dtype), x.dtype);
  return tload(
    bound,
    bound.shape.map(() => int(0)),
  );
}

function isLoadedBound(input: OpInput | null): boolean {
  return input !== null && input.constant === null;
}

const clip: OpDefinition = {
  /** Elementwise unless a bound is a run-time tensor that the kernel loads. */
  pattern(context): PatternKind {
    if (context.node.opset < 11) return "elementwise";
    const loaded = [1, 2].some((index) => isLoadedBound(optionalInput(context, index)));
    return loaded ? "broadcast" : "elementwise";
  },
  build(context) {
    const input = requireInput(context, 0);
    checkDtype(context, input, NUMERIC_TYPES, "input");
    const output = compute(outputName(context), input.shape, (indices) => {
      let value: Expr = tload(input, indices);
      const low = clipBound(context, 1, "min", value);
      const high = clipBound(context, 2, "max", value);
      if (low !== null) value = binary("max", value, low);
      if (high !== null) value = binary("min", value, high);
      return value;
    });
    return [output];
  },
};

export const CAST_CLIP_OPS: Record<string, OpDefinition> = {
  Cast: castOp,
  CastLike: castLike,
  Clip: clip,
};
