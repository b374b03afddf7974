/**
 * Shape inference and constant folding.
 *
 * Binds the symbolic dims of graph inputs, then walks the nodes in order and
 * builds each one's op definition over placeholders: the built TE tensors
 * give every output's dtype and (concrete) shape. A node whose outputs are
 * known at compile time (its definition's `evaluate`, or every input
 * constant and no output over MAX_FOLDED_ELEMENTS) is folded: its outputs
 * become constant values and the node disappears.
 *
 * Requires: a graph satisfying the invariants of ir.ts (shapes may be null
 * except on graph inputs, whose rank must be known).
 * Ensures: every value has a dtype and a static shape; graph inputs whose
 * dims were all static and output values whose type did not change keep
 * their identity, so running it twice returns the first result unchanged;
 * graph outputs keep their names. Errors thrown by op builders propagate
 * unchanged, except E_DYNAMIC_SHAPE, which becomes a DynamicShapeError naming
 * the graph inputs the missing contents are computed from (so a session can
 * compile again with those inputs bound, see bind-constant-inputs.ts); an op
 * Tessera lacks is E_UNSUPPORTED_OP naming the node.
 */
import { locationOf } from "./attributes.js";
import { type IdSource, defaultIds, makeConstantValue, makeValue } from "./builder.js";
import type { Graph, Node, Value } from "./ir.js";
import { isStaticShape } from "./ir.js";
import { foldNode, inputsNeedingContents, makePlaceholderContext, opDefinitionOf } from "./fold-node.js";
import { DynamicShapeError, TesseraError } from "../support/errors.js";
import type { OpBuildContext, OpBuildResult, OpDefinition } from "../te/op.js";
import type { TeTensor } from "../te/tensor.js";

export interface InferShapesOptions {
  /**
   * Sizes of symbolic dims (e.g. "batch" → 8). A symbolic dim of a graph
   * input with no binding is taken as 1: a model exported with a dynamic
   * batch is then compiled for one sample, which is what a caller that did
   * not ask for more most often wants.
   */
  readonly bindings?: ReadonlyMap<string, number>;
  /** Where new value ids come from; the compilation's shared source by default. */
  readonly ids?: IdSource;
}

export function inferShapes(graph: Graph, options: InferShapesOptions = {}): Graph {
  const bindings = options.bindings ?? new Map<string, number>();
  const ids = options.ids ?? defaultIds;
  const resolved = new Map<Value, Value>();
  const inputs = graph.inputs.map((input) => {
    const bound = bindInput(input, bindings, ids);
    resolved.set(input, bound);
    return bound;
  });
  const used = usedValues(graph);
  let changed = inputs.some((input, index) => input !== graph.inputs[index]);
  const lineage: Lineage = { inputs, producers: new Map() };
  const nodes: Node[] = [];
  for (const original of graph.nodes) {
    const node = inferNode(remapInputs(original, resolved), used, resolved, ids, lineage);
    if (node !== original) changed = true;
    if (node !== null) nodes.push(node);
    if (node !== null) for (const output of node.outputs) lineage.producers.set(output, node);
  }
  const outputs = graph.outputs.map((value) => resolved.get(value) ?? value);
  if (outputs.some((value, index) => value !== graph.outputs[index])) changed = true;
  if (!changed) return graph;
  return { ...graph, inputs, nodes, outputs };
}

/**
 * Builds one node (its inputs already remapped) and records its new output
 * values in `resolved`. Returns the node to keep, or null when it folded.
 */
function inferNode(
  node: Node,
  used: ReadonlySet<Value>,
  resolved: Map<Value, Value>,
  ids: IdSource,
  lineage: Lineage,
): Node | null {
  const definition = opDefinitionOf(node);
  const context = makePlaceholderContext(node);
  const built = buildNode(definition, context, lineage);
  const folded = foldNode(definition, context, built);
  if (folded !== null) {
    node.outputs.forEach((value, index) => {
      resolved.set(value, makeConstantValue(value.name, folded[index]!, ids));
    });
    return null;
  }
  const outputs = typedOutputs(node, built, used, ids);
  node.outputs.forEach((value, index) => {
    if (index < outputs.length) resolved.set(value, outputs[index]!);
  });
  const same = outputs.length === node.outputs.length && outputs.every((value, index) => value === node.outputs[index]);
  return same ? node : { ...node, outputs };
}

/** The graph inputs (already bound) and the producer of each kept node's outputs, so far. */
interface Lineage {
  readonly inputs: readonly Value[];
  readonly producers: Map<Value, Node>;
}

