/**
 * Default schedules of dense groups (conv, matmul, gemm: pattern
 * out-fusable): a register-tiled outer-product micro-kernel.
 */
import { childrenOf, type Expr, type Var } from "../te/expr.js";
import { dtypeBytes } from "../support/dtype.js";
import type { For, Stmt } from "../loop/ir.js";
import type { LoopNest } from "../loop/nest.js";
import type { ScheduleRecord } from "./primitives.js";
import { simplifyStmt } from "../loop/simplify.js";
import { exprsOfStmt, mentionsVar, someExpr, visitExpr, walkStmt } from "../loop/stmt.js";
import { fuse, parallel, reorder, split, splitOverlap, unroll, vectorize } from "./primitives.js";
import {
  ScheduleBuilder,
  LANES,
  computeStagesAt,
  extentOf,
  parallelizeRows,
  unrollSmallReductions,
  vectorizeInnermost,
} from "./schedule-builder.js";

/**
 * Conv with channel-panel weights (te/ops/nn/conv.ts): an implicit GEMM.
 * The output channel loop (axis 1 of N, C, spatial…) moves innermost to be
 * the vector columns; an output width position loop becomes the rows, whose
 * input element is a broadcast scalar; the weight panel loop goes outside the
 * row-position loop, so a panel stays in L1 while the rows sweep over it.
 */
export function scheduleChannelColumns(nest: LoopNest, outputShape: readonly number[]): ScheduleRecord[] {
  const builder = new ScheduleBuilder(nest);
  computeStagesAt(builder);
  const chain = builder.outputChain().map((loop) => loop.loopVar.name);
  // Lowering drops loops of extent 1: the channel loop's position among the kept dims.
  const channel = outputShape[1]! > 1 ? outputShape.slice(0, 1).filter((extent) => extent > 1).length : -1;
  const kept = outputShape.filter((extent) => extent > 1).length;
  if (builder.statements.length === 1 && channel >= 0 && chain.length === kept && channel < chain.length - 1) {
    const others = chain.filter((_, index) => index !== channel);
    builder.attempt(reorder([...others, chain[channel]!]));
  }
  scheduleOutFusable(builder, { panelsOutside: true });
  return builder.records;
}

/**
 * Fuses the output loops ahead of the columns into one row loop when no
 * index of the fused variable keeps a division: the pixels of an unpadded
 * stride-1 1×1 conv (it reads pixel h·W + w, and the simplifier folds
 * (p / W)·W + p % W back to p), in either layout, or the batch and rows
 * of a matrix product with shared weights. The row blocks of the
 * micro-kernel then run over all of them, so a width that 4 does not
 * divide costs one overlapping block per image instead of one per output
 * row (13×13: 43 blocks of 4 instead of 13 × 4).
 */
function fuseRowLoops(builder: ScheduleBuilder): void {
  const spatial = builder.outputChain().slice(0, -1);
  if (builder.statements.length !== 1 || spatial.length < 2) return;
  const records: ScheduleRecord[] = [];
  let name = spatial[0]!.loopVar.name;
  for (const loop of spatial.slice(1)) {
    const fusedName = `${name}.${loop.loopVar.name}.fused`;
    records.push(fuse(name, loop.loopVar.name, fusedName));
    name = fusedName;
  }
  const fused = builder.preview(...records);
  const simplified = fused === null ? null : simplifyStmt(fused.body, { keepLoops: true });
  if (simplified !== null && !dividesVariable(simplified, (variable) => variable.name === name)) {
    builder.attempt(...records);
  }
}

/** Whether some division or remainder in `body` mentions a variable that `test` picks. */
function dividesVariable(body: Stmt, test: (variable: Var) => boolean): boolean {
  return someExpr(
    body,
    (part) => part.kind === "binary" && (part.op === "div" || part.op === "rem") && mentionsVar(part, test),
  );
}

/** Output rows per micro-kernel block (each row × two column vectors = 2 accumulators). */
const ROW_BLOCK = 4;

export interface DenseOptions {
  /** Place the column-panel loop outside the row-block loop (a weight panel stays in cache across rows). */
  readonly panelsOutside?: boolean;
}

