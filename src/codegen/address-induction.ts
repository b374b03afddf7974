/**
 * Strength reduction of addresses in innermost loops. An access whose
 * element index is affine in the loop variable k, `inv + s·k + c` with `inv`
 * loop-invariant, reads through a byte pointer `p = inv·bytes` set before the
 * loop and advanced by `s·bytes` per iteration; the constant `c` and the
 * buffer's address go into the memarg offset. Accesses that differ only in
 * the buffer or in `c` share one pointer.
 *
 * Without it, every access recomputes `(inv + s·k)·bytes` (a lea and a shift
 * per distinct index): in a 4×8 micro-kernel step that is 5 integer ops next
 * to 22 vector ops, and Zen 4 dispatches 6 per cycle, so the step took about
 * 5 cycles where its 8 multiplies need 4.
 *
 * Only straight-line bodies qualify (assignments and stores), whose int32
 * locals are each assigned once, so an index node means one value wherever
 * it appears in an iteration. A pointer must be provably non-negative (terms
 * with positive coefficients over non-negative atoms, s ≥ 0): wasm adds the
 * memarg offset to the unsigned address.
 *
 * Stream touch: a micro-kernel loop (at least MICRO_KERNEL_MULTIPLIES
 * vector multiplies per step) whose widest read-only vector stream starts
 * at the same place in every iteration of the enclosing loop (weight panels
 * outside the row blocks) also reads, once per step, the word one sweep
 * ahead of that stream (`extent · stride` bytes on: the same place in the
 * next panel) and drops it. The next panel is then on its way from L3 while
 * the row blocks compute on this one. Wasm has no prefetch instruction; a
 * load whose value is dropped is kept (it may trap). Where the enclosing
 * loop walks the panels (rows outside), the next panel was read by the
 * previous row block and is cached, and a touch only cost time (matmul_512
 * +3%), so there is none. resnet18's last-stage Winograd GEMMs (16 MB of
 * weights each, 16 rows) went from 4.8 to 4.5 ms and the stage before from
 * 2.87 to 2.78; bert's GEMMs moved by 1–2%, within noise. A touch is
 * emitted only when its highest address stays inside the memory
 * (`KernelEmitOptions.memoryBytes`).
 */
import type { Buffer, For, Stmt } from "../loop/ir.js";
import { linearForm, fromLinearForm } from "../loop/linear.js";
import { exprsOfStmt, mentionsVar, visitExpr, walkStmt } from "../loop/stmt.js";
import { dtypeBytes } from "../support/dtype.js";
import { type Expr, type Var, childrenOf } from "../te/expr.js";
import { i32Const, localGet, localSet, memory, plain } from "./wasm/instructions.js";
import { emitExpr } from "./emit-expr.js";
import type { KernelContext } from "./kernel-context.js";
import { isNonNegativeIndex } from "./emit-memory.js";

/** An affine index: Σ coefficient·atom (atoms loop-invariant) + strideElements·k + constant. */
interface Affine {
  readonly terms: ReadonlyMap<Expr, number>;
  readonly stride: number;
  readonly constant: number;
}

interface Pointer {
  readonly local: number;
  /** The invariant element index the pointer starts at (before scaling to bytes). */
  readonly start: Expr;
  readonly log2Bytes: number;
  readonly strideBytes: number;
}

interface Access {
  readonly pointer: Pointer;
  /** memarg offset at step 0: the buffer's address plus the constant term in bytes. */
  readonly offset: number;
}

/** The pointers of one loop and the accesses that read through them. */
export class AddressInduction {
  constructor(
    private readonly pointers: readonly Pointer[],
    private readonly accesses: ReadonlyMap<Expr, ReadonlyMap<Buffer, Access>>,
    /** Body locals read only by reduced indices: their assignments need not be emitted. */
    readonly deadLocals: ReadonlySet<Var>,
    /** The stream read one sweep ahead each step (see the stream touch above), or null. */
    private readonly touch: Access | null,
  ) {}

  /** Reads and drops the word one sweep ahead of the touched stream (once per copy of the body). */
  emitTouch(context: KernelContext): void {
    if (this.touch === null) return;
    context.builder.emit(localGet(this.touch.pointer.local), memory("i32.load", 2, this.touch.offset), plain("drop"));
  }

