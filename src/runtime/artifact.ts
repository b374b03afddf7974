/**
 * The compiled artifact folder, what `tessera compile -o dir/` writes and
 * `InferenceSession.create("dir/")` loads:
 *
 *   model.wasm   the module (imports env.memory, exports one kernel per step)
 *   plan.json    { format, formatVersion, tesseraVersion, plan: ExecutionPlan }
 *   weights.bin  the weights image, copied to [plan.weightsOffset, +weightsBytes)
 *
 * The folder is only valid as a whole: a missing file, another format
 * version, another plan version or a weights file of the wrong size is
 * TesseraError E_BAD_ARTIFACT, so a stale or half-written folder never runs.
 */
import { type ExecutionPlan, PLAN_VERSION } from "./plan.js";
import type { Platform } from "./platform.js";
import { TESSERA_VERSION } from "./version.js";
import { TesseraError } from "../support/errors.js";

export const ARTIFACT_FORMAT = "tessera-artifact";
export const ARTIFACT_FORMAT_VERSION = 1;
export const ARTIFACT_FILES = { wasm: "model.wasm", plan: "plan.json", weights: "weights.bin" } as const;

/** What an artifact holds; the compiler's CompiledModel has this shape. */
export interface ArtifactContents {
  readonly wasm: Uint8Array;
  readonly plan: ExecutionPlan;
  readonly weights: Uint8Array;
}

/** The plan.json document. */
interface PlanFile {
  readonly format: string;
  readonly formatVersion: number;
  readonly tesseraVersion: string;
  readonly plan: ExecutionPlan;
}

/** Writes the three files into `directory`, creating it when missing. */
export async function writeArtifact(platform: Platform, directory: string, contents: ArtifactContents): Promise<void> {
  await platform.makeDirectory(directory);
  const planFile: PlanFile = {
    format: ARTIFACT_FORMAT,
    formatVersion: ARTIFACT_FORMAT_VERSION,
    tesseraVersion: TESSERA_VERSION,
    plan: contents.plan,
  };
  await platform.writeFile(platform.join(directory, ARTIFACT_FILES.weights), contents.weights);
  await platform.writeFile(platform.join(directory, ARTIFACT_FILES.wasm), contents.wasm);
  // plan.json last: a folder whose write was interrupted has no plan.json and is refused.
  await platform.writeFile(platform.join(directory, ARTIFACT_FILES.plan), `${JSON.stringify(planFile, null, 1)}\n`);
}

/** Reads and validates an artifact folder. */
export async function readArtifact(platform: Platform, directory: string): Promise<ArtifactContents> {
  const planBytes = await readPart(platform, directory, ARTIFACT_FILES.plan);
  const plan = parsePlanFile(planBytes, directory);
  const [wasm, weights] = await Promise.all([
    readPart(platform, directory, ARTIFACT_FILES.wasm),
    readPart(platform, directory, ARTIFACT_FILES.weights),
  ]);
  if (weights.byteLength !== plan.weightsBytes) {
    throw new TesseraError(
      "E_BAD_ARTIFACT",
      `${ARTIFACT_FILES.weights} in ${directory} has ${weights.byteLength} bytes, the plan expects ${plan.weightsBytes}`,
    );
  }
  return { wasm, plan, weights };
}

/** True when `directory` holds a plan.json written by Tessera (of any version). */
export async function isArtifactDirectory(platform: Platform, directory: string): Promise<boolean> {
  const planPath = platform.join(directory, ARTIFACT_FILES.plan);
  if (!(await platform.fileExists(planPath))) return false;
  try {
    const document = JSON.parse(new TextDecoder().decode(await platform.readFile(planPath))) as Partial<PlanFile>;
    return document.format === ARTIFACT_FORMAT;
  } catch {
    return false;
  }
}

async function readPart(platform: Platform, directory: string, name: string): Promise<Uint8Array> {
  const path = platform.join(directory, name);
  if (!(await platform.fileExists(path))) {
    throw new TesseraError("E_BAD_ARTIFACT", `${directory} is not a Tessera artifact: ${name} is missing`);
  }
  return platform.readFile(path);
}

function parsePlanFile(bytes: Uint8Array, directory: string): ExecutionPlan {
  let document: Partial<PlanFile>;
  try {
    document = JSON.parse(new TextDecoder().decode(bytes)) as Partial<PlanFile>;
  } catch (error) {
    throw new TesseraError("E_BAD_ARTIFACT", `${ARTIFACT_FILES.plan} in ${directory} is not JSON: ${String(error)}`);
  }
  if (document.format !== ARTIFACT_FORMAT) {
    throw new TesseraError("E_BAD_ARTIFACT", `${ARTIFACT_FILES.plan} in ${directory} was not written by Tessera`);
  }
  if (document.formatVersion !== ARTIFACT_FORMAT_VERSION || document.plan?.version !== PLAN_VERSION) {
    throw new TesseraError(
      "E_BAD_ARTIFACT",
      `${directory} has artifact format ${document.formatVersion} / plan ${document.plan?.version} ` +
        `(written by Tessera ${document.tesseraVersion}); this is Tessera ${TESSERA_VERSION}, which reads ` +
        `format ${ARTIFACT_FORMAT_VERSION} / plan ${PLAN_VERSION}: compile the model again`,
    );
  }
  return document.plan;
}