export function scheduleOutFusable(builder: ScheduleBuilder, options: DenseOptions = {}): void {
  fuseRowLoops(builder);
  const chain = builder.outputChain();
  const columns = chain[chain.length - 1];
  if (columns === undefined || builder.statements.length !== 1) {
    vectorizeInnermost(builder);
    parallelizeRows(builder);
    unrollSmallReductions(builder);
    return;
  }
  const row = chooseRowLoop(builder, chain.slice(0, -1), columns);
  const panelsOutside = options.panelsOutside === true && !weightsStayCached(builder, chain, columns);
  const inner = vectorizeColumns(builder, columns);
  if (row !== null && splitRows(builder, row)) inner.unshift(`${row.loopVar.name}.inner`);
  else if (chain.length === 1) blockColumnSteps(builder, columns, inner);
  let outerNames = builder
    .outputChain()
    .map((loop) => loop.loopVar.name)
    .filter((name) => !inner.includes(name));
  if (panelsOutside && row !== null) outerNames = panelsBeforeRows(outerNames, columns, row);
  builder.attempt(reorder([...outerNames, ...inner]));
  for (const name of inner.slice(0, -1)) builder.attempt(unroll(name));
  unrollSmallReductions(builder);
  if (!panelsOutside || row === null || !parallelizePanels(builder, outerNames, columns, row)) parallelizeRows(builder);
}

/**
 * Column operands (packed weights) up to this size stay in L1 while the
 * row blocks sweep over them. Larger ones keep the panels outside: bert's
 * 256 KB projections run 5% slower with the rows outside, streaming all
 * panels from L2 for every row block.
 */
const CACHED_WEIGHT_BYTES = 32 * 1024;

/**
 * Whether the rows-outside order keeps the weights cached: no output loop
 * is tested against padding (padded convs keep their panel task loop, see
 * parallelizePanels) and the column operand is at most CACHED_WEIGHT_BYTES.
 * Then each row block reads its input once and writes whole output rows,
 * where panels outside would stream the input and partial output lines
 * once per panel (mobilenet_v2's 16→96 1×1 conv at 112×112: 1.68 → 1.47 ms).
 */
function weightsStayCached(builder: ScheduleBuilder, chain: readonly For[], columns: For): boolean {
  if (chain.some((loop) => hasBoundsTest(builder, loop))) return false;
  let bytes = 0;
  walkStmt(builder.nest.body, (node, enclosing) => {
    if (!enclosing.some((loop) => builder.isReduction(loop))) return;
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && mentionsVar(part.index, (variable) => variable === columns.loopVar)) {
          bytes = Math.max(bytes, part.buffer.size * dtypeBytes(part.buffer.dtype));
        }
      });
    }
  });
  return bytes <= CACHED_WEIGHT_BYTES;
}

/**
 * Vector accumulators of a matrix-vector micro-kernel. Each accumulator's
 * step loads its own weight vector, and Node 20's V8 hoists a block's loads
 * to its top: 8 accumulators, their 8 operands and the broadcast input need
 * 17 xmm registers, so two accumulators lived on the stack and every step
 * waited on a store-to-load round trip. 6 fit (mlp_mnist at 2 threads:
 * its GEMVs 48 → 55 GFLOP/s).
 */
const VECTOR_ACCUMULATORS = 6;

/**
 * A dense op whose only output loop is the columns (one output row: a
 * matrix-vector product) keeps one accumulator per column vector, so
 * every reduction step waits on the previous add and reads one weight
 * panel at a time. Splitting the column steps into blocks of VECTOR_ACCUMULATORS vectors
 * (the last block overlapping) unrolls into independent accumulators over
 * several panels at once, and the kernel streams its weights near memory
 * bandwidth (mobilenet_v2's 1280→1000 Gemm 0.36 → 0.24 ms). Prepends the
 * block loop to `inner` when it splits.
 */
function blockColumnSteps(builder: ScheduleBuilder, columns: For, inner: string[]): void {
  const column = columns.loopVar.name;
  const vectorsPerStep = inner.length === 2 ? 2 : 1;
  const steps = vectorsPerStep === 2 ? `${column}.outer.outer` : `${column}.outer`;
  if (vectorsPerStep === 1 && inner[0] !== `${column}.inner`) return;
  if (builder.attempt(splitOverlap(steps, VECTOR_ACCUMULATORS / vectorsPerStep))) inner.unshift(`${steps}.inner`);
}

