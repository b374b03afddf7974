/**
 * The GPT-style decoder block of tests/support/decoder-model.ts, at its
 * small size, in both export styles (opset 17, and GPT-2's opset-14 export
 * with decomposed layer norms and the tanh GELU), compared with
 * onnxruntime-node at 1 and 2 threads.
 */
import assert from "node:assert/strict";
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import { type DecoderExport, SMALL_DECODER, decoderModel } from "../support/decoder-model.js";
import { inspectModel } from "../../src/index.js";

for (const style of ["opset17", "gpt2"] as const satisfies readonly DecoderExport[]) {
  for (const threads of [1, 2]) {
    test(`a decoder block (${style} export) matches onnxruntime-node at ${threads} thread(s)`, async () => {
      const { sequence, vocab } = SMALL_DECODER;
      const bytes = decoderModel(SMALL_DECODER, style);
      const ids = BigInt64Array.from({ length: sequence }, (_, i) => BigInt((i * 7 + 3) % vocab));
      await expectMatchesOrt(bytes, { input_ids: { dtype: "int64", data: ids, dims: [1, sequence] } }, { threads });
    });
  }
}

test("the GPT-2 export's layer norms fuse and its Pow(x, 3) becomes Muls", () => {
  const fused = inspectModel({ bytes: decoderModel(SMALL_DECODER, "gpt2") }, "fused");
  assert.equal(fused.match(/= LayerNormalization\(/g)?.length, 2, fused);
  assert.doesNotMatch(fused, /= (Pow|ReduceMean)\(/, fused);
});
