/**
 * WebAssembly text of kernels, rendered from the same instruction records
 * the binary writer encodes (see wasm/instructions.ts), in flat form:
 * one instruction per line, indented by block depth.
 */
import type { Kernel } from "../loop/ir.js";
import { emitKernel, type KernelEmitOptions } from "./emit-kernel.js";
import { buildModuleDefinition, type ModuleRequest } from "./emit-module.js";
import { instructionText } from "./wasm/instructions.js";
import { type FunctionDefinition, type ModuleDefinition, globalInitializer } from "./wasm/module-builder.js";

export type WatOptions = KernelEmitOptions;

/** The text of one kernel's function (helpers it calls are referenced by name). */
export function printWat(kernel: Kernel, options: WatOptions): string {
  return printFunctionWat(emitKernel(kernel, options).definition);
}

/** The text of the whole module `emitModule(request)` would produce. */
export function printModuleWat(request: ModuleRequest): string {
  return printModuleDefinitionWat(buildModuleDefinition(request));
}

export function printModuleDefinitionWat(module: ModuleDefinition): string {
  const memory = module.memory;
  const maximum = memory.maximumPages ?? (memory.shared ? 65536 : undefined);
  const limits = [memory.minimumPages, maximum, memory.shared ? "shared" : undefined]
    .filter((part) => part !== undefined)
    .join(" ");
  const lines = ["(module", `  (import "env" "memory" (memory ${limits}))`];
  for (const global of module.globals ?? []) {
    const initializer = instructionText(globalInitializer(global), String);
    lines.push(`  (global $${global.name} (mut ${global.type}) (${initializer}))`);
  }
  for (const definition of module.functions) {
    lines.push(
      ...printFunctionWat(definition)
        .split("\n")
        .map((line) => `  ${line}`),
    );
  }
  for (const definition of module.functions) {
    if (definition.exported) lines.push(`  (export "${definition.name}" (func $${definition.name}))`);
  }
  lines.push(")");
  return lines.join("\n");
}

export function printFunctionWat(definition: FunctionDefinition): string {
  const localName = (index: number): string => `$${definition.localNames[index] ?? index}`;
  const params = definition.params.map((type, index) => `(param ${localName(index)} ${type})`);
  const results = definition.results.map((type) => `(result ${type})`);
  const header = ["(func", `$${definition.name}`, ...params, ...results].join(" ");
  const lines = [header];
  definition.locals.forEach((type, index) =>
    lines.push(`  (local ${localName(definition.params.length + index)} ${type})`),
  );
  let depth = 1;
  for (const instruction of definition.body) {
    const text = instructionText(instruction, localName);
    const closes = instruction.kind === "plain" && (instruction.op === "end" || instruction.op === "else");
    if (closes) depth--;
    lines.push(`${"  ".repeat(depth)}${text}`);
    if (instruction.kind === "block" || (instruction.kind === "plain" && instruction.op === "else")) depth++;
  }
  lines.push(")");
  return lines.join("\n");
}