/** Task loops over weight panels fuse whole row blocks until there are this many tasks. */
const MIN_PANEL_TASKS = 16;
/** Row blocks shorter than this have no middle for partition-loops.ts to specialize: keep the row task loop. */
const MIN_PARTITIONED_ROWS = 3;

/**
 * Makes the weight-panel loop the task loop, fused with the fewest blocks of
 * the outermost spatial loop that reach MIN_PANEL_TASKS tasks (blocks that
 * divide it exactly). The spatial loops inside the task loop stay plain
 * serial loops, so partition-loops.ts can specialize the rows away from a
 * convolution's height padding (fusing the rows into the task loop would
 * keep a select on every input load). Returns false, changing nothing,
 * when the order does not fit (no spatial loop before the panels), the
 * rows have no bounds test (no padding) or the blocks would be too short
 * to partition.
 */
function parallelizePanels(builder: ScheduleBuilder, outerNames: readonly string[], columns: For, row: For): boolean {
  const panelIndex = outerNames.findIndex((name) => name.startsWith(`${columns.loopVar.name}.`));
  if (panelIndex < 1) return false;
  const leading = outerNames.slice(0, panelIndex);
  const loops = new Map(builder.outputChain().map((loop) => [loop.loopVar.name, loop]));
  const first = loops.get(leading[0] ?? "");
  const panel = loops.get(outerNames[panelIndex] ?? "");
  if (first === undefined || panel === undefined || leading.includes(row.loopVar.name)) return false;
  if (!hasBoundsTest(builder, first)) return false;
  const blocks = rowBlocks(extentOf(first), extentOf(panel));
  if (extentOf(first) / blocks < MIN_PARTITIONED_ROWS) return false;
  const panelName = panel.loopVar.name;
  const rest = outerNames.filter((name) => name !== panelName && name !== first.loopVar.name);
  if (blocks === 1) {
    return builder.attempt(reorder([panelName, first.loopVar.name, ...rest]), parallel(panelName));
  }
  const name = first.loopVar.name;
  const fused = `${name}.outer.${panelName}.fused`;
  return builder.attempt(
    split(name, extentOf(first) / blocks),
    reorder([`${name}.outer`, panelName, `${name}.inner`, ...rest]),
    fuse(`${name}.outer`, panelName, fused),
    parallel(fused),
  );
}

/**
 * Whether the body tests the loop's variable against bounds (an int32
 * compare, min or max mentioning it: padding selects and clamps). Without
 * one there is nothing to partition, and the rows-outside order keeps its
 * input reuse across panels (an unpadded 1×1 conv).
 */
function hasBoundsTest(builder: ScheduleBuilder, loop: For): boolean {
  return someExpr(builder.nest.body, (part) => {
    const isTest = part.kind === "compare" && part.a.dtype === "int32";
    const isClamp = part.kind === "binary" && (part.op === "min" || part.op === "max") && part.dtype === "int32";
    return (isTest || isClamp) && mentionsVar(part, (variable) => variable === loop.loopVar);
  });
}

/** The fewest blocks dividing `extent` that give panels × blocks ≥ MIN_PANEL_TASKS (at most `extent`). */
function rowBlocks(extent: number, panels: number): number {
  for (let blocks = 1; blocks < extent; blocks++) {
    if (extent % blocks === 0 && panels * blocks >= MIN_PANEL_TASKS) return blocks;
  }
  return extent;
}

/**
 * Splits the row loop into blocks of 4 rows (2 when it has fewer): by a
 * dividing factor when there is one, else with an overlapping last block,
 * which keeps the full-width micro-kernel (8 accumulators instead of 2) at
 * the cost of recomputing a few rows (blocks of 2 divide it where an
 * overlap is illegal). Returns whether it split.
 */
