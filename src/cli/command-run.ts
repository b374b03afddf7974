/**
 * `tessera run model.onnx|out/ [--input name=file]... [--repeat N] [--profile]`:
 * runs a model once on the given inputs (deterministic pseudo-random data for
 * inputs without a file), prints a summary of every output, then the latency
 * of the first run and the median/min over N more runs, and with --profile
 * the time per kernel.
 */
import type { CliIo } from "./io.js";
import { parseBindings, parsePositiveInteger } from "./io.js";
import { parseNpy, parseRawTensor } from "./npy.js";
import { randomTensor } from "./random-input.js";
import { describeTensor, formatLatency, formatProfile } from "./report.js";
import { InferenceSession, type StepTiming, type TensorMetadata } from "../runtime/session.js";
import type { Tensor } from "../runtime/tensor.js";
import { TesseraError } from "../support/errors.js";

export interface RunCommandOptions {
  readonly input: readonly string[];
  readonly repeat: string;
  readonly profile?: boolean;
  readonly bind: readonly string[];
  readonly threads?: string;
}

export async function runCommand(source: string, options: RunCommandOptions, io: CliIo): Promise<void> {
  const repeat = parsePositiveInteger("--repeat", options.repeat);
  const threads = options.threads === undefined ? undefined : parsePositiveInteger("--threads", options.threads);
  const session = await InferenceSession.create(source, {
    bindings: parseBindings(options.bind),
    threads,
    platform: io.platform,
  });
  try {
    const feeds = await buildFeeds(session.inputMetadata, options.input, io);
    let start = performance.now();
    const outputs = await session.run(feeds);
    const firstMs = performance.now() - start;
    for (const name of session.outputNames) io.stdout(`${describeTensor(name, outputs[name])}\n`);
    const repeatMs: number[] = [];
    const profiles: StepTiming[][] = [];
    for (let run = 0; run < repeat; run++) {
      start = performance.now();
      if (options.profile === true) profiles.push([...(await session.runProfiled(feeds)).steps]);
      else await session.run(feeds);
      repeatMs.push(performance.now() - start);
    }
    io.stdout(`${formatLatency(firstMs, repeatMs)}\n`);
    if (options.profile === true) io.stdout(`${formatProfile(profiles)}\n`);
  } finally {
    await session.release();
  }
}

/** Feeds from --input specs, with random data for the inputs not given. */
async function buildFeeds(
  inputs: readonly TensorMetadata[],
  specs: readonly string[],
  io: CliIo,
): Promise<Record<string, Tensor>> {
  const files = assignInputFiles(inputs, specs);
  const feeds: Record<string, Tensor> = {};
  for (const [index, input] of inputs.entries()) {
    const file = files.get(input.name);
    if (file === undefined) {
      feeds[input.name] = randomTensor(input.type, input.dims, index + 1);
      io.stdout(`input ${input.name}: ${input.type} [${input.dims.join(", ")}] pseudo-random (seed ${index + 1})\n`);
    } else {
      feeds[input.name] = await readInputFile(input, file, io);
      io.stdout(`input ${input.name}: ${file}\n`);
    }
  }
  return feeds;
}

/** Maps input names to files; a bare file name is allowed when the model has one input. */
function assignInputFiles(inputs: readonly TensorMetadata[], specs: readonly string[]): Map<string, string> {
  const names = inputs.map((input) => input.name);
  const files = new Map<string, string>();
  for (const spec of specs) {
    const separator = spec.indexOf("=");
    let [name, file] = [spec.slice(0, separator), spec.slice(separator + 1)];
    if (separator < 0) {
      if (inputs.length !== 1) {
        throw new TesseraError("E_USAGE", `--input expects name=file (the model's inputs: ${names.join(", ")})`);
      }
      [name, file] = [names[0], spec];
    }
    if (!names.includes(name)) {
      throw new TesseraError("E_USAGE", `--input names '${name}', which is not an input (inputs: ${names.join(", ")})`);
    }
    if (files.has(name)) throw new TesseraError("E_USAGE", `--input gives '${name}' twice`);
    files.set(name, file);
  }
  return files;
}

async function readInputFile(input: TensorMetadata, file: string, io: CliIo): Promise<Tensor> {
  if (!(await io.platform.fileExists(file))) throw new TesseraError("E_USAGE", `no such input file: ${file}`);
  const bytes = await io.platform.readFile(file);
  if (file.endsWith(".npy")) return parseNpy(bytes, file);
  if (file.endsWith(".bin")) return parseRawTensor(bytes, input.type, input.dims, file);
  throw new TesseraError("E_USAGE", `input file ${file} must be .npy or .bin`);
}
