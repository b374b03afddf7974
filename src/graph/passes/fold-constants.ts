/**
 * Folds nodes whose outputs became known at compile time after other passes
 * (every input now constant, or an op such as Shape whose definition can
 * evaluate it): their outputs become constant values and the nodes go away.
 * Uses the same folding as shape inference (graph/fold-node.ts).
 *
 * Requires: a shape-inferred graph (static shapes on every value).
 * Ensures: no node left whose outputs fold; graph outputs keep their names;
 * returns the input graph unchanged when nothing folded.
 */
import { type IdSource, defaultIds, makeConstantValue, rewriteGraph } from "../builder.js";
import type { Graph, Node } from "../ir.js";
import { foldNode, makePlaceholderContext, opDefinitionOf } from "../fold-node.js";

export function foldConstants(graph: Graph, ids: IdSource = defaultIds): Graph {
  return rewriteGraph(graph, (node, context) => {
    const folded = tryFold(node);
    if (folded === null) return undefined;
    node.outputs.forEach((value, index) => {
      context.substitute(value, makeConstantValue(value.name, folded[index]!, ids));
    });
    return [];
  });
}

function tryFold(node: Node): ReturnType<typeof foldNode> {
  const definition = opDefinitionOf(node);
  const allConstant = node.inputs.every((input) => input === null || input.constant !== undefined);
  if (!allConstant && definition.evaluate === undefined) return null;
  const context = makePlaceholderContext(node);
  return foldNode(definition, context, definition.build(context));
}
