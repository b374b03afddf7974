/**
 * Serializes a module: deduplicated function types, one imported memory
 * (`env.memory`), mutable i32 globals (per-instance state such as a
 * thread's scratch base), the functions with their locals, exports, and a "name"
 * custom section (function and local names) so engines' stack traces and
 * disassemblers show kernel names.
 *
 * Functions are referred to by name (calls included); their index is their
 * position in `functions`. Nothing is imported but the memory, so no
 * arithmetic can come from JS.
 */
import { InternalError, assert } from "../../support/assert.js";
import { ByteWriter } from "./encoder.js";
import { encodeInstruction, i32Const, type Instruction } from "./instructions.js";
import { VALUE_TYPE_CODES, type ValueType } from "./opcodes.js";

export interface FunctionDefinition {
  readonly name: string;
  readonly params: readonly ValueType[];
  readonly results: readonly ValueType[];
  /** Types of the locals declared after the params. */
  readonly locals: readonly ValueType[];
  /** One unique name per param, then per local (for the name section and WAT). */
  readonly localNames: readonly string[];
  /** The body without its final `end`. */
  readonly body: readonly Instruction[];
  /** Exported under `name` when true. */
  readonly exported: boolean;
}

export interface MemoryImport {
  readonly minimumPages: number;
  /** Required by the spec for shared memory; defaults to 65536 (4 GiB) when shared. */
  readonly maximumPages?: number;
  readonly shared: boolean;
}

/**
 * A mutable global, private to each instance (not exported): an i32 set
 * through an exported function, or a v128 holding a constant (16 bytes)
 * that the kernels only read.
 */
export type GlobalDefinition =
  | { readonly name: string; readonly type: "i32"; readonly initial: number }
  | { readonly name: string; readonly type: "v128"; readonly bytes: readonly number[] };

/** A global's initializer expression (without its `end`). */
export function globalInitializer(global: GlobalDefinition): Instruction {
  return global.type === "i32" ? i32Const(global.initial) : { kind: "v128.const", bytes: global.bytes };
}

export interface ModuleDefinition {
  readonly memory: MemoryImport;
  readonly globals?: readonly GlobalDefinition[];
  readonly functions: readonly FunctionDefinition[];
}

/** Bytes in one page of WebAssembly memory. */
export const WASM_PAGE_BYTES = 65536;

const SECTION = { custom: 0, type: 1, import: 2, function: 3, global: 6, export: 7, code: 10 } as const;
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function signatureKey(definition: Pick<FunctionDefinition, "params" | "results">): string {
  return `${definition.params.join(",")}->${definition.results.join(",")}`;
}

export function encodeModule(module: ModuleDefinition): Uint8Array<ArrayBuffer> {
  const indexByName = new Map<string, number>();
  module.functions.forEach((definition, index) => {
    assert(!indexByName.has(definition.name), `duplicate function ${definition.name}`);
    indexByName.set(definition.name, index);
  });
  const functionIndex = (name: string): number => {
    const index = indexByName.get(name);
    assert(index !== undefined, `call to unknown function ${name}`);
    return index;
  };
  const globals = module.globals ?? [];
  const globalIndex = (name: string): number => {
    const index = globals.findIndex((global) => global.name === name);
    assert(index >= 0, `unknown global ${name}`);
    return index;
  };
  const typeKeys = [...new Set(module.functions.map(signatureKey))];
  const writer = new ByteWriter().raw(MAGIC_AND_VERSION);
  writer.section(SECTION.type, typeSection(module.functions, typeKeys));
  writer.section(SECTION.import, importSection(module.memory));
  const functions = new ByteWriter().vector(module.functions, (out, definition) =>
    out.u32(typeKeys.indexOf(signatureKey(definition))),
  );
  writer.section(SECTION.function, functions);
  if (globals.length > 0) writer.section(SECTION.global, globalSection(globals));
  writer.section(SECTION.export, exportSection(module.functions));
  const code = new ByteWriter().vector(module.functions, (out, definition) => {
    const body = functionBody(definition, functionIndex, globalIndex);
    out.u32(body.size).raw(body.bytes());
  });
  writer.section(SECTION.code, code);
  writer.section(SECTION.custom, nameSection(module.functions));
  return writer.bytes();
}

function typeSection(functions: readonly FunctionDefinition[], typeKeys: readonly string[]): ByteWriter {
  return new ByteWriter().vector(typeKeys, (out, key) => {
    const definition = functions.find((candidate) => signatureKey(candidate) === key);
    assert(definition !== undefined, "type key without function");
    out.byte(0x60);
    out.vector(definition.params, (inner, type) => inner.byte(VALUE_TYPE_CODES[type]));
    out.vector(definition.results, (inner, type) => inner.byte(VALUE_TYPE_CODES[type]));
  });
}

function importSection(memory: MemoryImport): ByteWriter {
  const writer = new ByteWriter().u32(1).name("env").name("memory").byte(0x02);
  const maximum = memory.maximumPages ?? (memory.shared ? 65536 : undefined);
  if (maximum === undefined) return writer.byte(0x00).u32(memory.minimumPages);
  assert(maximum >= memory.minimumPages, "memory maximum below minimum");
  return writer
    .byte(memory.shared ? 0x03 : 0x01)
    .u32(memory.minimumPages)
    .u32(maximum);
}

/** Each global: its type, mutable, its constant initializer, `end`. */
function globalSection(globals: readonly GlobalDefinition[]): ByteWriter {
  return new ByteWriter().vector(globals, (out, global) => {
    out.byte(VALUE_TYPE_CODES[global.type]).byte(0x01);
    encodeInstruction(out, globalInitializer(global), unknownFunction);
    out.byte(0x0b);
  });
}

function unknownFunction(name: string): never {
  throw new InternalError(`a global initializer calls ${name}`);
}

function exportSection(functions: readonly FunctionDefinition[]): ByteWriter {
  const exported = functions
    .map((definition, index) => ({ definition, index }))
    .filter((entry) => entry.definition.exported);
  return new ByteWriter().vector(exported, (out, entry) => out.name(entry.definition.name).byte(0x00).u32(entry.index));
}

/** Locals are declared as runs of equal types, as the binary format requires. */
function functionBody(
  definition: FunctionDefinition,
  functionIndex: (name: string) => number,
  globalIndex: (name: string) => number,
): ByteWriter {
  const runs: { type: ValueType; count: number }[] = [];
  for (const type of definition.locals) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.type === type) last.count++;
    else runs.push({ type, count: 1 });
  }
  const writer = new ByteWriter().vector(runs, (out, run) => out.u32(run.count).byte(VALUE_TYPE_CODES[run.type]));
  for (const instruction of definition.body) encodeInstruction(writer, instruction, functionIndex, globalIndex);
  return writer.byte(0x0b);
}

function nameSection(functions: readonly FunctionDefinition[]): ByteWriter {
  const functionNames = new ByteWriter().vector(functions, (out, definition, index) =>
    out.u32(index).name(definition.name),
  );
  const localNames = new ByteWriter().vector(functions, (out, definition, index) => {
    out.u32(index);
    out.vector(definition.localNames, (inner, name, localIndex) => inner.u32(localIndex).name(name));
  });
  return new ByteWriter().name("name").section(1, functionNames).section(2, localNames);
}
