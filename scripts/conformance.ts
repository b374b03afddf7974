/**
 * Prints the ONNX node conformance results with every failure's reason:
 *   node --import tsx scripts/conformance.ts [name-filter]
 */
import { formatSummary, listNodeTests, runNodeTest, summarize } from "../tests/conformance/node-tests.js";

const filter = process.argv[2] ?? "";
const results = [];
for (const name of listNodeTests().filter((test) => test.includes(filter))) {
  results.push(await runNodeTest(name));
}
console.log(formatSummary(summarize(results), true));
