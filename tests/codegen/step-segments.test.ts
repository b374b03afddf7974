/**
 * Micro-kernel steps that read more vectors than the registers beside their
 * accumulators hold are cut into segments (codegen/step-segments.ts), each
 * emitted as its own basic block behind a never-taken branch with its own
 * constant. The segmented loop computes bit-identical sums.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { STEP_VECTOR_REGISTERS, segmentStep } from "../../src/codegen/step-segments.js";
import { printWat } from "../../src/codegen/print-wat.js";
import { interpretKernel } from "../../src/loop/interpret-loop.js";
import { type Assign, type Buffer, type Kernel, type Stmt, makeBuffer } from "../../src/loop/ir.js";
import {
  type Expr,
  type Var,
  add,
  broadcast,
  childrenOf,
  constant,
  int,
  load,
  makeVar,
  mul,
  ramp,
} from "../../src/te/expr.js";
import { assign, forLoop, instantiate, seq, store } from "./harness.js";
import { pseudoRandom } from "../support/random.js";

const LANES = 4;
const STEPS = 6;

interface ConvStep {
  readonly statements: Stmt[];
  readonly accumulators: Var[];
  readonly step: Var;
  readonly weights: Buffer;
  readonly inputs: Buffer;
}

/**
 * One step of a grouped-conv-like micro-kernel: `columns` channel vectors ×
 * `positions` output positions, `taps` kernel rows per step. Each tap's
 * weight vectors are lets; each input is broadcast inline. The updates come
 * accumulator by accumulator, every tap of one before the next, as lowering
 * writes them.
 */
function convStep(columns: number, positions: number, taps: number, name = ""): ConvStep {
  const step = makeVar(`k${name}`);
  const weights = makeBuffer(`w${name}`, "float32", STEPS * taps * columns * LANES, "global");
  const inputs = makeBuffer(`x${name}`, "float32", STEPS * taps * positions, "global");
  const accumulators: Var[] = [];
  const statements: Stmt[] = [];
  const weight: Var[][] = [];
  for (let tap = 0; tap < taps; tap++) {
    weight.push([]);
    for (let column = 0; column < columns; column++) {
      const variable = makeVar(`w${name}_${tap}_${column}`, "float32", LANES);
      const base = add(mul(step, int(taps * columns * LANES)), int((tap * columns + column) * LANES));
      statements.push(assign(variable, load(weights, ramp(base, 1, LANES))));
      weight[tap]!.push(variable);
    }
  }
  for (let position = 0; position < positions; position++) {
    for (let column = 0; column < columns; column++) {
      const accumulator = makeVar(`acc${name}_${column}_${position}`, "float32", LANES);
      accumulators.push(accumulator);
      for (let tap = 0; tap < taps; tap++) {
        const index = add(mul(step, int(taps * positions)), int(tap * positions + position));
        const input = load(inputs, broadcast(index, LANES));
        statements.push(assign(accumulator, add(accumulator, mul(input, weight[tap]![column]!))));
      }
    }
  }
  return { statements, accumulators, step, weights, inputs };
}

/** Vector values a list of statements holds: the vector lets it reads and its inline vector loads. */
function vectorOperands(statements: readonly Stmt[], accumulators: ReadonlySet<Var>): number {
  const operands = new Set<Expr>();
  const visit = (expr: Expr): void => {
    if (expr.kind === "var" && expr.lanes > 1 && !accumulators.has(expr)) operands.add(expr);
    if (expr.kind === "load" && expr.lanes > 1) operands.add(expr);
    for (const child of childrenOf(expr)) visit(child);
  };
  for (const statement of statements) {
    if (statement.kind === "assign" && accumulators.has(statement.target)) visit(statement.value);
  }
  return operands.size;
}

/**
 * Each conv's accumulators zeroed, its loop `for k in 0..STEPS { body }`
 * (its own statements unless `bodies` gives them), then every accumulator
 * stored to `out`.
 */
function kernelAround(convs: readonly ConvStep[], out: Buffer, bodies?: readonly (readonly Stmt[])[]): Kernel {
  const accumulators = convs.flatMap((conv) => conv.accumulators);
  const initial = accumulators.map((accumulator) => assign(accumulator, broadcast(constant(0, "float32"), LANES)));
  const loops = convs.map((conv, index) => forLoop(conv.step, STEPS, seq(...(bodies?.[index] ?? conv.statements))));
  const stores = accumulators.map((accumulator, index) => store(out, ramp(int(index * LANES), 1, LANES), accumulator));
  return {
    name: "conv_steps",
    body: seq(...initial, ...loops, ...stores),
    taskExtent: 1,
    buffers: [...convs.flatMap((conv) => [conv.weights, conv.inputs]), out],
    flops: 0,
  };
}