function splitRows(builder: ScheduleBuilder, row: For): boolean {
  const name = row.loopVar.name;
  const extent = extentOf(row);
  const factor = extent >= ROW_BLOCK ? ROW_BLOCK : 2;
  if (extent % factor === 0) return builder.attempt(split(name, factor));
  if (builder.attempt(splitOverlap(name, factor))) return true;
  return extent % 2 === 0 && builder.attempt(split(name, 2));
}

/** Moves the column loop's outer part just before the row loop's outer part. */
function panelsBeforeRows(names: readonly string[], columns: For, row: For): string[] {
  const panel = names.find((name) => name.startsWith(`${columns.loopVar.name}.`) || name === columns.loopVar.name);
  const rowOuter = names.findIndex((name) => name.startsWith(row.loopVar.name));
  if (panel === undefined || rowOuter < 0 || names.indexOf(panel) < rowOuter) return [...names];
  const rest = names.filter((name) => name !== panel);
  rest.splice(rowOuter, 0, panel);
  return rest;
}

/**
 * Vectorizes the output columns: split by 4 (two vectors per step when the
 * extent allows). When 4 does not divide the extent, blocks of two vectors
 * with the last block overlapping the one before (their column loads must
 * be contiguous across the whole extent, as a channels-last conv's taps
 * are), else vectorized whole with a scalar remainder. Returns the loops to
 * place innermost, in order: the vector-step loop to unroll (if any), then
 * the vector loop.
 */
function vectorizeColumns(builder: ScheduleBuilder, columns: For): string[] {
  const column = columns.loopVar.name;
  const extent = extentOf(columns);
  if (extent % LANES !== 0) {
    const block = 2 * LANES;
    const blocks = [splitOverlap(column, block), split(`${column}.inner`, LANES), vectorize(`${column}.inner.inner`)];
    // A packed panel's [c / 8][…][c % 8] is not contiguous across panels: overlapping blocks would not vectorize.
    const contiguous =
      extent > block && !dividesVariable(builder.nest.body, (variable) => variable === columns.loopVar);
    if (contiguous && builder.attempt(...blocks)) return [`${column}.inner.outer`, `${column}.inner.inner`];
    builder.attempt(vectorize(column));
    return [column];
  }
  if (!builder.attempt(split(column, LANES), vectorize(`${column}.inner`))) return [column];
  const steps = `${column}.outer`;
  if (extent % (2 * LANES) === 0 && builder.attempt(split(steps, 2))) return [`${steps}.inner`, `${column}.inner`];
  return [`${column}.inner`];
}

/**
 * Whether `index` changes between the lanes of a column vector: it mentions
 * `variable` other than as `variable / d` with d a multiple of LANES (the
 * same for the LANES aligned columns of one vector).
 */
function variesAcrossLanes(index: Expr, variable: Var): boolean {
  if (index.kind === "var") return index === variable;
  const quotient = index.kind === "binary" && index.op === "div" && index.a === variable && index.b.kind === "const";
  if (quotient && Number(index.b.value) % LANES === 0) return false;
  return childrenOf(index).some((child) => variesAcrossLanes(child, variable));
}

/**
 * The output loop to unroll-and-jam with the vector columns: one whose
 * variable no load inside the reduction that varies along the columns
 * uses (so the copies share those vector loads), preferring the innermost
 * such loop with extent ≥ 2. Epilogue loads (a residual add) do not count,
 * nor do loads that the columns reach only through a quotient by a multiple
 * of the vector width: a grouped conv's input channel (c / M_g)·C_g + rc is
 * one broadcast per vector when 4 divides M_g.
 */
function chooseRowLoop(builder: ScheduleBuilder, candidates: readonly For[], columns: For): For | null {
  const columnLoads: Expr[] = [];
  walkStmt(builder.nest.body, (node, enclosing) => {
    if (!enclosing.some((loop) => builder.isReduction(loop))) return;
    for (const expr of exprsOfStmt(node)) {
      visitExpr(expr, (part) => {
        if (part.kind === "load" && variesAcrossLanes(part.index, columns.loopVar)) columnLoads.push(part.index);
      });
    }
  });
  for (const loop of [...candidates].reverse()) {
    if (extentOf(loop) < 2) continue;
    const used = columnLoads.some((index) => mentionsVar(index, (variable) => variable === loop.loopVar));
    if (!used) return loop;
  }
  return null;
}
