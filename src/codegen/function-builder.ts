/**
 * Accumulates one wasm function: params, locals (with unique names for the
 * name section and WAT), and the instruction list. Emitters share it so
 * scratch locals can be reused across a kernel: `temporary(type)` hands out
 * a local that the caller returns with `release` once its value is dead.
 */
import { assert } from "../support/assert.js";
import { type Instruction, globalGet } from "./wasm/instructions.js";
import type { ValueType } from "./wasm/opcodes.js";
import type { FunctionDefinition } from "./wasm/module-builder.js";

export class FunctionBuilder {
  readonly body: Instruction[] = [];
  private readonly types: ValueType[] = [];
  private readonly names: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly freeTemporaries = new Map<ValueType, number[]>();
  private readonly paramCount: number;
  /** The v128 constants read from globals (codegen/emit-module.ts declares them), by global name. */
  readonly constantGlobals = new Map<string, readonly number[]>();
  private inConstantScope = false;

  constructor(
    readonly name: string,
    params: readonly { readonly name: string; readonly type: ValueType }[],
    readonly results: readonly ValueType[],
  ) {
    for (const param of params) this.addLocal(param.name, param.type);
    this.paramCount = params.length;
  }

  /** Declares a new local and returns its index. */
  addLocal(name: string, type: ValueType): number {
    const base = name.replace(/[^A-Za-z0-9_.]/g, "_") || "local";
    let unique = base;
    for (let suffix = 1; this.usedNames.has(unique); suffix++) unique = `${base}_${suffix}`;
    this.usedNames.add(unique);
    this.types.push(type);
    this.names.push(unique);
    return this.types.length - 1;
  }

  /** A scratch local of `type`, reused after `release`. */
  temporary(type: ValueType): number {
    const free = this.freeTemporaries.get(type);
    const reused = free?.pop();
    return reused ?? this.addLocal(`tmp_${type}`, type);
  }

  release(index: number): void {
    const type = this.types[index];
    const free = this.freeTemporaries.get(type) ?? [];
    free.push(index);
    this.freeTemporaries.set(type, free);
  }

  typeOf(index: number): ValueType {
    return this.types[index];
  }

  emit(...instructions: Instruction[]): void {
    for (const instruction of instructions) {
      if (!this.inConstantScope || instruction.kind !== "v128.const" || isCheapConstant(instruction.bytes)) {
        this.body.push(instruction);
        continue;
      }
      const name = `const_${instruction.bytes.map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
      this.constantGlobals.set(name, instruction.bytes);
      this.body.push(globalGet(name));
    }
  }

  /**
   * Inside a loop over elements, v128 constants are read from globals:
   * V8 rematerializes a v128.const at every use, three instructions (two on
   * the vector ports that the math needs) per use per iteration, where a
   * global is one load. Scopes are straight-line loop bodies: they do not nest.
   */
  beginConstantScope(): void {
    assert(!this.inConstantScope, "constant scopes do not nest");
    this.inConstantScope = true;
  }

  endConstantScope(): void {
    this.inConstantScope = false;
  }

  finish(exported: boolean): FunctionDefinition {
    return {
      name: this.name,
      params: this.types.slice(0, this.paramCount),
      results: this.results,
      locals: this.types.slice(this.paramCount),
      localNames: [...this.names],
      body: [...this.body],
      exported,
    };
  }
}

/** All-zero and all-one vectors: V8 makes them with one register-only instruction (a xor or a compare). */
function isCheapConstant(bytes: readonly number[]): boolean {
  return bytes.every((byte) => byte === 0) || bytes.every((byte) => byte === 255);
}
