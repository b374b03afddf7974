/**
 * Partitions the graph into fused groups, each of which becomes one kernel,
 * driven by each op's pattern kind (TVM's operator fusion):
 * - a view op (Reshape, Flatten, Squeeze, Unsqueeze, Identity) is a group of
 *   its own and gets no kernel;
 * - a reduction or out-fusable node (Conv, MatMul, Softmax…) anchors a group
 *   and absorbs the chain of elementwise/broadcast nodes that follows it
 *   (Conv + bias Add + Relu, MatMul + Add + the Erf chain of GELU…), up to
 *   a node that broadcasts the group's result to more elements;
 * - consecutive elementwise/broadcast nodes share a group;
 * - injective nodes share a group, which may absorb following elementwise
 *   and broadcast nodes;
 * - nodes with several outputs (Split, LayerNormalization with its extra
 *   outputs) and opaque nodes stand alone. Nothing else fuses.
 * A node joins the group producing one of its inputs only when that value is
 * the group's last value and is not a graph output. When that value has
 * several readers, the group takes in the whole region of nodes between it
 * and the point where all its uses meet again (TVM's post-dominator rule):
 * the GELU chain `h / √2 → Erf → + 1 → · h` joins the MatMul producing h.
 * Every value inside a region is read only inside the group, so only a
 * group's last value can escape it.
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
}

/** Facts about the graph that fusion decisions read. */
interface Analysis {
  readonly nodes: readonly Node[];
  readonly readers: ReadonlyMap<Value, ReadonlySet<Node>>;
  readonly graphOutputs: ReadonlySet<Value>;
  readonly patterns: ReadonlyMap<Node, PatternKind>;
  readonly positions: ReadonlyMap<Node, number>;
  readonly producers: ReadonlyMap<Value, Node>;
  readonly draftOf: Map<Node, Draft>;
}

/** Bounds on the region search, so a wide graph cannot make fusion quadratic. */
const MAX_REGION_NODES = 64;
const MAX_SCANNED_NODES = 512;

export function fuseOperators(graph: Graph): FusedGraph {
  const analysis = analyze(graph);
  const drafts: Draft[] = [];
  for (const node of analysis.nodes) {
    if (analysis.draftOf.has(node)) continue;
    if (joinProducerGroup(node, analysis)) continue;
    const pattern = analysis.patterns.get(node)!;
    const draft: Draft = { kind: kindOf(node, pattern), nodes: [node], patterns: [pattern] };
    analysis.draftOf.set(node, draft);
    drafts.push(draft);
  }
  const lastPosition = (draft: Draft): number => analysis.positions.get(draft.nodes[draft.nodes.length - 1]!)!;
  drafts.sort((first, second) => lastPosition(first) - lastPosition(second));
  const groups = drafts.map((draft, index) => finishGroup(draft, index, analysis));
  return { graph, groups };
}

function analyze(graph: Graph): Analysis {
  const nodes = graph.nodes.filter((node) => !node.outputs.every((output) => output.constant !== undefined));
  const producers = new Map<Value, Node>();
  for (const node of nodes) for (const output of node.outputs) producers.set(output, node);
  return {
    nodes,
    readers: readersOf(nodes),
    graphOutputs: new Set(graph.outputs),
    patterns: new Map(nodes.map((node) => [node, patternOf(node)])),
    positions: new Map(nodes.map((node, index) => [node, index])),
    producers,
    draftOf: new Map(),
  };
}

/**
 * Adds `node` (and, for a value with several readers, the region up to
 * where its uses meet) to the group producing one of its inputs, preferring
 * anchored groups so that a residual Add joins the Conv before it. Returns
 * false when no group takes it.
 */
