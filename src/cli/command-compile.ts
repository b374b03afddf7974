/**
 * `tessera compile model.onnx -o out/`: compiles a model and writes the
 * artifact folder (see runtime/artifact.ts). The destination is checked before
 * compiling: an existing file, or a folder that holds anything but a previous
 * artifact, is only overwritten with --force, so a typo in -o cannot clobber
 * the user's files.
 */
import { rmSync } from "node:fs";
import type { CliIo } from "./io.js";
import { parseBindings } from "./io.js";
import { isArtifactDirectory, writeArtifact } from "../runtime/artifact.js";
import { readModelFile } from "../runtime/model-source.js";
import { TesseraError } from "../support/errors.js";

export interface CompileCommandOptions {
  readonly output: string;
  readonly force?: boolean;
  readonly bind: readonly string[];
  readonly relaxedSimd?: boolean;
  readonly threads?: boolean;
  readonly dumpAfter?: string;
}

export async function compileCommand(model: string, options: CompileCommandOptions, io: CliIo): Promise<void> {
  const bindings = parseBindings(options.bind);
  await checkDestination(io, options.output, options.force === true);
  const source = await readModelFile(io.platform, model);
  const { compileModel } = await import("../compiler/compile-model.js");
  const compiled = compileModel(source, {
    bindings,
    relaxedSimd: options.relaxedSimd === true,
    threads: options.threads === true,
    dumpAfter: options.dumpAfter,
    log: (text) => io.stdout(`${text}\n`),
  });
  await writeArtifact(io.platform, options.output, compiled);
  const { plan } = compiled;
  io.stdout(
    `wrote ${options.output}: ${plan.steps.length} kernel${plan.steps.length === 1 ? "" : "s"}, model.wasm ${kilobytes(compiled.wasm.byteLength)}, ` +
      `weights.bin ${kilobytes(compiled.weights.byteLength)}, activations ${kilobytes(plan.arenaBytes)}\n`,
  );
}

async function checkDestination(io: CliIo, output: string, force: boolean): Promise<void> {
  const { platform } = io;
  if (await platform.fileExists(output)) {
    if (!force) throw new TesseraError("E_USAGE", `${output} is an existing file; pass --force to replace it`);
    rmSync(output);
    return;
  }
  if (!(await platform.isDirectory(output))) return;
  if ((await platform.listDirectory(output)).length === 0 || (await isArtifactDirectory(platform, output))) return;
  if (!force) {
    throw new TesseraError(
      "E_USAGE",
      `${output} is a folder that is not a Tessera artifact; pass --force to write into it anyway`,
    );
  }
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
