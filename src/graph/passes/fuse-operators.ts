/**
 * Partitions the graph into fused groups, each of which becomes one kernel,
 * driven by each op's pattern kind (TVM's operator fusion):
 * - a view op (Reshape, Flatten, Squeeze, Unsqueeze, Identity) is a group of
 *   its own and gets no kernel;
 * - a reduction or out-fusable node (Conv, MatMul, Softmax…) anchors a group
 *   and absorbs the chain of elementwise/broadcast nodes that follows it
 *   (Conv + bias Add + Relu, MatMul + Add + the Erf chain of GELU…);
 * - consecutive elementwise/broadcast nodes share a group;
 * - injective nodes share a group, which may absorb following elementwise
 *   and broadcast nodes;
 * - nodes with several outputs (Split, LayerNormalization with its extra
 *   outputs) and opaque nodes stand alone. Nothing else fuses.
 * A node joins the group producing one of its inputs only when that value is
 * the group's last output, has that node as its only reader and is not a
 * graph output, so only a group's last value can escape it.
 *
 * Requires: a shape-inferred graph (patterns may depend on input shapes).
 * Ensures: the invariants of fused.ts; groups are ordered by their last
 * node, which is a topological order because nothing but a group's last
 * value is read outside it. Nodes whose outputs are all constant are left out.
 */
import type { Graph, Node, Value } from "../ir.js";
import type { FusedGraph, FusedGroup } from "../fused.js";
import type { PatternKind } from "../../te/op.js";
import { assert, unreachable } from "../../support/assert.js";
import { makePlaceholderContext, opDefinitionOf } from "../fold-node.js";

/** What a group under construction may still absorb. */
type GroupKind = "anchored" | "elementwise" | "injective" | "view" | "multi" | "opaque";

interface Draft {
  readonly kind: GroupKind;
  readonly nodes: Node[];
  readonly patterns: PatternKind[];
  /** Position in graph.nodes of the last node added. */
  lastIndex: number;
}

export function fuseOperators(graph: Graph): FusedGraph {
  const readers = readersOf(graph);
  const graphOutputs = new Set(graph.outputs);
  const draftOf = new Map<Value, Draft>();
  const drafts: Draft[] = [];
  graph.nodes.forEach((node, index) => {
    if (node.outputs.every((output) => output.constant !== undefined)) return;
    const pattern = patternOf(node);
    const isFusable = (value: Value): boolean =>
      readers.get(value)?.size === 1 && !graphOutputs.has(value) && readers.get(value)!.has(node);
    const target = fusionTarget(node, pattern, draftOf, isFusable);
    const draft = target ?? startDraft(node, pattern, drafts);
    if (target !== null) {
      target.nodes.push(node);
      target.patterns.push(pattern);
    }
    draft.lastIndex = index;
    for (const output of node.outputs) draftOf.set(output, draft);
  });
  drafts.sort((first, second) => first.lastIndex - second.lastIndex);
  const groups = drafts.map((draft, index) => finishGroup(draft, index, readers, graphOutputs));
  return { graph, groups };
}

function patternOf(node: Node): PatternKind {
  return opDefinitionOf(node).pattern(makePlaceholderContext(node));
}

function startDraft(node: Node, pattern: PatternKind, drafts: Draft[]): Draft {
  const draft: Draft = { kind: kindOf(node, pattern), nodes: [node], patterns: [pattern], lastIndex: -1 };
  drafts.push(draft);
  return draft;
}

function kindOf(node: Node, pattern: PatternKind): GroupKind {
  if (pattern === "view") return "view";
  if (node.outputs.length > 1) return "multi";
  switch (pattern) {
    case "reduction":
    case "out-fusable":
      return "anchored";
    case "elementwise":
    case "broadcast":
      return "elementwise";
    case "injective":
      return "injective";
    case "opaque":
      return "opaque";
    default:
      return unreachable(pattern);
  }
}

