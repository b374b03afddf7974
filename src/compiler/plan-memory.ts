/**
 * Static memory planning: places every activation buffer of a model at a
 * fixed byte offset inside one arena, reusing bytes between buffers whose
 * lifetimes do not overlap.
 *
 * Requires: step indices are the positions of kernels in the execution plan
 * (0-based). A buffer is live over the closed interval [firstUse, lastUse]:
 * the step that writes it through the last step that reads it. Both ends are
 * inclusive, so a step's inputs and outputs never share bytes (kernels are not
 * in-place).
 *
 * Ensures: two buffers that are live at a common step occupy disjoint byte
 * ranges; every offset is a multiple of `alignment`; the result is
 * deterministic for a given input (ties broken by request order).
 *
 * The algorithm is TFLite's "greedy by size" (also TVM's static planner):
 * buffers are placed largest first; each goes into the smallest gap, among the
 * already placed buffers whose lifetimes overlap its own, that holds it, or
 * after the last of them when no gap does. Placing large buffers first keeps
 * the fragmentation that small ones leave from forcing the arena to grow.
 */
import { assert } from "../support/assert.js";

/** One buffer to place. */
export interface BufferRequest {
  /** Caller's key, normally the graph value id; unique within one call. */
  readonly id: number;
  readonly bytes: number;
  /** First step that writes or reads the buffer. */
  readonly firstUse: number;
  /** Last step that reads the buffer (>= firstUse). */
  readonly lastUse: number;
  /** Graph inputs are written before step 0: their lifetime is extended to start at 0. */
  readonly isGraphInput?: boolean;
  /** Graph outputs are read after the last step: their lifetime is extended to the end. */
  readonly isGraphOutput?: boolean;
  /**
   * Set for a view (Reshape, Flatten, a contiguous slice…): the buffer shares
   * the bytes of buffer `aliasOf` starting `aliasByteOffset` bytes into it,
   * and gets no bytes of its own. The source stays live as long as any of its
   * views is. Chains of views are allowed; cycles are not.
   */
  readonly aliasOf?: number;
  readonly aliasByteOffset?: number;
}

export interface MemoryPlanOptions {
  /** Number of steps in the plan; graph outputs live until step stepCount - 1. */
  readonly stepCount: number;
  /** Byte alignment of every placed buffer: a power of two >= 16. Default 64 (a cache line). */
  readonly alignment?: number;
}

/** A placed buffer: byte offset relative to the arena start and its effective lifetime. */
export interface Placement {
  readonly offset: number;
  readonly bytes: number;
  readonly firstUse: number;
  readonly lastUse: number;
}

export interface MemoryPlan {
  /** Every requested buffer, views included, by id. */
  readonly placements: ReadonlyMap<number, Placement>;
  /** Bytes the arena needs (a multiple of the alignment). */
  readonly arenaBytes: number;
}

export const DEFAULT_ALIGNMENT = 64;

interface Interval {
  readonly id: number;
  readonly bytes: number;
  firstUse: number;
  lastUse: number;
}

/** Plans the arena for `requests`. See the file comment for the contract. */
export function planMemory(requests: readonly BufferRequest[], options: MemoryPlanOptions): MemoryPlan {
  const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
  assert(alignment >= 16 && (alignment & (alignment - 1)) === 0, `alignment ${alignment} must be a power of two >= 16`);
  const byId = indexRequests(requests);
  const roots = rootIntervals(requests, byId, options.stepCount);
  const rootOffsets = placeRoots([...roots.values()], alignment);
  const placements = new Map<number, Placement>();
  let arenaBytes = 0;
  for (const request of requests) {
    const { root, byteOffset } = resolveAlias(request, byId);
    const interval = roots.get(root.id)!;
    const offset = rootOffsets.get(root.id)! + byteOffset;
    const own = effectiveInterval(request, options.stepCount);
    placements.set(request.id, { offset, bytes: request.bytes, firstUse: own.firstUse, lastUse: own.lastUse });
    arenaBytes = Math.max(arenaBytes, rootOffsets.get(root.id)! + interval.bytes);
  }
  return { placements, arenaBytes: alignUp(arenaBytes, alignment) };
}

/**
 * Checks the planner's guarantee independently of how it was reached: any two
 * buffers with different owners (a view's owner is the root of its alias
 * chain) that are live at a common step have disjoint byte ranges; views lie
 * inside their owner; owners are aligned and inside the arena. Lifetimes are
 * recomputed from the requests, so a plan that forgot to extend a source's
 * lifetime to cover its views is caught. Returns the problems found (empty
 * when the plan is sound); used by tests and by the driver's debug checks.
 */
export function findPlanConflicts(
  requests: readonly BufferRequest[],
  plan: MemoryPlan,
  options: MemoryPlanOptions,
): string[] {
  const alignment = options.alignment ?? DEFAULT_ALIGNMENT;
  const byId = indexRequests(requests);
  const problems: string[] = [];
  const live: { id: number; owner: number; offset: number; bytes: number; firstUse: number; lastUse: number }[] = [];
  for (const request of requests) {
    const placed = plan.placements.get(request.id);
    if (placed === undefined) {
      problems.push(`buffer ${request.id} was not placed`);
      continue;
    }
    const owner = resolveAlias(request, byId).root;
    const ownerPlaced = plan.placements.get(owner.id);
    if (owner === request && placed.offset % alignment !== 0) problems.push(`buffer ${request.id} is unaligned`);
    if (placed.offset + placed.bytes > plan.arenaBytes) problems.push(`buffer ${request.id} ends past the arena`);
    if (ownerPlaced !== undefined && !contains(ownerPlaced, placed)) {
      problems.push(`view ${request.id} lies outside its source ${owner.id}`);
    }
    live.push({
      id: request.id,
      owner: owner.id,
      offset: placed.offset,
      bytes: placed.bytes,
      ...effectiveInterval(request, options.stepCount),
    });
  }
  for (let i = 0; i < live.length; i++) {
    for (let j = i + 1; j < live.length; j++) {
      const [first, second] = [live[i], live[j]];
      if (first.owner !== second.owner && livesOverlap(first, second) && bytesOverlap(first, second)) {
        problems.push(`buffers ${first.id} and ${second.id} are live together and overlap`);
      }
    }
  }
  return problems;
}

