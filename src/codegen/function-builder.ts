/**
 * Accumulates one wasm function: params, locals (with unique names for the
 * name section and WAT), and the instruction list. Emitters share it so
 * scratch locals can be reused across a kernel: `temporary(type)` hands out
 * a local that the caller returns with `release` once its value is dead.
 */
import type { Instruction } from "./wasm/instructions.js";
import type { ValueType } from "./wasm/opcodes.js";
import type { FunctionDefinition } from "./wasm/module-builder.js";

export class FunctionBuilder {
  readonly body: Instruction[] = [];
  private readonly types: ValueType[] = [];
  private readonly names: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly freeTemporaries = new Map<ValueType, number[]>();
  private readonly paramCount: number;

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
    for (const instruction of instructions) this.body.push(instruction);
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
