/**
 * Text the CLI prints about tensors, latencies and profiles. Summaries of
 * outputs (min/max/mean) are reporting on results, not model arithmetic.
 */
import type { StepTiming } from "../runtime/session.js";
import type { Tensor } from "../runtime/tensor.js";

const PREVIEW_COUNT = 8;

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(4);
  return String(Number(value.toPrecision(6)));
}

/** One line: name, dtype, dims, min/max/mean and the first few values. */
export function describeTensor(name: string, tensor: Tensor): string {
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  const head = `${name}: ${tensor.type} [${tensor.dims.join(", ")}]`;
  if (values.length === 0) return `${head} (empty)`;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  const preview = values.slice(0, PREVIEW_COUNT).map(formatNumber).join(", ");
  const more = values.length > PREVIEW_COUNT ? ", …" : "";
  const stats = `min ${formatNumber(min)}  max ${formatNumber(max)}  mean ${formatNumber(sum / values.length)}`;
  return `${head}  ${stats}  [${preview}${more}]`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function formatLatency(firstMs: number, repeatMs: readonly number[]): string {
  const first = `latency: first run ${firstMs.toFixed(3)} ms`;
  if (repeatMs.length === 0) return first;
  const min = Math.min(...repeatMs);
  return `${first}; median ${median(repeatMs).toFixed(3)} ms, min ${min.toFixed(3)} ms over ${repeatMs.length} runs`;
}

/**
 * A table of steps ordered by median time: share of the total, and achieved
 * GFLOP/s. `runs` holds one StepTiming list per profiled run, in plan order.
 */
export function formatProfile(runs: readonly (readonly StepTiming[])[]): string {
  if (runs.length === 0 || runs[0].length === 0) return "profile: no steps";
  const rows = runs[0].map((step, index) => ({ step, ms: median(runs.map((run) => run[index].milliseconds)) }));
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  rows.sort((a, b) => b.ms - a.ms);
  const lines = [`profile (median of ${runs.length} runs, ${total.toFixed(3)} ms in kernels):`];
  lines.push(`  ${"ms".padStart(9)} ${"%".padStart(6)} ${"GFLOP/s".padStart(8)}  group (ops)`);
  for (const { step, ms } of rows) {
    const share = total > 0 ? (100 * ms) / total : 0;
    const gflops = ms > 0 ? step.flops / (ms * 1e6) : 0;
    lines.push(
      `  ${ms.toFixed(3).padStart(9)} ${share.toFixed(1).padStart(6)} ${gflops.toFixed(2).padStart(8)}  ` +
        `${step.group} (${step.ops.join(", ")})`,
    );
  }
  return lines.join("\n");
}
