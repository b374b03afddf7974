/**
 * Builds the tensor expressions of one fused group by chaining its nodes'
 * op definitions: a value produced inside the group is passed to its
 * consumers as the producer's TE compute (so lowering can inline it); a
 * value from outside becomes one placeholder, shared by all its readers.
 * Computes that only pre-pack constants are then folded into new weights
 * (fold-constant-stages.ts), and `inputs` lists what the kernel really reads.
 */
import { Attributes } from "../graph/attributes.js";
import type { FusedGroup } from "../graph/fused.js";
import type { Node, Value } from "../graph/ir.js";
import { assert } from "../support/assert.js";
import type { OpBuildContext, OpInput } from "../te/op.js";
import { opDefinitionOf } from "../graph/fold-node.js";
import { type TeTensor, compute, placeholder } from "../te/tensor.js";
import { compare, int, tload } from "../te/expr.js";
import { makeConstantValue } from "../graph/builder.js";
import { constantCompute } from "../te/ops/nn/common.js";
import { type TensorData, makeTensorData } from "../support/tensor-data.js";
import { foldConstantStages, readTensors } from "./fold-constant-stages.js";

export interface GroupTe {
  /** The group's escaping values with the computes that produce them. */
  readonly outputs: readonly { readonly value: Value; readonly tensor: TeTensor }[];
  /** Each placeholder and the outside value it stands for. */
  readonly inputs: ReadonlyMap<TeTensor, Value>;
}

export function buildGroupTe(group: FusedGroup): GroupTe {
  const produced = new Map<Value, TeTensor>();
  const placeholders = new Map<Value, TeTensor>();
  const inputs = new Map<TeTensor, Value>();

  const tensorFor = (value: Value): TeTensor => {
    const inner = produced.get(value);
    if (inner !== undefined) return inner;
    if (value.constant !== undefined && value.dtype === "bool" && value.constant.data.length > 1) {
      // A constant mask is stored as int32 and read through `!= 0`: 32-bit loads vectorize, bytes do not.
      const wide = widenedMask(value);
      const words = placeholder(wide.name, "int32", value.shape as number[]);
      inputs.set(words, wide);
      const mask = compute(value.name, value.shape as number[], (indices) =>
        compare("ne", tload(words, indices), int(0)),
      );
      produced.set(value, mask);
      return mask;
    }
    if (isScalarConstant(value)) {
      // An immediate in the code, not a load: the simplifier can fold it (x · 1, x / c).
      const literal = constantCompute(value.name, value.constant!);
      produced.set(value, literal);
      return literal;
    }
    let outer = placeholders.get(value);
    if (outer === undefined) {
      assert(
        value.shape !== null && value.shape.every((dim) => typeof dim === "number"),
        `value ${value.name} has no static shape`,
      );
      outer = placeholder(value.name, value.dtype, value.shape as number[]);
      placeholders.set(value, outer);
      inputs.set(outer, value);
    }
    return outer;
  };

  for (const node of group.nodes) {
    const tensors = buildNode(node, tensorFor);
    node.outputs.forEach((value, index) => {
      const tensor = tensors[index];
      if (tensor !== null && tensor !== undefined) produced.set(value, tensor);
    });
  }
  const built = group.outputs.map((value) => {
    const tensor = produced.get(value);
    assert(tensor !== undefined, `group ${group.name} output ${value.name} was not built`);
    return tensor;
  });
  const constants = new Map<TeTensor, TensorData>();
  for (const [tensor, value] of inputs) if (value.constant !== undefined) constants.set(tensor, value.constant);
  const { outputs: tensors, folded } = foldConstantStages(built, constants);
  for (const [tensor, value] of folded) inputs.set(tensor, value);
  const reachable = reachablePlaceholders(tensors);
  for (const tensor of [...inputs.keys()]) if (!reachable.has(tensor)) inputs.delete(tensor);
  return { outputs: group.outputs.map((value, index) => ({ value, tensor: tensors[index]! })), inputs };
}

/** One int32 copy per constant mask, however many groups read it (a causal mask in every layer). */
const widenedMasks = new WeakMap<Value, Value>();

function widenedMask(value: Value): Value {
  let wide = widenedMasks.get(value);
  if (wide === undefined) {
    const data = value.constant!;
    const words = Int32Array.from(data.data as Uint8Array, (element) => (element ? 1 : 0));
    wide = makeConstantValue(`${value.name}_i32`, makeTensorData("int32", data.shape, words));
    widenedMasks.set(value, wide);
  }
  return wide;
}

/** A one-element float32 or int32 constant (a GELU's √2, a Clip bound, an epsilon). */
function isScalarConstant(value: Value): boolean {
  const data = value.constant;
  return data !== undefined && data.data.length === 1 && (data.dtype === "float32" || data.dtype === "int32");
}

/** Placeholders the outputs read, through any chain of computes. */
function reachablePlaceholders(outputs: readonly TeTensor[]): Set<TeTensor> {
  const seen = new Set<TeTensor>();
  const found = new Set<TeTensor>();
  const visit = (tensor: TeTensor): void => {
    if (seen.has(tensor)) return;
    seen.add(tensor);
    if (tensor.kind === "placeholder") found.add(tensor);
    else readTensors(tensor.body!).forEach(visit);
  };
  outputs.forEach(visit);
  return found;
}

function buildNode(node: Node, tensorFor: (value: Value) => TeTensor): readonly (TeTensor | null)[] {
  const definition = opDefinitionOf(node);
  const opInputs: (OpInput | null)[] = node.inputs.map((value) =>
    value === null ? null : { tensor: tensorFor(value), constant: value.constant ?? null },
  );
  const context: OpBuildContext = {
    node,
    attributes: new Attributes(node),
    inputs: opInputs,
    outputNames: node.outputs.map((value) => value.name),
  };
  return definition.build(context);
}
