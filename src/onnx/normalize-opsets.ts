/**
 * normalizeOpsets: rewrites attribute forms of old opsets into the input form
 * of the newest opset, so op definitions read shape-like parameters (Clip
 * bounds, Squeeze/Reduce axes, Split sizes, Pad pads, Slice starts/ends,
 * Resize scales, Dropout ratio…) from constant inputs only.
 *
 * Requires: a graph as the importer builds it. Ensures: a rewritten node has
 * the same outputs, op type (except Upsample → Resize), name and *original*
 * opset number, with the attribute moved to a new constant input Value.
 * Semantic differences between opsets (Softmax < 13 coercing to 2-D, Resize
 * 11's defaults…) are not rewritten, except where an op changes type
 * (Upsample → Resize) or input layout (Resize 10): there the old behaviour is
 * written out as explicit attributes, so Resize definitions need not know the
 * layout history. Returns the input graph when nothing changed.
 *
 * The rules themselves are in normalize-rules.ts.
 */
import type { AttributeValue, Graph, Node, Value } from "../graph/ir.js";
import { type IdSource, defaultIds, makeConstantValue, makeNode, rewriteGraph } from "../graph/builder.js";
import type { TensorData } from "../support/tensor-data.js";
import { NameSource } from "./import-values.js";
import { type NormalizationRule, NORMALIZATION_RULES } from "./normalize-rules.js";

/** What a rule may use to build its replacement node. */
export interface NormalizeContext {
  /** A new constant Value named after the node and `role` (e.g. "conv1_axes"). */
  constant(node: Node, role: string, data: TensorData): Value;
  /** A copy of `node` with other fields; keeps name, domain, opset and outputs unless overridden. */
  rebuild(node: Node, changes: NodeChanges): Node;
}

export interface NodeChanges {
  readonly opType?: string;
  readonly inputs?: readonly (Value | null)[];
  readonly attributes?: ReadonlyMap<string, AttributeValue>;
}

export function normalizeOpsets(graph: Graph, ids: IdSource = defaultIds): Graph {
  const context = makeContext(graph, ids);
  return rewriteGraph(graph, (node) => {
    if (node.domain !== "") return undefined;
    let current = node;
    for (const rule of NORMALIZATION_RULES) {
      // A rule that changed the op type (Upsample → Resize) has produced the final form.
      if (current.opType === node.opType && appliesTo(rule, node)) current = rule.rewrite(current, context);
    }
    return current === node ? undefined : [current];
  });
}

function appliesTo(rule: NormalizationRule, node: Node): boolean {
  const opTypeMatches = rule.opTypes === "any" || rule.opTypes.includes(node.opType);
  return opTypeMatches && node.opset < rule.before;
}

function makeContext(graph: Graph, ids: IdSource): NormalizeContext {
  const names = new NameSource();
  for (const value of [...graph.inputs, ...graph.outputs]) names.reserve(value.name);
  for (const node of graph.nodes) {
    for (const value of [...node.inputs, ...node.outputs]) if (value !== null) names.reserve(value.name);
  }
  return {
    constant(node, role, data) {
      return makeConstantValue(names.fresh(`${node.name}_${role}`), data, ids);
    },
    rebuild(node, changes) {
      return makeNode(
        {
          name: node.name,
          opType: changes.opType ?? node.opType,
          domain: node.domain,
          opset: node.opset,
          inputs: trimTrailingNulls(changes.inputs ?? node.inputs),
          outputs: node.outputs,
          attributes: changes.attributes ?? node.attributes,
        },
        ids,
      );
    },
  };
}

function trimTrailingNulls(inputs: readonly (Value | null)[]): (Value | null)[] {
  const trimmed = [...inputs];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === null) trimmed.pop();
  return trimmed;
}