  /** The pointer local and memarg offset for element `index` of `buffer`, or null when it is not reduced. */
  lookup(buffer: Buffer, index: Expr): { readonly local: number; readonly offset: number } | null {
    const access = this.accesses.get(index)?.get(buffer);
    if (access === undefined) return null;
    return { local: access.pointer.local, offset: access.offset };
  }

  /** Sets every pointer to its start (before the loop). */
  emitStart(context: KernelContext): void {
    for (const pointer of this.pointers) {
      emitExpr(context, pointer.start);
      if (pointer.log2Bytes > 0) context.builder.emit(i32Const(pointer.log2Bytes), plain("i32.shl"));
      context.builder.emit(localSet(pointer.local));
    }
  }

  /**
   * Advances every pointer by one iteration (after each copy of the body).
   * A second copy reading at a larger offset instead would save the add but
   * not a register: V8 computes memory start + offset of each
   * v128.load32_splat in its own register outside the loop.
   */
  emitAdvance(context: KernelContext): void {
    for (const pointer of this.pointers) {
      if (pointer.strideBytes === 0) continue;
      const builder = context.builder;
      builder.emit(localGet(pointer.local), i32Const(pointer.strideBytes), plain("i32.add"));
      builder.emit(localSet(pointer.local));
    }
  }
}

/** Plans the pointers of an innermost loop with a straight-line body; null when no access qualifies. */
export function planAddressInduction(context: KernelContext, loop: For): AddressInduction | null {
  const statements = flatten(loop.body);
  if (statements === null) return null;
  const assigned = new Set<Var>();
  const scalarAssignments = new Map<Var, number>();
  for (const statement of statements) {
    if (statement.kind !== "assign") continue;
    assigned.add(statement.target);
    if (isScalarIndex(statement.target)) {
      scalarAssignments.set(statement.target, (scalarAssignments.get(statement.target) ?? 0) + 1);
    }
  }
  if ([...scalarAssignments.values()].some((count) => count > 1)) return null;

  const k = loop.loopVar;
  const forms = new Map<Var, Affine | null>();
  const affineOf = (expr: Expr): Affine | null => {
    const form = linearForm(expr);
    const terms = new Map<Expr, number>();
    let stride = 0;
    let constantPart = form.constant;
    const addTerm = (atom: Expr, coefficient: number): void => {
      const sum = ((terms.get(atom) ?? 0) + coefficient) | 0;
      if (sum === 0) terms.delete(atom);
      else terms.set(atom, sum);
    };
    for (const [atom, coefficient] of form.terms) {
      if (atom === k) {
        stride = (stride + coefficient) | 0;
      } else if (atom.kind === "var" && assigned.has(atom)) {
        const inner = forms.get(atom);
        if (inner === undefined || inner === null) return null;
        stride = (stride + Math.imul(coefficient, inner.stride)) | 0;
        constantPart = (constantPart + Math.imul(coefficient, inner.constant)) | 0;
        for (const [innerAtom, innerCoefficient] of inner.terms)
          addTerm(innerAtom, Math.imul(coefficient, innerCoefficient));
      } else if (isInvariantAtom(atom, k, assigned)) {
        addTerm(atom, coefficient);
      } else {
        return null;
      }
    }
    return { terms, stride, constant: constantPart };
  };

  const candidates: { buffer: Buffer; index: Expr; affine: Affine }[] = [];
  // An index node that is not affine somewhere (read before a local it uses is assigned) is never reduced.
  const rejected = new Set<Expr>();
  const consider = (buffer: Buffer, vectorIndex: Expr): void => {
    const index = scalarIndexOf(vectorIndex);
    if (index === null) return;
    const affine = affineOf(index);
    if (affine === null) rejected.add(index);
    else candidates.push({ buffer, index, affine });
  };
  for (const statement of statements) {
    for (const expr of exprsOfStmt(statement)) {
      visitExpr(expr, (node) => {
        if (node.kind === "load") consider(node.buffer, node.index);
      });
    }
    if (statement.kind === "store") consider(statement.buffer, statement.index);
    if (statement.kind === "assign" && isScalarIndex(statement.target)) {
      forms.set(statement.target, affineOf(statement.value));
    }
  }

  const pointers = new Map<string, Pointer>();
  const accesses = new Map<Expr, Map<Buffer, Access>>();
  const atomIds = new Map<Expr, number>();
  for (const { buffer, index, affine } of candidates) {
    if (rejected.has(index)) continue;
    if (context.baseGlobalOf(buffer) !== null || !isNonNegativeStart(context, affine)) continue;
    const bytes = dtypeBytes(buffer.dtype);
    const offset = context.addressOf(buffer) + affine.constant * bytes;
    if (offset < 0) continue;
    const key = pointerKey(affine, bytes, atomIds);
    let pointer = pointers.get(key);
    if (pointer === undefined) {
      pointer = {
        local: context.builder.addLocal("addr", "i32"),
        start: fromLinearForm({ terms: affine.terms, constant: 0 }),
        log2Bytes: Math.log2(bytes),
        strideBytes: affine.stride * bytes,
      };
      pointers.set(key, pointer);
    }
    const byBuffer = accesses.get(index) ?? new Map<Buffer, Access>();
    byBuffer.set(buffer, { pointer, offset });
    accesses.set(index, byBuffer);
  }
  if (pointers.size === 0) return null;
  const touch = planTouch(context, loop, statements, candidates, accesses);
  return new AddressInduction([...pointers.values()], accesses, deadLocals(context, statements, accesses), touch);
}

