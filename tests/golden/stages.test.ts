/**
 * Golden printouts of every lowering stage of the bundled example model.
 * A change in the compiler's output shows up as a diff of these files;
 * regenerate them with `UPDATE_GOLDEN=1 npm test` and review the diff.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { INSPECT_STAGES, inspectModel } from "../../src/compiler/compile-model.js";

const here = dirname(fileURLToPath(import.meta.url));
const update = process.env.UPDATE_GOLDEN === "1";
const bytes = new Uint8Array(readFileSync(join(here, "../../examples/tiny_cnn.onnx")));

/** Value ids and temporary names depend on what ran before in the process; they are not part of the contract. */
function normalize(text: string): string {
  return text.replace(/%\d+/g, "%_").replace(/\bcse\d+\b/g, "cse_");
}

for (const stage of INSPECT_STAGES) {
  test(`tiny_cnn ${stage} printout matches its golden file`, () => {
    const file = join(here, `tiny_cnn.${stage}.txt`);
    // The whole module's text is large; one vectorized kernel shows the codegen.
    const options = stage === "wat" ? { nodeName: "pool1" } : {};
    const actual = normalize(inspectModel({ bytes }, stage, options));
    if (update || !existsSync(file)) {
      writeFileSync(file, actual);
      if (!update) assert.fail(`wrote missing golden ${file}; review and commit it`);
      return;
    }
    assert.equal(actual, readFileSync(file, "utf8"), `stage ${stage} changed; rerun with UPDATE_GOLDEN=1 if intended`);
  });
}