describe("segmentStep", () => {
  it("cuts a step of 8 accumulators over three taps into segments that fit the registers", () => {
    const conv = convStep(2, 4, 3);
    const accumulators = new Set(conv.accumulators);
    const segments = segmentStep(conv.statements);
    assert.ok(segments.length > 1, "the step reads 6 weight vectors and 12 inputs");
    const budget = STEP_VECTOR_REGISTERS - accumulators.size;
    for (const segment of segments) assert.ok(vectorOperands(segment, accumulators) <= budget);

    const updates = segments
      .flat()
      .filter((statement) => statement.kind === "assign" && accumulators.has(statement.target));
    const original = conv.statements.filter(
      (statement) => statement.kind === "assign" && accumulators.has(statement.target),
    );
    assert.equal(updates.length, original.length);
    assert.deepEqual(new Set(updates), new Set(original), "every update exactly once");
    for (const accumulator of accumulators) {
      const order = (list: readonly Stmt[]): Stmt[] => list.filter((s) => (s as Assign).target === accumulator);
      assert.deepEqual(order(updates), order(original), `${accumulator.name} keeps its order`);
    }
    for (const segment of segments) {
      const assigned = new Set<Var>();
      for (const statement of segment) {
        if (statement.kind !== "assign") continue;
        const reads: Var[] = [];
        const visit = (expr: Expr): void => {
          if (expr.kind === "var" && expr.lanes > 1 && !accumulators.has(expr)) reads.push(expr);
          for (const child of childrenOf(expr)) visit(child);
        };
        visit(statement.value);
        for (const variable of reads) assert.ok(assigned.has(variable), `${variable.name} is assigned in its segment`);
        assigned.add(statement.target);
      }
    }
  });

  it("leaves steps alone that fit, store, or reassign an accumulator", () => {
    const fits = convStep(2, 4, 1);
    assert.deepEqual(segmentStep(fits.statements), [fits.statements], "a 4×2 tile: 2 weights + 4 inputs");

    const conv = convStep(2, 4, 3);
    const out = makeBuffer("out", "float32", LANES, "global");
    const withStore = [...conv.statements, store(out, ramp(int(0), 1, LANES), conv.accumulators[0]!)];
    assert.deepEqual(segmentStep(withStore), [withStore]);

    const reset = [...conv.statements, assign(conv.accumulators[0]!, broadcast(constant(0, "float32"), LANES))];
    assert.deepEqual(segmentStep(reset), [reset]);
  });

  it("computes the same bits, in the loop-IR interpreter and as wasm", () => {
    const conv = convStep(2, 4, 3);
    const out = makeBuffer("out", "float32", conv.accumulators.length * LANES, "global");
    const segmented = segmentStep(conv.statements).flat();
    const data = new Map<Buffer, Float32Array>([
      [conv.weights, pseudoRandom(conv.weights.size, 1)],
      [conv.inputs, pseudoRandom(conv.inputs.size, 2)],
    ]);
    const interpret = (body: readonly Stmt[]): Float32Array => {
      const buffers = new Map<Buffer, Float32Array>([...data, [out, new Float32Array(out.size)]]);
      interpretKernel(kernelAround([conv], out, [body]), buffers);
      return buffers.get(out)!;
    };
    const expected = interpret(conv.statements);
    assert.deepEqual(interpret(segmented), expected);

    const kernel = kernelAround([conv], out);
    const instance = instantiate([kernel]);
    instance.write(conv.weights, data.get(conv.weights)!);
    instance.write(conv.inputs, data.get(conv.inputs)!);
    instance.exports[kernel.name]!(0, 1);
    assert.deepEqual(Float32Array.from(instance.read(out) as number[]), expected);
  });
});

it("gives every never-taken branch of a kernel its own constant", () => {
  const first = convStep(2, 4, 3, "a");
  const second = convStep(2, 4, 3, "b");
  const out = makeBuffer("out", "float32", 16 * LANES, "global");
  const kernel = kernelAround([first, second], out);
  const text = printWat(kernel, { addressOf: () => 64 });
  const constants = [...text.matchAll(/local\.get \$first\s+i32\.const (-\d+)\s+i32\.eq\s+br_if 0/g)].map(
    (match) => match[1],
  );
  assert.ok(constants.length >= 4, `two loops of several segments each: ${constants.length} branches`);
  assert.equal(new Set(constants).size, constants.length, "no two branches test the same condition");
});