/** Vector multiplies per step that make a loop a micro-kernel worth a stream touch. */
const MICRO_KERNEL_MULTIPLIES = 8;

/**
 * The access of the widest read-only contiguous vector stream, moved one
 * sweep ahead, when the loop is a micro-kernel of constant extent and the
 * touched addresses stay inside the memory; null otherwise.
 */
function planTouch(
  context: KernelContext,
  loop: For,
  statements: readonly Stmt[],
  candidates: readonly { buffer: Buffer; index: Expr; affine: Affine }[],
  accesses: ReadonlyMap<Expr, ReadonlyMap<Buffer, Access>>,
): Access | null {
  const memoryBytes = context.options.memoryBytes;
  const parent = context.enclosingLoops[context.enclosingLoops.length - 1];
  if (memoryBytes === undefined || loop.extent.kind !== "const" || parent === undefined) return null;
  const stored = new Set<Buffer>();
  // Scalar indices of the contiguous 4-lane loads, by buffer.
  const vectorReads = new Map<Buffer, Set<Expr>>();
  let multiplies = 0;
  for (const statement of statements) {
    if (statement.kind === "store") stored.add(statement.buffer);
    for (const expr of exprsOfStmt(statement)) {
      visitExpr(expr, (node) => {
        if (node.kind === "binary" && node.op === "mul" && node.lanes === 4) multiplies += 1;
        if (node.kind === "load" && node.lanes === 4 && node.index.kind === "ramp" && node.index.stride === 1) {
          const reads = vectorReads.get(node.buffer) ?? new Set<Expr>();
          vectorReads.set(node.buffer, reads.add(node.index.base));
        }
      });
    }
  }
  if (multiplies < MICRO_KERNEL_MULTIPLIES) return null;
  const variesInParent = variesWith(parent);
  let best: { access: Access; buffer: Buffer } | null = null;
  for (const { buffer, index } of candidates) {
    const access = accesses.get(index)?.get(buffer);
    if (access === undefined || stored.has(buffer) || vectorReads.get(buffer)?.has(index) !== true) continue;
    if (best !== null && access.pointer.strideBytes <= best.access.pointer.strideBytes) continue;
    if (!variesInParent(access.pointer.start)) best = { access, buffer };
  }
  if (best === null || best.access.pointer.strideBytes <= 0) return null;
  const sweep = Number(loop.extent.value) * best.access.pointer.strideBytes;
  const end = context.addressOf(best.buffer) + best.buffer.size * dtypeBytes(best.buffer.dtype) + sweep;
  if (end > memoryBytes) return null;
  return { pointer: best.access.pointer, offset: best.access.offset + sweep };
}

/**
 * A test of whether an expression changes across the iterations of `loop`:
 * it mentions the loop's variable, directly or through a local assigned in
 * the loop's body outside any inner loop (a CSE'd row or panel base).
 */
function variesWith(loop: For): (expr: Expr) => boolean {
  const assignments = new Map<Var, Expr>();
  const statements = loop.body.kind === "seq" ? loop.body.body : [loop.body];
  for (const statement of statements) {
    if (statement.kind === "assign") assignments.set(statement.target, statement.value);
  }
  const known = new Map<Var, boolean>();
  const varies = (node: Expr): boolean => {
    if (node.kind !== "var") return childrenOf(node).some(varies);
    if (node === loop.loopVar) return true;
    const value = assignments.get(node);
    if (value === undefined) return false;
    if (!known.has(node)) known.set(node, varies(value));
    return known.get(node)!;
  };
  return varies;
}

