/**
 * Schedule primitives as data. A schedule is an ordered list of records
 * that name loops of a LoopNest (loop/nest.ts) by their unique names;
 * apply-schedule.ts replays them with legality checks. Records are plain
 * JSON values, so the tuner can generate, mutate and log them, and a
 * tuning log can be replayed on a later compile.
 *
 * Loop names created by primitives: split makes `<loop>.outer` and
 * `<loop>.inner` (or the names given); fuse makes `<outer>.<inner>.fused`
 * (or the name given); tile is split + split + reorder.
 *
 * A split's tail: "guard" (the default) wraps the body in `if v < extent`
 * when the factor does not divide the extent; "overlap" instead shifts the
 * last block back, v = min(outer·factor, extent − factor) + inner, so every
 * block is full and some iterations run twice (XNNPACK's remainder trick).
 */
import { TesseraError } from "../support/errors.js";
import { unreachable } from "../support/assert.js";

export interface SplitRecord {
  readonly kind: "split";
  readonly loop: string;
  /** Extent of the inner loop; a factor that does not divide the extent adds a guard (or overlaps, see tail). */
  readonly factor: number;
  readonly outerName?: string;
  readonly innerName?: string;
  /**
   * "overlap": no guard; the last block overlaps the one before. Legal only
   * when extent ≥ factor and re-running an iteration is harmless (the body
   * reads nothing it writes and carries no local across iterations).
   */
  readonly tail?: SplitTail;
}
export type SplitTail = "guard" | "overlap";
export interface ReorderRecord {
  readonly kind: "reorder";
  /** The new order, outermost first, of loops on one perfectly nested chain. */
  readonly order: readonly string[];
}
export interface FuseRecord {
  readonly kind: "fuse";
  readonly outer: string;
  /** Must be the whole body of `outer`. */
  readonly inner: string;
  readonly name?: string;
}
export interface TileRecord {
  readonly kind: "tile";
  readonly outer: string;
  readonly inner: string;
  readonly outerFactor: number;
  readonly innerFactor: number;
}
export interface LoopAnnotationRecord {
  readonly kind: "vectorize" | "parallel" | "unroll";
  readonly loop: string;
}
export interface ComputeAtRecord {
  readonly kind: "compute_at";
  /** A stage name (loop/nest.ts Stage.name). */
  readonly stage: string;
  readonly loop: string;
}

export type ScheduleRecord =
  SplitRecord | ReorderRecord | FuseRecord | TileRecord | LoopAnnotationRecord | ComputeAtRecord;

export function split(loop: string, factor: number, outerName?: string, innerName?: string): SplitRecord {
  const names = {
    ...(outerName === undefined ? {} : { outerName }),
    ...(innerName === undefined ? {} : { innerName }),
  };
  return { kind: "split", loop, factor, ...names };
}
/** A split whose last block overlaps the previous one instead of being guarded. */
export function splitOverlap(loop: string, factor: number, outerName?: string, innerName?: string): SplitRecord {
  return { ...split(loop, factor, outerName, innerName), tail: "overlap" };
}
export function reorder(order: readonly string[]): ReorderRecord {
  return { kind: "reorder", order: [...order] };
}
export function fuse(outer: string, inner: string, name?: string): FuseRecord {
  return name === undefined ? { kind: "fuse", outer, inner } : { kind: "fuse", outer, inner, name };
}
export function tile(outer: string, inner: string, outerFactor: number, innerFactor: number): TileRecord {
  return { kind: "tile", outer, inner, outerFactor, innerFactor };
}
export function vectorize(loop: string): LoopAnnotationRecord {
  return { kind: "vectorize", loop };
}
export function parallel(loop: string): LoopAnnotationRecord {
  return { kind: "parallel", loop };
}
export function unroll(loop: string): LoopAnnotationRecord {
  return { kind: "unroll", loop };
}
export function computeAt(stage: string, loop: string): ComputeAtRecord {
  return { kind: "compute_at", stage, loop };
}

/** Default names of a split's loops. */
export function splitNames(record: SplitRecord): { readonly outer: string; readonly inner: string } {
  return { outer: record.outerName ?? `${record.loop}.outer`, inner: record.innerName ?? `${record.loop}.inner` };
}

/** Fluent construction, Halide style: `new Schedule().split("i", 4).vectorize("i.inner")`. */
export class Schedule {
  private readonly list: ScheduleRecord[] = [];

