/**
 * Access to ../shared/models (ONNX models with PyTorch reference outputs).
 * The folder is test data outside the repository: tests that need it skip
 * with a printed reason when it is absent.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DType } from "../../src/support/dtype.js";
import { typedArrayFromBytes } from "../../src/support/dtype.js";
import type { TypedArray } from "../../src/support/dtype.js";

const here = dirname(fileURLToPath(import.meta.url));
export const SHARED_MODELS_DIR = process.env.TESSERA_MODELS_DIR ?? resolve(here, "../../../shared/models");

export interface ManifestTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: string;
}
export interface ManifestModel {
  readonly file: string;
  readonly inputs: readonly ManifestTensor[];
  readonly outputs: readonly ManifestTensor[];
  readonly op_types: Readonly<Record<string, number>>;
  readonly gflop: number;
}

export function sharedModelsSkipReason(): string | undefined {
  return existsSync(join(SHARED_MODELS_DIR, "MANIFEST.json"))
    ? undefined
    : `shared models not found at ${SHARED_MODELS_DIR}`;
}

export function readManifest(): Record<string, ManifestModel> {
  const text = readFileSync(join(SHARED_MODELS_DIR, "MANIFEST.json"), "utf8");
  return (JSON.parse(text) as { models: Record<string, ManifestModel> }).models;
}

const MANIFEST_DTYPES: Readonly<Record<string, DType>> = {
  float: "float32",
  int64: "int64",
  int32: "int32",
  double: "float64",
};

export function manifestDtype(name: string): DType {
  const dtype = MANIFEST_DTYPES[name];
  if (dtype === undefined) throw new Error(`unknown manifest dtype ${name}`);
  return dtype;
}

export function readRawTensor(tensor: ManifestTensor): TypedArray {
  const bytes = new Uint8Array(readFileSync(join(SHARED_MODELS_DIR, tensor.data)));
  const dtype = manifestDtype(tensor.dtype);
  const length = tensor.shape.reduce((a, b) => a * b, 1);
  return typedArrayFromBytes(dtype, bytes, length);
}

/** Max abs error and the brief's float32 tolerance: 1e-4 × max(1, max |ref|). */
export function compareToReference(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { maxError: number; tolerance: number } {
  let maxError = 0;
  let maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!);
    maxError = Number.isNaN(error) ? Infinity : Math.max(maxError, error);
    maxAbs = Math.max(maxAbs, Math.abs(expected[i]!));
  }
  return { maxError, tolerance: 1e-4 * Math.max(1, maxAbs) };
}