function joinProducerGroup(node: Node, analysis: Analysis): boolean {
  const pattern = analysis.patterns.get(node)!;
  if (node.outputs.length > 1 || pattern === "view") return false;
  const candidates: { draft: Draft; region: Node[] }[] = [];
  for (const input of node.inputs) {
    const producer = input === null ? undefined : analysis.producers.get(input);
    const draft = producer === undefined ? undefined : analysis.draftOf.get(producer);
    if (draft === undefined || !accepts(draft.kind, pattern)) continue;
    if (draft.nodes[draft.nodes.length - 1]!.outputs[0] !== input || analysis.graphOutputs.has(input!)) continue;
    const region = regionFrom(draft, input!, node, analysis);
    if (region !== null && !(draft.kind === "anchored" && broadcastsBeyond(region, input!))) {
      candidates.push({ draft, region });
    }
  }
  const chosen = candidates.find((candidate) => candidate.draft.kind === "anchored") ?? candidates[0];
  if (chosen === undefined) return false;
  for (const member of chosen.region) {
    chosen.draft.nodes.push(member);
    chosen.draft.patterns.push(analysis.patterns.get(member)!);
    analysis.draftOf.set(member, chosen.draft);
  }
  return true;
}

/**
 * Whether a node of the region writes more elements than `value` has: it
 * broadcasts the anchored group's result (SE blocks' x · sigmoid(conv(pool))).
 * Fused, the anchor's epilogue would run once per broadcast element, and
 * the group's kernel would loop over the small anchor, not the large output.
 */
function broadcastsBeyond(region: readonly Node[], value: Value): boolean {
  const elements = elementCount(value);
  return region.some((node) => {
    const output = elementCount(node.outputs[0]!);
    return elements !== null && output !== null && output > elements;
  });
}

function elementCount(value: Value): number | null {
  const shape = value.shape;
  if (shape === null || !shape.every((dim) => typeof dim === "number")) return null;
  return (shape as number[]).reduce((product, dim) => product * dim, 1);
}

/**
 * The nodes, from `firstReader` on, that read `value` or values computed
 * from it, up to the first node after which only that node's output is
 * still read outside the group; null when the uses never meet in a node the
 * group can take (a reader of another kind, a graph output on the way, a
 * node with several outputs). For a value with one reader, just that reader.
 */
function regionFrom(draft: Draft, value: Value, firstReader: Node, analysis: Analysis): Node[] | null {
  const members = new Set(draft.nodes);
  const live = new Set([value]);
  const region: Node[] = [];
  const start = analysis.positions.get(firstReader)!;
  const end = Math.min(analysis.nodes.length, start + MAX_SCANNED_NODES);
  for (let index = start; index < end && region.length < MAX_REGION_NODES; index++) {
    const node = analysis.nodes[index]!;
    if (!node.inputs.some((input) => input !== null && live.has(input))) continue;
    if (analysis.draftOf.has(node) || node.outputs.length > 1) return null;
    if (!accepts(draft.kind, analysis.patterns.get(node)!)) return null;
    region.push(node);
    members.add(node);
    live.add(node.outputs[0]!);
    for (const pending of live) {
      const readers = analysis.readers.get(pending) ?? new Set<Node>();
      if (!analysis.graphOutputs.has(pending) && [...readers].every((reader) => members.has(reader))) {
        live.delete(pending);
      }
    }
    if (live.size === 0 || (live.size === 1 && live.has(node.outputs[0]!))) return region;
  }
  return null;
}

function patternOf(node: Node): PatternKind {
  return opDefinitionOf(node).pattern(makePlaceholderContext(node));
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

function finishGroup(draft: Draft, index: number, analysis: Analysis): FusedGroup {
  const members = new Set(draft.nodes);
  const escapes = (value: Value): boolean =>
    analysis.graphOutputs.has(value) || [...(analysis.readers.get(value) ?? [])].some((reader) => !members.has(reader));
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
function readersOf(nodes: readonly Node[]): Map<Value, Set<Node>> {
  const readers = new Map<Value, Set<Node>>();
  for (const node of nodes) {
    for (const input of node.inputs) {
      if (input === null) continue;
      const set = readers.get(input) ?? new Set<Node>();
      set.add(node);
      readers.set(input, set);
    }
  }
  return readers;
}
