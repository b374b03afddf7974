/**
 * Pow by a constant 2, 3 or 4 becomes multiplications: x·x, (x·x)·x and
 * (x·x)·(x·x). Exporters write GPT-2's GELU as
 * 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·Pow(x, 3)))); a generic pow per
 * element (exp and log, the sign of a negative base by parity) made the
 * epilogue of that model's FFN GEMM cost 22 ns per element.
 *
 * Requires: shapes inferred. Ensures: the ir.ts invariants, with the Pow's
 * output value now written by the last Mul. x·x is pow(x, 2) exactly (both
 * round the same product once); x³ and x⁴ round twice, within an ulp or two
 * of pow. Only float bases are rewritten, and only when the exponent is a
 * one-element constant that leaves the base's shape as the output's.
 */
import { type IdSource, defaultIds, makeNode, makeValue } from "../builder.js";
import type { Graph, Node, Value } from "../ir.js";
import { scalarConstant } from "./scalar-constant.js";

export function expandPow(graph: Graph, ids: IdSource = defaultIds): Graph {
  const expansions = new Map<number, Node[]>();
  for (const node of graph.nodes) {
    const expansion = expansionOf(node, ids);
    if (expansion !== null) expansions.set(node.id, expansion);
  }
  if (expansions.size === 0) return graph;
  return { ...graph, nodes: graph.nodes.flatMap((node) => expansions.get(node.id) ?? [node]) };
}

const EXPANDED_EXPONENTS = new Set([2, 3, 4]);

function expansionOf(node: Node, ids: IdSource): Node[] | null {
  if (node.domain !== "" || node.opType !== "Pow" || node.outputs.length !== 1) return null;
  const [base, exponentValue] = node.inputs;
  const output = node.outputs[0]!;
  if (base === null || base === undefined || base.shape === null) return null;
  if (base.dtype !== "float32" && base.dtype !== "float64") return null;
  const exponent = scalarConstant(exponentValue ?? null, base.shape.length, { allowIntegers: true });
  if (exponent === null || !EXPANDED_EXPONENTS.has(exponent)) return null;
  const mul = (a: Value, b: Value, result: Value, suffix: string): Node =>
    makeNode(
      { name: `${node.name}_${suffix}`, opType: "Mul", opset: node.opset, inputs: [a, b], outputs: [result] },
      ids,
    );
  if (exponent === 2) return [mul(base, base, output, "square")];
  const square = makeValue(`${output.name}_square`, base.dtype, base.shape, undefined, ids);
  const last = exponent === 3 ? mul(square, base, output, "cube") : mul(square, square, output, "fourth");
  return [mul(base, base, square, "square"), last];
}
