/**
 * Evaluates, at compile time, the computes of a group that op definitions
 * marked `materialize` and that read only constants — weight pre-packing.
 * A MatMul with a constant right operand, for instance, reads its weights
 * through a packed compute laid out [N/8][K][8]; folding it here turns the
 * packing into a new weight, so kernels read panels contiguously and no run
 * ever repacks.
 *
 * Requires: `constants` maps the group's constant placeholders to their data.
 * Ensures: the returned outputs compute the same values; every folded compute
 * is replaced by a placeholder bound to a new constant value.
 */
import { makeConstantValue } from "../graph/builder.js";
import type { Value } from "../graph/ir.js";
import { transformExpr } from "../loop/stmt.js";
import type { TensorData } from "../support/tensor-data.js";
import { evaluateTe } from "../te/evaluate.js";
import { type Expr, tload } from "../te/expr.js";
import { type TeTensor, placeholder, withBody } from "../te/tensor.js";

export interface FoldedStages {
  readonly outputs: readonly TeTensor[];
  /** The placeholders standing for folded computes, with their new constant values. */
  readonly folded: ReadonlyMap<TeTensor, Value>;
}

export function foldConstantStages(
  outputs: readonly TeTensor[],
  constants: ReadonlyMap<TeTensor, TensorData>,
): FoldedStages {
  const folded = new Map<TeTensor, Value>();
  const replacements = new Map<TeTensor, TeTensor>();
  const constantMemo = new Map<TeTensor, boolean>();
  const isConstant = (tensor: TeTensor): boolean => {
    if (tensor.kind === "placeholder") return constants.has(tensor);
    let known = constantMemo.get(tensor);
    if (known === undefined) {
      known = readTensors(tensor.body!).every(isConstant);
      constantMemo.set(tensor, known);
    }
    return known;
  };
  const outputSet = new Set(outputs);
  const rewrite = (tensor: TeTensor): TeTensor => {
    const done = replacements.get(tensor);
    if (done !== undefined) return done;
    let result = tensor;
    if (tensor.kind === "compute" && tensor.materialize === true && !outputSet.has(tensor) && isConstant(tensor)) {
      const [data] = evaluateTe([tensor], constants);
      result = placeholder(`${tensor.name}_packed`, tensor.dtype, tensor.shape);
      folded.set(result, makeConstantValue(`${tensor.name}_packed`, data!));
    } else if (tensor.kind === "compute") {
      const body = rewriteLoads(tensor.body!, rewrite);
      if (body !== tensor.body) result = withBody(tensor, body);
    }
    replacements.set(tensor, result);
    return result;
  };
  return { outputs: outputs.map(rewrite), folded };
}

function rewriteLoads(body: Expr, rewrite: (tensor: TeTensor) => TeTensor): Expr {
  return transformExpr(body, (node) => {
    if (node.kind !== "tload") return node;
    const target = rewrite(node.tensor);
    return target === node.tensor ? node : tload(target, node.indices);
  });
}

/** The tensors an expression loads from (directly, not transitively). */
export function readTensors(body: Expr): TeTensor[] {
  const found = new Set<TeTensor>();
  transformExpr(body, (node) => {
    if (node.kind === "tload") found.add(node.tensor);
    return node;
  });
  return [...found];
}