function indexRequests(requests: readonly BufferRequest[]): Map<number, BufferRequest> {
  const byId = new Map<number, BufferRequest>();
  for (const request of requests) {
    assert(!byId.has(request.id), `buffer ${request.id} requested twice`);
    assert(Number.isInteger(request.bytes) && request.bytes >= 0, `buffer ${request.id} has bad size ${request.bytes}`);
    assert(request.firstUse <= request.lastUse, `buffer ${request.id} has lastUse before firstUse`);
    byId.set(request.id, request);
  }
  return byId;
}

/** Follows a chain of views to the buffer that owns the bytes. */
function resolveAlias(
  request: BufferRequest,
  byId: ReadonlyMap<number, BufferRequest>,
): { root: BufferRequest; byteOffset: number } {
  let current = request;
  let byteOffset = 0;
  for (let depth = 0; current.aliasOf !== undefined; depth++) {
    assert(depth <= byId.size, `alias cycle through buffer ${request.id}`);
    byteOffset += current.aliasByteOffset ?? 0;
    const source = byId.get(current.aliasOf);
    assert(source !== undefined, `buffer ${current.id} aliases unknown buffer ${current.aliasOf}`);
    current = source;
  }
  assert(byteOffset + request.bytes <= current.bytes, `view ${request.id} extends past its source ${current.id}`);
  return { root: current, byteOffset };
}

function effectiveInterval(request: BufferRequest, stepCount: number): { firstUse: number; lastUse: number } {
  const firstUse = request.isGraphInput === true ? 0 : request.firstUse;
  const lastUse = request.isGraphOutput === true ? Math.max(request.lastUse, stepCount - 1) : request.lastUse;
  return { firstUse, lastUse };
}

/** One interval per owning buffer, widened to cover the lifetimes of all its views. */
function rootIntervals(
  requests: readonly BufferRequest[],
  byId: ReadonlyMap<number, BufferRequest>,
  stepCount: number,
): Map<number, Interval> {
  const roots = new Map<number, Interval>();
  for (const request of requests) {
    if (request.aliasOf === undefined) {
      roots.set(request.id, { id: request.id, bytes: request.bytes, ...effectiveInterval(request, stepCount) });
    }
  }
  for (const request of requests) {
    const interval = roots.get(resolveAlias(request, byId).root.id)!;
    const own = effectiveInterval(request, stepCount);
    interval.firstUse = Math.min(interval.firstUse, own.firstUse);
    interval.lastUse = Math.max(interval.lastUse, own.lastUse);
  }
  return roots;
}

/** Greedy by size with best-fit gaps; returns the offset of each interval. */
function placeRoots(intervals: readonly Interval[], alignment: number): Map<number, number> {
  const order = intervals.map((interval, index) => ({ interval, index }));
  order.sort((a, b) => b.interval.bytes - a.interval.bytes || a.index - b.index);
  const placed: { interval: Interval; offset: number }[] = [];
  const offsets = new Map<number, number>();
  for (const { interval } of order) {
    const neighbours = placed.filter((other) => livesOverlap(other.interval, interval));
    neighbours.sort((a, b) => a.offset - b.offset);
    const offset = bestFitOffset(neighbours, interval.bytes, alignment);
    placed.push({ interval, offset });
    offsets.set(interval.id, offset);
  }
  return offsets;
}

/** The start of the smallest gap between `neighbours` (sorted by offset) that holds `bytes`. */
function bestFitOffset(
  neighbours: readonly { interval: Interval; offset: number }[],
  bytes: number,
  alignment: number,
): number {
  let cursor = 0;
  let bestOffset = -1;
  let bestGap = Infinity;
  for (const neighbour of neighbours) {
    const gap = neighbour.offset - cursor;
    if (gap >= bytes && gap < bestGap) {
      bestGap = gap;
      bestOffset = cursor;
    }
    cursor = Math.max(cursor, alignUp(neighbour.offset + neighbour.interval.bytes, alignment));
  }
  return bestOffset >= 0 ? bestOffset : cursor;
}

function livesOverlap(a: { firstUse: number; lastUse: number }, b: { firstUse: number; lastUse: number }): boolean {
  return a.firstUse <= b.lastUse && b.firstUse <= a.lastUse;
}

function bytesOverlap(a: { offset: number; bytes: number }, b: { offset: number; bytes: number }): boolean {
  if (a.bytes === 0 || b.bytes === 0) return false;
  return a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
}

function contains(outer: { offset: number; bytes: number }, inner: { offset: number; bytes: number }): boolean {
  return inner.offset >= outer.offset && inner.offset + inner.bytes <= outer.offset + outer.bytes;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}