  get records(): readonly ScheduleRecord[] {
    return this.list;
  }
  add(record: ScheduleRecord): this {
    this.list.push(record);
    return this;
  }
  split(loop: string, factor: number, outerName?: string, innerName?: string): this {
    return this.add(split(loop, factor, outerName, innerName));
  }
  splitOverlap(loop: string, factor: number, outerName?: string, innerName?: string): this {
    return this.add(splitOverlap(loop, factor, outerName, innerName));
  }
  reorder(...order: string[]): this {
    return this.add(reorder(order));
  }
  fuse(outer: string, inner: string, name?: string): this {
    return this.add(fuse(outer, inner, name));
  }
  tile(outer: string, inner: string, outerFactor: number, innerFactor: number): this {
    return this.add(tile(outer, inner, outerFactor, innerFactor));
  }
  vectorize(loop: string): this {
    return this.add(vectorize(loop));
  }
  parallel(loop: string): this {
    return this.add(parallel(loop));
  }
  unroll(loop: string): this {
    return this.add(unroll(loop));
  }
  computeAt(stage: string, loop: string): this {
    return this.add(computeAt(stage, loop));
  }
}

export function printRecord(record: ScheduleRecord): string {
  switch (record.kind) {
    case "split": {
      const names = splitNames(record);
      const tail = record.tail === undefined ? "" : `, ${record.tail}`;
      return `split(${record.loop}, ${record.factor}${tail}) -> ${names.outer}, ${names.inner}`;
    }
    case "reorder":
      return `reorder(${record.order.join(", ")})`;
    case "fuse":
      return `fuse(${record.outer}, ${record.inner}) -> ${record.name ?? `${record.outer}.${record.inner}.fused`}`;
    case "tile":
      return `tile(${record.outer}, ${record.inner}, ${record.outerFactor}, ${record.innerFactor})`;
    case "vectorize":
    case "parallel":
    case "unroll":
      return `${record.kind}(${record.loop})`;
    case "compute_at":
      return `compute_at(${record.stage}, ${record.loop})`;
    default:
      return unreachable(record);
  }
}

export function printSchedule(records: readonly ScheduleRecord[]): string {
  return records.map(printRecord).join("\n");
}

export function scheduleToJson(records: readonly ScheduleRecord[]): string {
  return JSON.stringify(records);
}

/** Parses and validates a schedule; malformed input throws E_INVALID_SCHEDULE. */
export function scheduleFromJson(text: string): ScheduleRecord[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`schedule is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw invalid("schedule must be a JSON array of records");
  return parsed.map((item, position) => validateRecord(item, position));
}

function invalid(message: string): TesseraError {
  return new TesseraError("E_INVALID_SCHEDULE", message);
}

type Field = "string" | "count" | "names" | "optional-string" | "optional-tail";

const FIELDS: Readonly<Record<ScheduleRecord["kind"], Readonly<Record<string, Field>>>> = {
  split: {
    loop: "string",
    factor: "count",
    outerName: "optional-string",
    innerName: "optional-string",
    tail: "optional-tail",
  },
  reorder: { order: "names" },
  fuse: { outer: "string", inner: "string", name: "optional-string" },
  tile: { outer: "string", inner: "string", outerFactor: "count", innerFactor: "count" },
  vectorize: { loop: "string" },
  parallel: { loop: "string" },
  unroll: { loop: "string" },
  compute_at: { stage: "string", loop: "string" },
};

function validateRecord(item: unknown, position: number): ScheduleRecord {
  if (typeof item !== "object" || item === null) throw invalid(`record ${position} is not an object`);
  const record = item as Record<string, unknown>;
  const kind = record["kind"];
  if (typeof kind !== "string" || !(kind in FIELDS))
    throw invalid(`record ${position} has unknown kind ${JSON.stringify(kind)}`);
  const fields = FIELDS[kind as ScheduleRecord["kind"]];
  for (const key of Object.keys(record)) {
    if (key !== "kind" && !(key in fields)) throw invalid(`${kind} record ${position} has unknown field '${key}'`);
  }
  for (const [key, field] of Object.entries(fields)) {
    if (!fieldIsValid(record[key], field)) throw invalid(`${kind} record ${position}: field '${key}' must be ${field}`);
  }
  return record as unknown as ScheduleRecord;
}

function fieldIsValid(value: unknown, field: Field): boolean {
  switch (field) {
    case "string":
      return typeof value === "string";
    case "optional-string":
      return value === undefined || typeof value === "string";
    case "optional-tail":
      return value === undefined || value === "guard" || value === "overlap";
    case "count":
      return typeof value === "number" && Number.isInteger(value) && value >= 1;
    case "names":
      return Array.isArray(value) && value.every((name) => typeof name === "string");
    default:
      return unreachable(field);
  }
}
