/** `tessera inspect model.onnx --stage graph|fused|loop|wat [--node NAME]`: prints one stage's IR. */
import type { CliIo } from "./io.js";
import { parseBindings } from "./io.js";
import { readModelFile } from "../runtime/model-source.js";

export const INSPECT_STAGES = ["graph", "fused", "loop", "wat"] as const;

export interface InspectCommandOptions {
  readonly stage: (typeof INSPECT_STAGES)[number];
  readonly node?: string;
  readonly bind: readonly string[];
  /** A graph pass name: the graph after it is printed before the stage. */
  readonly dumpAfter?: string;
}

export async function inspectCommand(model: string, options: InspectCommandOptions, io: CliIo): Promise<void> {
  const bindings = parseBindings(options.bind);
  const source = await readModelFile(io.platform, model);
  const { inspectModel } = await import("../compiler/compile-model.js");
  const text = inspectModel(source, options.stage, {
    nodeName: options.node,
    bindings,
    dumpAfter: options.dumpAfter,
    log: (dump) => io.stdout(dump.endsWith("\n") ? dump : `${dump}\n`),
  });
  io.stdout(text.endsWith("\n") ? text : `${text}\n`);
}
