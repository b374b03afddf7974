/**
 * The fused graph: the graph IR partitioned into groups, each of which
 * becomes one kernel (or none, for views and constants).
 *
 * Invariants:
 * - Groups are in topological order and cover every node of the graph once.
 * - A group's nodes are in topological order; only `output` (its last node's
 *   first output) may be read outside the group, except for kind "view"/"multi"
 *   groups which have a single node whose outputs may all escape.
 * - An "anchored" group has at most one node of pattern reduction or
 *   out-fusable (the anchor); everything after it is elementwise/broadcast
 *   (the epilogue) and everything before it is injective/elementwise (the prologue).
 */
import type { Graph, Node, Value } from "./ir.js";
import type { PatternKind } from "../te/op.js";

export interface FusedGroup {
  /** Stable name used for kernels and profiles, e.g. "fused_conv_add_relu_3". */
  readonly name: string;
  readonly nodes: readonly Node[];
  /** The heaviest node's pattern, deciding the default schedule. */
  readonly pattern: PatternKind;
  /** The node whose schedule the group follows (the reduction, or the last node). */
  readonly anchor: Node;
  /** Values computed inside the group and read after it (normally one). */
  readonly outputs: readonly Value[];
  /** Values read by the group that come from outside it (activations, weights). */
  readonly inputs: readonly Value[];
}

export interface FusedGraph {
  readonly graph: Graph;
  readonly groups: readonly FusedGroup[];
}
