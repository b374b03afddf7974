/**
 * Runs a model in onnxruntime-node (the numeric oracle) and in Tessera on
 * the same feeds, and asserts every output agrees: same dims, and float
 * outputs within 1e-4 × max(1, max |expected|).
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { InferenceSession, Tensor } from "../../src/index.js";
import { compareToReference } from "./shared-models.js";

export interface OracleFeed {
  readonly dtype: "float32" | "int64";
  readonly data: Float32Array | BigInt64Array;
  readonly dims: readonly number[];
}

export async function expectMatchesOrt(
  bytes: Uint8Array,
  feeds: Readonly<Record<string, OracleFeed>>,
  options: {
    readonly threads: number;
    readonly outputs?: readonly string[];
    readonly layout?: "NCHW" | "NHWC";
    readonly winograd?: boolean;
  },
): Promise<void> {
  const oracle = await ort.InferenceSession.create(bytes);
  const { threads, layout, winograd } = options;
  const session = await InferenceSession.create(bytes, { threads, layout, winograd });
  try {
    const entries = Object.entries(feeds);
    const expected = await oracle.run(
      Object.fromEntries(entries.map(([name, feed]) => [name, new ort.Tensor(feed.dtype, feed.data, [...feed.dims])])),
    );
    const actual = await session.run(
      Object.fromEntries(entries.map(([name, feed]) => [name, new Tensor(feed.dtype, feed.data, [...feed.dims])])),
    );
    for (const name of options.outputs ?? oracle.outputNames) {
      const want = expected[name]!;
      const got = actual[name];
      assert.ok(got !== undefined, `missing output ${name}`);
      assert.deepEqual([...got.dims], [...want.dims], `${name}: dims`);
      const { maxError, tolerance } = compareToReference(got.data as Float32Array, want.data as Float32Array);
      assert.ok(maxError <= tolerance, `${name}: max abs error ${maxError} > ${tolerance}`);
    }
  } finally {
    await session.release();
    await oracle.release();
  }
}
