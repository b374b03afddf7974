/**
 * What shape inference and constant folding share: finding a node's op
 * definition, building it over placeholders, and evaluating it at compile
 * time. Folding interprets the same TE that code generation lowers, so a
 * folded value cannot disagree with what the kernel would have computed.
 */
import { Attributes, locationOf } from "./attributes.js";
import type { Node, Value } from "./ir.js";
import { isStaticShape } from "./ir.js";
import { TesseraError } from "../support/errors.js";
import { assert } from "../support/assert.js";
import { isBigIntType } from "../support/dtype.js";
import { type TensorData, makeTensorData, sizeOf } from "../support/tensor-data.js";
import type { OpBuildContext, OpBuildResult, OpDefinition, OpInput } from "../te/op.js";
import { TESSERA_DOMAIN, findOpDefinition, findTesseraOpDefinition } from "../te/ops/registry.js";
import { type TeTensor, placeholder } from "../te/tensor.js";
import { evaluateTe } from "../te/evaluate.js";

/**
 * Outputs larger than this are left to a kernel even when every input is
 * constant: interpreting TE in JS is slow, and a folded value is stored in
 * the artifact's weights, so folding a broadcast of a scalar to a huge shape
 * would trade a cheap kernel for megabytes of weights.
 */
export const MAX_FOLDED_ELEMENTS = 1 << 20;

/** The definition of `node`'s op; throws E_UNSUPPORTED_OP for other domains and unknown ops. */
export function opDefinitionOf(node: Node): OpDefinition {
  const domain = node.domain === "ai.onnx" ? "" : node.domain;
  const definition =
    domain === ""
      ? findOpDefinition(node.opType)
      : domain === TESSERA_DOMAIN
        ? findTesseraOpDefinition(node.opType)
        : undefined;
  if (definition !== undefined) return definition;
  const where = domain === "" ? "the default domain (ai.onnx)" : `domain '${domain}'`;
  throw new TesseraError(
    "E_UNSUPPORTED_OP",
    `op ${node.opType} of ${where} is not supported by Tessera`,
    locationOf(node),
  );
}

/**
 * A build context for `node` whose inputs are fresh placeholders with the
 * input values' shapes, and whose constants are the values' contents.
 * Requires: every non-null input has a static shape (E_DYNAMIC_SHAPE otherwise).
 */
export function makePlaceholderContext(node: Node): OpBuildContext {
  const inputs = node.inputs.map((value): OpInput | null => {
    if (value === null) return null;
    return { tensor: placeholderOf(node, value), constant: value.constant ?? null };
  });
  return {
    node,
    attributes: new Attributes(node),
    inputs,
    outputNames: node.outputs.map((value) => value.name),
  };
}

function placeholderOf(node: Node, value: Value): TeTensor {
  if (!isStaticShape(value.shape)) {
    const shape = value.shape === null ? "unknown" : `[${value.shape.join(",")}]`;
    throw new TesseraError(
      "E_DYNAMIC_SHAPE",
      `input '${value.name}' has shape ${shape}; shapes must be known at compile time`,
      locationOf(node),
    );
  }
  return placeholder(value.name, value.dtype, value.shape);
}

/**
 * The node's outputs computed at compile time, or null when they are not
 * known (or too large to be worth folding). Tries the definition's own
 * `evaluate` first (Shape, Size…: known even when inputs are not), then
 * interprets the built TE when every non-null input is constant.
 * `built` is the result of `definition.build(context)`.
 */
export function foldNode(definition: OpDefinition, context: OpBuildContext, built: OpBuildResult): TensorData[] | null {
  const evaluated = definition.evaluate?.(context) ?? null;
  if (evaluated !== null) {
    assert(
      evaluated.length === context.node.outputs.length,
      `${context.node.name}: evaluate returned a wrong output count`,
    );
    return [...evaluated];
  }
  if (!context.inputs.every((input) => input === null || input.constant !== null)) return null;
  const tensors: TeTensor[] = [];
  for (let index = 0; index < context.node.outputs.length; index++) {
    const tensor = built[index];
    if (tensor === null || tensor === undefined) return null;
    if (sizeOf(tensor.shape) > MAX_FOLDED_ELEMENTS) return null;
    tensors.push(tensor);
  }
  const known = new Map<TeTensor, TensorData>();
  for (const input of context.inputs) {
    if (input !== null && input.constant !== null) known.set(input.tensor, input.constant);
  }
  return evaluateTe(tensors, known);
}

/**
 * The indices of `context`'s non-constant inputs whose contents the op
 * definition needs at build time (Reshape's shape, but not its data), for a
 * node whose build threw E_DYNAMIC_SHAPE. Probes one input at a time: the
 * other non-constant inputs get stand-in contents (all ones, a value every
 * shape-like operand accepts) and the input is needed when the build still
 * throws E_DYNAMIC_SHAPE. A probe failing otherwise (the stand-ins do not fit
 * the data) says the input was not asked for. When no probe singles out an
 * input, every non-constant input is returned, so the answer never misses
 * one that a single probe could not see.
 */
export function inputsNeedingContents(definition: OpDefinition, context: OpBuildContext): number[] {
  const dynamic = context.inputs.flatMap((input, index) => (input !== null && input.constant === null ? [index] : []));
  const needed = dynamic.filter((probed) => stillDynamic(definition, withStandIns(context, probed)));
  return needed.length > 0 ? needed : dynamic;
}

function stillDynamic(definition: OpDefinition, context: OpBuildContext): boolean {
  try {
    definition.build(context);
    return false;
  } catch (error) {
    return error instanceof TesseraError && error.code === "E_DYNAMIC_SHAPE";
  }
}

/** `context` with stand-in contents for every non-constant input except `kept` (large ones stay unknown). */
function withStandIns(context: OpBuildContext, kept: number): OpBuildContext {
  const inputs = context.inputs.map((input, index): OpInput | null => {
    if (input === null || input.constant !== null || index === kept) return input;
    if (sizeOf(input.tensor.shape) > MAX_FOLDED_ELEMENTS) return input;
    return { ...input, constant: onesLike(input.tensor) };
  });
  return { ...context, inputs };
}

function onesLike(tensor: TeTensor): TensorData {
  const data = makeTensorData(tensor.dtype, tensor.shape);
  const one = isBigIntType(tensor.dtype) ? 1n : 1;
  for (let index = 0; index < data.data.length; index++) data.data[index] = one as never;
  return data;
}
