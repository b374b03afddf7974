/**
 * Node-only import from the file system: the model file and its external
 * data files, which ONNX locates relative to the model's folder. A location
 * that is absolute or climbs out of the folder is refused (as onnxruntime
 * does), so a model cannot make Tessera read arbitrary files. Kept out of the
 * core importer so that browser bundles never import `fs`.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import type { Graph } from "../graph/ir.js";
import { TesseraError } from "../support/errors.js";
import { decodeModel } from "./decode-model.js";
import { type ImportOptions, importDecodedModel } from "./import-model.js";
import type { GraphProto, ModelProto, TensorProto } from "./onnx-records.js";
import { DataLocation } from "./onnx-schema.js";

/** Reads, decodes and imports an .onnx file, with its external data read beside it. */
export async function importModelFile(path: string, options: Omit<ImportOptions, "readExternal"> = {}): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TesseraError("E_USAGE", `cannot read model file '${path}': ${(error as Error).message}`);
  }
  const model = decodeModel(bytes);
  const files = await readExternalFiles(model, dirname(path));
  const readExternal = (location: string): Uint8Array => {
    const file = files.get(location);
    if (file === undefined) throw new TesseraError("E_EXTERNAL_DATA", `external file '${location}' was not read`);
    return file;
  };
  return importDecodedModel(model, { ...options, readExternal });
}

/** Reads every external data file the model names, once each. */
async function readExternalFiles(model: ModelProto, directory: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const location of externalLocations(model.graph)) {
    files.set(location, await readExternalFile(directory, location));
  }
  return files;
}

async function readExternalFile(directory: string, location: string): Promise<Uint8Array> {
  const path = join(directory, location);
  const inside = relative(directory, path);
  if (
    isAbsolute(location) ||
    /^[A-Za-z]:/.test(location) ||
    inside === ".." ||
    inside.startsWith(`..${sep}`) ||
    isAbsolute(inside)
  ) {
    throw new TesseraError(
      "E_EXTERNAL_DATA",
      `external data location '${location}' must stay inside the model's folder`,
    );
  }
  try {
    return await readFile(path);
  } catch (error) {
    throw new TesseraError("E_EXTERNAL_DATA", `cannot read external data '${location}': ${(error as Error).message}`);
  }
}

/** The external-data locations of a graph's initializers and tensor attributes, subgraphs included. */
export function externalLocations(graph: GraphProto): Set<string> {
  const locations = new Set<string>();
  const visitTensor = (tensor: TensorProto): void => {
    if (tensor.dataLocation !== DataLocation.EXTERNAL) return;
    const location = tensor.externalData.find((entry) => entry.key === "location")?.value;
    if (location !== undefined && location !== "") locations.add(location);
  };
  const visitGraph = (current: GraphProto): void => {
    current.initializer.forEach(visitTensor);
    for (const node of current.node) {
      for (const attribute of node.attribute) {
        if (attribute.t !== null) visitTensor(attribute.t);
        attribute.tensors.forEach(visitTensor);
        if (attribute.g !== null) visitGraph(attribute.g);
        attribute.graphs.forEach(visitGraph);
      }
    }
  };
  visitGraph(graph);
  return locations;
}