/**
 * The int32 locals assigned in the body that no emitted code reads any more:
 * every read of them in the kernel is inside an index now read through a
 * pointer (a CSE'd row index), or in the assignment of another dead local.
 */
function deadLocals(
  context: KernelContext,
  statements: readonly Stmt[],
  accesses: ReadonlyMap<Expr, ReadonlyMap<Buffer, Access>>,
): Set<Var> {
  const isReduced = (buffer: Buffer, index: Expr): boolean => {
    const scalar = scalarIndexOf(index);
    return scalar !== null && accesses.get(scalar)?.has(buffer) === true;
  };
  const skipReduced = (node: Expr): boolean => node.kind === "load" && isReduced(node.buffer, node.index);
  const bodyReads = new Map<Var, number>();
  for (const statement of statements)
    for (const expr of exprsOfStmt(statement)) countReads(expr, bodyReads, () => false);
  const dead = new Set<Var>();
  for (;;) {
    const live = new Map<Var, number>();
    for (const statement of statements) {
      if (statement.kind === "assign" && dead.has(statement.target)) continue;
      if (statement.kind === "store" && !isReduced(statement.buffer, statement.index)) {
        countReads(statement.index, live, skipReduced);
      }
      if (statement.kind === "store" || statement.kind === "assign") countReads(statement.value, live, skipReduced);
    }
    const newlyDead = statements.filter(
      (statement) =>
        statement.kind === "assign" &&
        isScalarIndex(statement.target) &&
        !dead.has(statement.target) &&
        !live.has(statement.target) &&
        (context.readCounts.get(statement.target) ?? 0) === (bodyReads.get(statement.target) ?? 0),
    );
    if (newlyDead.length === 0) return dead;
    for (const statement of newlyDead) if (statement.kind === "assign") dead.add(statement.target);
  }
}

/** Counts variable reads in `expr` into `into`, not descending into nodes `skip` accepts. */
function countReads(expr: Expr, into: Map<Var, number>, skip: (node: Expr) => boolean): void {
  if (skip(expr)) return;
  if (expr.kind === "var") into.set(expr, (into.get(expr) ?? 0) + 1);
  for (const child of childrenOf(expr)) countReads(child, into, skip);
}
/** The statements of a straight-line body in order, or null when it has loops or branches. */
function flatten(body: Stmt): Stmt[] | null {
  const statements: Stmt[] = [];
  let straight = true;
  walkStmt(body, (node) => {
    if (node.kind === "for" || node.kind === "if") straight = false;
    else if (node.kind !== "seq") statements.push(node);
  });
  return straight ? statements : null;
}

function isScalarIndex(variable: Var): boolean {
  return variable.dtype === "int32" && variable.lanes === 1;
}

/** The scalar element index an access computes its address from (emit-memory's emitAddress argument), if any. */
function scalarIndexOf(index: Expr): Expr | null {
  if (index.lanes === 1) return index;
  if (index.kind === "ramp" && index.stride >= 0) return index.base;
  if (index.kind === "broadcast") return index.value;
  return null;
}

/** An atom whose value is the same in every iteration: no loop variable, body local or memory read in it. */
function isInvariantAtom(atom: Expr, k: Var, assigned: ReadonlySet<Var>): boolean {
  if (mentionsVar(atom, (variable) => variable === k || assigned.has(variable))) return false;
  let readsMemory = false;
  visitExpr(atom, (node) => {
    if (node.kind === "load") readsMemory = true;
  });
  return !readsMemory;
}

function isNonNegativeStart(context: KernelContext, affine: Affine): boolean {
  if (affine.stride < 0) return false;
  for (const [atom, coefficient] of affine.terms) {
    if (coefficient <= 0 || !isNonNegativeIndex(atom, context.nonNegativeVars)) return false;
  }
  return true;
}

/** Accesses share a pointer when their invariant terms, stride and element size agree (atoms are interned). */
function pointerKey(affine: Affine, bytes: number, atomIds: Map<Expr, number>): string {
  const terms = [...affine.terms].map(([atom, coefficient]) => {
    if (!atomIds.has(atom)) atomIds.set(atom, atomIds.size);
    return `${atomIds.get(atom)}*${coefficient}`;
  });
  return `${terms.sort().join("+")}|${affine.stride}|${bytes}`;
}