/** Builds the node; an E_DYNAMIC_SHAPE becomes a DynamicShapeError naming the graph inputs behind it. */
function buildNode(definition: OpDefinition, context: OpBuildContext, lineage: Lineage): OpBuildResult {
  try {
    return definition.build(context);
  } catch (error) {
    if (!(error instanceof TesseraError) || error.code !== "E_DYNAMIC_SHAPE" || error instanceof DynamicShapeError) {
      throw error;
    }
    const needed = inputsNeedingContents(definition, context).map((index) => context.node.inputs[index]!);
    throw new DynamicShapeError(error, upstreamGraphInputs(needed, lineage));
  }
}

/**
 * Names of the graph inputs that `values` are computed from, in graph input
 * order: a walk up through producers' non-constant inputs (constants and
 * folded values end it, since their contents are already known).
 */
function upstreamGraphInputs(values: readonly Value[], lineage: Lineage): string[] {
  const found = new Set<Value>();
  const seen = new Set<Value>();
  const pending = [...values];
  while (pending.length > 0) {
    const value = pending.pop()!;
    if (seen.has(value) || value.constant !== undefined) continue;
    seen.add(value);
    if (lineage.inputs.includes(value)) found.add(value);
    const producer = lineage.producers.get(value);
    if (producer !== undefined) for (const input of producer.inputs) if (input !== null) pending.push(input);
  }
  return lineage.inputs.filter((input) => found.has(input)).map((input) => input.name);
}

/**
 * One value per built output, reusing the old value when its dtype and
 * static shape already match. Trailing outputs the definition does not
 * produce (optional ones, such as Dropout's mask or LayerNormalization's
 * mean) are dropped, which is only allowed when nothing reads them.
 */
function typedOutputs(node: Node, built: OpBuildResult, used: ReadonlySet<Value>, ids: IdSource): Value[] {
  const outputs: Value[] = [];
  let omitted: Value | null = null;
  node.outputs.forEach((value, index) => {
    const tensor = built[index] ?? null;
    if (tensor === null) {
      if (used.has(value)) throw missingOutput(node, value, index);
      omitted ??= value;
      return;
    }
    if (omitted !== null) throw missingOutput(node, omitted, node.outputs.indexOf(omitted));
    outputs.push(
      matchesTensor(value, tensor) ? value : makeValue(value.name, tensor.dtype, tensor.shape, undefined, ids),
    );
  });
  return outputs;
}

function missingOutput(node: Node, value: Value, index: number): TesseraError {
  return new TesseraError(
    "E_UNSUPPORTED_ATTRIBUTE",
    `output ${index} ('${value.name}') is not produced by Tessera's ${node.opType}`,
    locationOf(node),
  );
}

function matchesTensor(value: Value, tensor: TeTensor): boolean {
  if (value.dtype !== tensor.dtype || value.constant !== undefined || !isStaticShape(value.shape)) return false;
  return value.shape.length === tensor.shape.length && value.shape.every((dim, index) => dim === tensor.shape[index]);
}

function remapInputs(node: Node, resolved: ReadonlyMap<Value, Value>): Node {
  let changed = false;
  const inputs = node.inputs.map((value) => {
    if (value === null) return null;
    const mapped = resolved.get(value);
    if (mapped === undefined) {
      if (value.constant !== undefined) return value;
      throw new TesseraError(
        "E_INVALID_MODEL",
        `input '${value.name}' is neither a graph input, an initializer, nor the output of an earlier node`,
        locationOf(node),
      );
    }
    if (mapped !== value) changed = true;
    return mapped;
  });
  return changed ? { ...node, inputs } : node;
}

/** The graph input with every symbolic dim replaced by its binding (1 when unbound). */
function bindInput(input: Value, bindings: ReadonlyMap<string, number>, ids: IdSource): Value {
  if (input.shape === null) {
    throw new TesseraError("E_DYNAMIC_SHAPE", `graph input '${input.name}' has no shape; its rank must be known`);
  }
  if (isStaticShape(input.shape)) return input;
  const shape = input.shape.map((dim) => (typeof dim === "number" ? dim : bindingOf(dim, bindings)));
  return makeValue(input.name, input.dtype, shape, undefined, ids);
}

function bindingOf(dim: string, bindings: ReadonlyMap<string, number>): number {
  const size = bindings.get(dim) ?? 1;
  if (!Number.isInteger(size) || size < 0) {
    throw new TesseraError("E_USAGE", `binding of dim '${dim}' must be a non-negative integer, got ${size}`);
  }
  return size;
}

/** Values read by some node or returned by the graph. */
function usedValues(graph: Graph): Set<Value> {
  const used = new Set<Value>(graph.outputs);
  for (const node of graph.nodes) {
    for (const input of node.inputs) if (input !== null) used.add(input);
  }
  return used;
}
