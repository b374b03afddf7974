/**
 * Reads an .onnx file for compilation, with a reader for its external-data
 * files. ONNX locates external data relative to the model's directory; a
 * location that is absolute or climbs out with ".." is refused (as
 * onnxruntime does), so a model cannot make Tessera read arbitrary files.
 */
import type { Platform } from "./platform.js";
import { TesseraError } from "../support/errors.js";

/** The compiler's input: the model bytes, and a reader for external data. */
export interface ModelSource {
  readonly bytes: Uint8Array;
  readonly readExternal?: (location: string) => Uint8Array;
  /** The model's name for plans and profiles (the file name without .onnx). */
  readonly name?: string;
}

export async function readModelFile(platform: Platform, path: string): Promise<ModelSource> {
  if (!(await platform.fileExists(path))) {
    throw new TesseraError("E_USAGE", `no such model file: ${path}`);
  }
  const bytes = await platform.readFile(path);
  const directory = platform.dirname(path);
  const name = path.replace(/^.*[\\/]/, "").replace(/\.onnx$/i, "");
  return { bytes, name, readExternal: (location) => readExternalData(platform, directory, location) };
}

function readExternalData(platform: Platform, directory: string, location: string): Uint8Array {
  const segments = location.split(/[\\/]/);
  if (location.startsWith("/") || /^[A-Za-z]:/.test(location) || segments.includes("..")) {
    throw new TesseraError(
      "E_EXTERNAL_DATA",
      `external data location '${location}' must stay inside the model's folder`,
    );
  }
  if (platform.readFileSync === undefined) {
    throw new TesseraError("E_EXTERNAL_DATA", `cannot read external data '${location}' in this environment`);
  }
  try {
    return platform.readFileSync(platform.join(directory, location));
  } catch (error) {
    throw new TesseraError("E_EXTERNAL_DATA", `cannot read external data '${location}': ${(error as Error).message}`);
  }
}
