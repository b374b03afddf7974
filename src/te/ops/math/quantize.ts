/**
 * Linear (de)quantization: QuantizeLinear, DequantizeLinear and
 * DynamicQuantizeLinear. Scales and zero points are per tensor (one
 * element) or per axis (1-D, one per index of `axis`); blocked quantization
 * (opset 21 block_size) is not supported.
 *
 *   quantize:   y = saturate(round_half_even(x / scale) + zero_point)
 *   dequantize: y = (x − zero_point) · scale
 */
import { type DType, dtypeFromOnnx } from "../../../support/dtype.js";
import { sizeOf } from "../../../support/tensor-data.js";
import { type Expr, binary, cast, int, makeIterVar, reduce, tload, unary } from "../../expr.js";
import { type TeTensor, compute } from "../../tensor.js";
import type { OpBuildContext, OpDefinition } from "../../op.js";
import { normalizeAxis, shapeError, unsupported } from "../../builders.js";
import { FLOAT_TYPES, checkDtype, optionalInput, outputName, requireInput, typed } from "./common.js";

const QUANTIZED_TYPES: readonly DType[] = ["int8", "uint8", "int16", "uint16", "int32"];

/** The element of a scale or zero point that applies at `indices` of X: per tensor or per axis. */
function parameterAt(context: OpBuildContext, parameter: TeTensor, x: TeTensor, indices: readonly Expr[]): Expr {
  if (sizeOf(parameter.shape) === 1 && parameter.shape.length <= 1) {
    return tload(
      parameter,
      parameter.shape.map(() => int(0)),
    );
  }
  const axis = normalizeAxis(context.node, context.attributes.int("axis", 1), x.shape.length);
  if (parameter.shape.length !== 1 || parameter.shape[0] !== x.shape[axis]) {
    throw shapeError(
      context.node,
      `per-axis parameter [${parameter.shape.join(",")}] must have ${x.shape[axis]} elements`,
    );
  }
  return tload(parameter, [indices[axis]!]);
}

function rejectBlocked(context: OpBuildContext): void {
  if (context.attributes.int("block_size", 0) !== 0)
    throw unsupported(context.node, "blocked quantization is not supported");
}

/** round(x / scale) + zero_point, clamped to the range of `target`, in float arithmetic, then converted. */
function quantizeValue(x: Expr, scale: Expr, zeroPoint: Expr | null, target: DType): Expr {
  let value: Expr = unary("round", binary("div", x, scale));
  if (zeroPoint !== null) value = binary("add", value, cast(zeroPoint, x.dtype));
  const [low, high] = integerRange(target);
  value = binary("min", binary("max", value, typed(low, x.dtype)), typed(high, x.dtype));
  return cast(value, target);
}

function integerRange(dtype: DType): [number, number] {
  const bits: Partial<Record<DType, [number, number]>> = {
    int8: [-128, 127],
    uint8: [0, 255],
    int16: [-32768, 32767],
    uint16: [0, 65535],
    int32: [-2147483648, 2147483647],
  };
  return bits[dtype]!;
}

function quantizedTargetType(context: OpBuildContext, zeroPoint: TeTensor | null): DType {
  if (zeroPoint !== null) return zeroPoint.dtype;
  const code = context.attributes.int("output_dtype", 0);
  return code === 0 ? "uint8" : dtypeFromOnnx(code);
}

const quantizeLinear: OpDefinition = {
  pattern: () => "broadcast",
  build(context) {
    rejectBlocked(context);
    const x = requireInput(context, 0);
    const scale = requireInput(context, 1);
    const zeroPoint = optionalInput(context, 2)?.tensor ?? null;
    checkDtype(context, x, FLOAT_TYPES, "input x");
    const target = quantizedTargetType(context, zeroPoint);
    if (!QUANTIZED_TYPES.includes(target) || target === "int32") {
      throw unsupported(context.node, `quantizing to ${target} is not supported`);
    }
    return [
      compute(outputName(context), x.shape, (indices) => {
        const zero = zeroPoint === null ? null : parameterAt(context, zeroPoint, x, indices);
        const value = tload(x, indices);
        return quantizeValue(value, cast(parameterAt(context, scale, x, indices), x.dtype), zero, target);
      }),
    ];
  },
};

const dequantizeLinear: OpDefinition = {
  pattern: () => "broadcast",
  build(context) {
    rejectBlocked(context);
    const x = requireInput(context, 0);
    const scale = requireInput(context, 1);
    const zeroPoint = optionalInput(context, 2)?.tensor ?? null;
    checkDtype(context, x, QUANTIZED_TYPES, "input x");
    checkDtype(context, scale, FLOAT_TYPES, "x_scale");
    return [
      compute(outputName(context), x.shape, (indices) => {
        let value: Expr = cast(tload(x, indices), scale.dtype);
        if (zeroPoint !== null) {
          value = binary("sub", value, cast(parameterAt(context, zeroPoint, x, indices), scale.dtype));
        }
        return binary("mul", value, parameterAt(context, scale, x, indices));
      }),
    ];
  },
};

/** The minimum or maximum of every element of X, widened to include 0 (rank 0). */
function rangeEnd(x: TeTensor, op: "min" | "max", name: string): TeTensor {
  return compute(name, [], () => {
    const axes = x.shape.map((extent, dim) => makeIterVar(`r${dim}`, extent));
    const extreme = reduce(
      op,
      axes,
      tload(
        x,
        axes.map((axis) => axis.variable),
      ),
    );
    return binary(op, extreme, typed(0, x.dtype));
  });
}

/**
 * DynamicQuantizeLinear: uint8 quantization with scale (max − min) / 255 and
 * zero point round(−min / scale), where min ≤ 0 ≤ max span X.
 */
const dynamicQuantizeLinear: OpDefinition = {
  pattern: () => "reduction",
  build(context) {
    const x = requireInput(context, 0);
    checkDtype(context, x, ["float32"], "input x");
    const name = outputName(context);
    const low = rangeEnd(x, "min", `${name}_min`);
    const high = rangeEnd(x, "max", `${name}_max`);
    const scale = compute(outputName(context, 1), [], () =>
      binary("div", binary("sub", tload(high, []), tload(low, [])), typed(255, x.dtype)),
    );
    const zeroPoint = compute(outputName(context, 2), [], () =>
      quantizeValue(unary("neg", tload(low, [])), tload(scale, []), null, "uint8"),
    );
    const y = compute(name, x.shape, (indices) =>
      quantizeValue(tload(x, indices), tload(scale, []), tload(zeroPoint, []), "uint8"),
    );
    return [y, scale, zeroPoint];
  },
};

export const QUANTIZE_OPS: Record<string, OpDefinition> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
};
