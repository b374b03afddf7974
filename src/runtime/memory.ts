/**
 * The one WebAssembly.Memory a session runs in (layout in plan.ts), and the
 * byte copies between it and host tensors. Copies go through Uint8Array views
 * so any dtype moves the same way; no element arithmetic happens here.
 */
import type { ExecutionPlan, TensorSlot } from "./plan.js";
import { Tensor } from "./tensor.js";
import { allocateTypedArray, dtypeBytes } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";

const PAGE_BYTES = 65536;

export function slotBytes(slot: TensorSlot): number {
  return slot.shape.reduce((product, dim) => product * dim, 1) * dtypeBytes(slot.dtype);
}

/**
 * Checks that every region the plan names lies inside its memory, so a
 * corrupt plan fails with E_BAD_ARTIFACT rather than a RangeError mid-run.
 */
export function checkPlanLayout(plan: ExecutionPlan): void {
  const regions: [string, number, number][] = [
    ["weights", plan.weightsOffset, plan.weightsBytes],
    ["arena", plan.arenaOffset, plan.arenaBytes],
    ["scratch", plan.scratchOffset, plan.scratchBytes],
    ...[...plan.inputs, ...plan.outputs].map((slot): [string, number, number] => [
      `tensor '${slot.name}'`,
      slot.offset,
      slotBytes(slot),
    ]),
  ];
  for (const [what, offset, bytes] of regions) {
    const sound = Number.isInteger(offset) && Number.isInteger(bytes) && offset >= 0 && bytes >= 0;
    if (!sound || offset + bytes > plan.memoryBytes) {
      throw new TesseraError(
        "E_BAD_ARTIFACT",
        `the plan puts ${what} at [${offset}, +${bytes}), outside its ${plan.memoryBytes}-byte memory`,
      );
    }
  }
}

/** Bytes of memory `plan` needs when `threads` threads each have their own scratch copy (see plan.ts). */
export function memoryBytesFor(plan: ExecutionPlan, threads: number): number {
  return Math.max(plan.memoryBytes, plan.scratchOffset + threads * plan.scratchBytes);
}

/**
 * Creates the memory for `plan` run on `threads` threads; shared, with its
 * maximum equal to its size (so nothing more is reserved), when the module
 * uses threads.
 */
export function createMemory(plan: ExecutionPlan, threads = 1): WebAssembly.Memory {
  const pages = Math.max(1, Math.ceil(memoryBytesFor(plan, threads) / PAGE_BYTES));
  if (plan.features.threads) return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  return new WebAssembly.Memory({ initial: pages });
}

/**
 * Writes zeros over everything after the weights (arena and scratch), so the
 * host maps those pages while the session loads rather than inside the first
 * run's kernels (mobilenet_v2's first run at 1 thread: 21.7 → 19.2 ms, 18.5
 * steady).
 */
export function mapActivationPages(memory: WebAssembly.Memory, plan: ExecutionPlan): void {
  new Uint8Array(memory.buffer, plan.arenaOffset).fill(0);
}

export function writeBytes(memory: WebAssembly.Memory, offset: number, bytes: Uint8Array): void {
  new Uint8Array(memory.buffer, offset, bytes.byteLength).set(bytes);
}

export function writeTensor(memory: WebAssembly.Memory, slot: TensorSlot, tensor: Tensor): void {
  const data = tensor.data;
  writeBytes(memory, slot.offset, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Copies a slot out of memory into a fresh Tensor that owns its data. */
export function readTensor(memory: WebAssembly.Memory, slot: TensorSlot): Tensor {
  const size = slot.shape.reduce((product, dim) => product * dim, 1);
  const data = allocateTypedArray(slot.dtype, size);
  new Uint8Array(data.buffer).set(new Uint8Array(memory.buffer, slot.offset, data.byteLength));
  return new Tensor(slot.dtype, data, slot.shape);
}
