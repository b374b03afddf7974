/**
 * The `tessera` command line: argument parsing (commander) and the mapping
 * from failures to exit codes. A TesseraError is the user's to fix: one line
 * `error[CODE]: message` on stderr and exit code 1. Anything else is a bug in
 * Tessera: the stack trace and exit code 2.
 */
import { Command, CommanderError, Option } from "commander";
import { compileCommand } from "./command-compile.js";
import { INSPECT_STAGES, inspectCommand } from "./command-inspect.js";
import { runCommand } from "./command-run.js";
import type { CliIo } from "./io.js";
import { TESSERA_VERSION } from "../runtime/version.js";
import { TesseraError } from "../support/errors.js";

/** Runs the CLI on `args` (without the node and script paths); resolves to the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error, io);
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function buildProgram(io: CliIo): Command {
  const program = new Command("tessera")
    .description("Compile ONNX models to WebAssembly and run them")
    .version(TESSERA_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: () => {} });
  program
    .command("compile <model>")
    .description("compile an .onnx model into an artifact folder (model.wasm, plan.json, weights.bin)")
    .requiredOption("-o, --output <dir>", "artifact folder to write")
    .option("--force", "write even when the destination is a file or a folder that is not an artifact")
    .option("--bind <name=size>", "size of a symbolic input dim (repeatable)", collect, [])
    .option("--relaxed-simd", "use relaxed-SIMD FMA (the engine must support it)")
    .option("--threads", "compile for a worker pool over shared memory")
    .option("--dump-after <pass>", "print the IR after the named pass")
    .action((model, options) => compileCommand(model, options, io));
  program
    .command("run <source>")
    .description("run an .onnx model or an artifact folder and print its outputs and latency")
    .option(
      "--input <name=file>",
      "input from a .npy or .bin file (repeatable); others get pseudo-random data",
      collect,
      [],
    )
    .option("--repeat <n>", "timed runs after the first", "10")
    .option("--profile", "print the time spent in each kernel")
    .option("--bind <name=size>", "size of a symbolic input dim (repeatable)", collect, [])
    .option("--threads <n>", "threads to run on")
    .action((source, options) => runCommand(source, options, io));
  program
    .command("inspect <model>")
    .description("print the IR of one stage of lowering")
    .addOption(new Option("--stage <stage>", "stage to print").choices(INSPECT_STAGES).makeOptionMandatory())
    .option("--node <name>", "only the named node (or its fused group)")
    .option("--dump-after <pass>", "also print the graph after the named graph pass")
    .option("--bind <name=size>", "size of a symbolic input dim (repeatable)", collect, [])
    .action((model, options) => inspectCommand(model, options, io));
  return program;
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.help") return 1; // no command: commander printed the usage
    io.stderr(`error[E_USAGE]: ${error.message.replace(/^error: /, "")} (see tessera --help)\n`);
    return 1;
  }
  if (error instanceof TesseraError) {
    io.stderr(`error[${error.code}]: ${error.message.replace(`${error.code}: `, "")}\n`);
    return 1;
  }
  io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 2;
}
