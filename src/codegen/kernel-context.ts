/**
 * State shared by the loop-IR emitters while one kernel is emitted: the
 * function being built, buffer addresses, the wasm local of each loop-IR
 * variable, which variables are known non-negative (loop counters, used to
 * fold constant index terms into memarg offsets), and the math helpers the
 * kernel calls (emit-module adds them to the module).
 */
import { valueTypeOf, type DType } from "../support/dtype.js";
import type { Buffer, For } from "../loop/ir.js";
import type { Expr, Var } from "../te/expr.js";
import type { AddressInduction } from "./address-induction.js";
import { FunctionBuilder } from "./function-builder.js";
import type { ValueType } from "./wasm/opcodes.js";

export interface KernelEmitOptions {
  /** Byte address of a buffer in the module's memory (a static plan baked into the code). */
  readonly addressOf: (buffer: Buffer) => number;
  /** Lets f32x4 a*b+c use f32x4.relaxed_madd (results may differ in the last bit). */
  readonly relaxedSimd?: boolean;
  /**
   * Name of a mutable i32 global holding this instance's scratch base. When
   * set, `addressOf` of a "scratch" buffer is an offset from that base, added
   * at run time, so each thread's instance works in its own copy of scratch
   * (threaded modules); otherwise every address is absolute.
   */
  readonly scratchBase?: string;
  /** Size of the memory the module runs in; lets a micro-kernel touch its next weight panel (address-induction.ts). */
  readonly memoryBytes?: number;
}

/** The wasm type holding a value of `dtype` with `lanes` lanes. */
export function wasmTypeOf(dtype: DType, lanes: number): ValueType {
  return lanes > 1 ? "v128" : valueTypeOf(dtype);
}

export function wasmTypeOfExpr(expr: Expr): ValueType {
  return wasmTypeOf(expr.dtype, expr.lanes);
}

export class KernelContext {
  readonly helpers = new Set<string>();
  readonly nonNegativeVars = new Set<Var>();
  /** Vector locals that hold one broadcast constant for the whole kernel, with its value. */
  readonly constantVectors = new Map<Var, number>();
  /** How many times each variable is read in the kernel (every occurrence in every expression tree). */
  readonly readCounts = new Map<Var, number>();
  /** The address pointers of the innermost loop being emitted (codegen/address-induction.ts). */
  induction: AddressInduction | null = null;
  /** The loops around the statement being emitted, outermost first. */
  readonly enclosingLoops: For[] = [];
  /** Never-taken branches emitted so far (emit-kernel.ts endBasicBlock). */
  blockBreaks = 0;
  private readonly locals = new Map<Var, number>();

  constructor(
    readonly builder: FunctionBuilder,
    readonly options: KernelEmitOptions,
  ) {}

  get relaxedSimd(): boolean {
    return this.options.relaxedSimd ?? false;
  }

  addressOf(buffer: Buffer): number {
    return this.options.addressOf(buffer);
  }

  /** The global to add to `addressOf(buffer)` at run time, or null when the address is absolute. */
  baseGlobalOf(buffer: Buffer): string | null {
    return buffer.scope === "scratch" ? (this.options.scratchBase ?? null) : null;
  }

  /** The local holding `variable`, declared on first use. */
  localOf(variable: Var): number {
    const existing = this.locals.get(variable);
    if (existing !== undefined) return existing;
    const index = this.builder.addLocal(variable.name, wasmTypeOf(variable.dtype, variable.lanes));
    this.locals.set(variable, index);
    return index;
  }

  /** Records that the kernel calls helper `name` and returns the name for a `call`. */
  useHelper(name: string): string {
    this.helpers.add(name);
    return name;
  }
}