/** Whether a group of `kind` may take a following node of `pattern` into it. */
function accepts(kind: GroupKind, pattern: PatternKind): boolean {
  const isElementwise = pattern === "elementwise" || pattern === "broadcast";
  switch (kind) {
    case "anchored":
    case "elementwise":
      return isElementwise;
    case "injective":
      return isElementwise || pattern === "injective";
    case "view":
    case "multi":
    case "opaque":
      return false;
    default:
      return unreachable(kind);
  }
}

/**
 * The group `node` joins: one producing an input of `node` as its last
 * value, read by `node` alone. Anchored groups are preferred, so a residual
 * Add joins the Conv before it rather than the elementwise branch.
 */
function fusionTarget(
  node: Node,
  pattern: PatternKind,
  draftOf: ReadonlyMap<Value, Draft>,
  isFusable: (value: Value) => boolean,
): Draft | null {
  if (node.outputs.length > 1 || pattern === "view") return null;
  const candidates: Draft[] = [];
  for (const input of node.inputs) {
    const draft = input === null ? undefined : draftOf.get(input);
    if (draft === undefined || !accepts(draft.kind, pattern)) continue;
    if (draft.nodes[draft.nodes.length - 1]!.outputs[0] !== input || !isFusable(input!)) continue;
    candidates.push(draft);
  }
  return candidates.find((draft) => draft.kind === "anchored") ?? candidates[0] ?? null;
}

function finishGroup(
  draft: Draft,
  index: number,
  readers: ReadonlyMap<Value, ReadonlySet<Node>>,
  graphOutputs: ReadonlySet<Value>,
): FusedGroup {
  const members = new Set(draft.nodes);
  const escapes = (value: Value): boolean =>
    graphOutputs.has(value) || [...(readers.get(value) ?? [])].some((reader) => !members.has(reader));
  const last = draft.nodes[draft.nodes.length - 1]!;
  const standalone = draft.kind === "view" || draft.kind === "multi";
  const escaping = draft.nodes.flatMap((node) => node.outputs.filter(escapes));
  const outputs = standalone && escaping.length > 0 ? escaping : [last.outputs[0]!];
  assert(
    escaping.every((value) => outputs.includes(value)),
    `group of ${last.name}: a value other than its last escapes`,
  );
  const opTypes = draft.nodes.map((node) => node.opType.toLowerCase());
  return {
    name: `fused_${opTypes.join("_")}_${index}`,
    nodes: draft.nodes,
    pattern: groupPattern(draft),
    anchor: anchorOf(draft),
    outputs,
    inputs: externalInputs(draft.nodes),
  };
}

function groupPattern(draft: Draft): PatternKind {
  switch (draft.kind) {
    case "anchored":
      return draft.patterns.find((pattern) => pattern === "reduction" || pattern === "out-fusable")!;
    case "elementwise":
      return draft.patterns.includes("broadcast") ? "broadcast" : "elementwise";
    case "injective":
      return "injective";
    case "view":
    case "multi":
    case "opaque":
      return draft.patterns[0]!;
    default:
      return unreachable(draft.kind);
  }
}

function anchorOf(draft: Draft): Node {
  if (draft.kind === "anchored") {
    const position = draft.patterns.findIndex((pattern) => pattern === "reduction" || pattern === "out-fusable");
    return draft.nodes[position]!;
  }
  return draft.nodes[draft.nodes.length - 1]!;
}

/** Values read by the group's nodes that no member produces, in order of first read. */
function externalInputs(nodes: readonly Node[]): Value[] {
  const produced = new Set(nodes.flatMap((node) => node.outputs));
  const inputs = new Set<Value>();
  for (const node of nodes) {
    for (const input of node.inputs) if (input !== null && !produced.has(input)) inputs.add(input);
  }
  return [...inputs];
}

/** The nodes reading each value. */
function readersOf(graph: Graph): Map<Value, Set<Node>> {
  const readers = new Map<Value, Set<Node>>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      if (input === null) continue;
      const set = readers.get(input) ?? new Set<Node>();
      set.add(node);
      readers.set(input, set);
    }
  }
  return readers;
}
