/**
 * The GPT-style decoder block of tests/support/decoder-model.ts, at its
 * small size, compared with onnxruntime-node at 1 and 2 threads.
 */
import { expectMatchesOrt } from "../support/ort-oracle.js";
import { test } from "node:test";
import { SMALL_DECODER, decoderModel } from "../support/decoder-model.js";

for (const threads of [1, 2]) {
  test(`a decoder block matches onnxruntime-node at ${threads} thread(s)`, async () => {
    const { sequence, vocab } = SMALL_DECODER;
    const bytes = decoderModel();
    const ids = BigInt64Array.from({ length: sequence }, (_, i) => BigInt((i * 7 + 3) % vocab));
    await expectMatchesOrt(bytes, { input_ids: { dtype: "int64", data: ids, dims: [1, sequence] } }, { threads });
  });
}
