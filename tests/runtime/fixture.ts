/**
 * A hand-made compiled model for runtime tests, independent of the compiler:
 * a wasm module assembled byte by byte that imports env.memory and exports
 * f32 add kernels `(first, count)` whose buffer addresses are baked in as
 * memarg offsets, as real kernels' are.
 *
 * The model: y = (a + b) + w, with a, b: float32 [2, 3] inputs, w a weight.
 *   step 0 "add_ab": t = a + b      step 1 "add_tw": y = t + w
 */
import type { ArtifactContents } from "../../src/runtime/artifact.js";
import type { ExecutionPlan } from "../../src/runtime/plan.js";

function leb128(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...leb128(bytes.length), ...bytes];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...leb128(contents.length), ...contents];
}

function vector(items: number[][]): number[] {
  return [...leb128(items.length), ...items.flat()];
}

/** Body of `out[i] = x[i] + y[i]` (f32) for i in [first, first + count). */
function addKernelBody(x: number, y: number, out: number): number[] {
  const byteIndex = [0x20, 0x02, 0x41, 0x02, 0x74]; // local.get i; i32.const 2; i32.shl
  const code = [
    ...[0x20, 0x00, 0x21, 0x02], // i = first
    ...[0x20, 0x00, 0x20, 0x01, 0x6a, 0x21, 0x03], // end = first + count
    ...[0x02, 0x40, 0x03, 0x40], // block loop
    ...[0x20, 0x02, 0x20, 0x03, 0x4e, 0x0d, 0x01], // br_if (i >= end) out of the block
    ...byteIndex,
    ...byteIndex,
    0x2a,
    0x02,
    ...leb128(x), // f32.load offset=x
    ...byteIndex,
    0x2a,
    0x02,
    ...leb128(y), // f32.load offset=y
    0x92, // f32.add
    ...[0x38, 0x02, ...leb128(out)], // f32.store offset=out
    ...[0x20, 0x02, 0x41, 0x01, 0x6a, 0x21, 0x02], // i += 1
    ...[0x0c, 0x00, 0x0b, 0x0b, 0x0b], // br loop; end loop; end block; end function
  ];
  const body = [0x01, 0x02, 0x7f, ...code]; // locals: 2 x i32 (i, end)
  return [...leb128(body.length), ...body];
}

export interface KernelSpec {
  readonly exportName: string;
  readonly x: number;
  readonly y: number;
  readonly out: number;
}

/** A module importing env.memory (`pages` minimum) and exporting one add kernel per spec. */
export function buildAddModule(kernels: readonly KernelSpec[], pages = 1, sharedMemory = false): Uint8Array {
  const memoryLimits = sharedMemory ? [0x03, ...leb128(pages), ...leb128(pages)] : [0x00, ...leb128(pages)];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector([[0x60, 0x02, 0x7f, 0x7f, 0x00]])),
    ...section(2, vector([[...name("env"), ...name("memory"), 0x02, ...memoryLimits]])),
    ...section(3, vector(kernels.map(() => [0x00]))),
    ...section(7, vector(kernels.map((kernel, index) => [...name(kernel.exportName), 0x00, ...leb128(index)]))),
    ...section(10, vector(kernels.map((kernel) => addKernelBody(kernel.x, kernel.y, kernel.out)))),
  ]);
}

export const WEIGHT_VALUES = [0.5, -1, 2, 0, 10, -0.25];

const LAYOUT = { weights: 64, a: 128, b: 160, t: 192, y: 224 };

export function tinyPlan(overrides: Partial<ExecutionPlan> = {}): ExecutionPlan {
  return {
    version: 1,
    modelName: "tiny_add",
    memoryBytes: 65536,
    weightsOffset: LAYOUT.weights,
    weightsBytes: 24,
    arenaOffset: 128,
    arenaBytes: 128,
    scratchOffset: 256,
    scratchBytes: 0,
    inputs: [
      { name: "a", dtype: "float32", shape: [2, 3], offset: LAYOUT.a },
      { name: "b", dtype: "float32", shape: [2, 3], offset: LAYOUT.b },
    ],
    outputs: [{ name: "y", dtype: "float32", shape: [2, 3], offset: LAYOUT.y }],
    steps: [
      { kernel: "add_ab", tasks: 6, group: "fused_add_0", ops: ["Add"], flops: 6 },
      { kernel: "add_tw", tasks: 6, group: "fused_add_1", ops: ["Add"], flops: 6 },
    ],
    features: { simd: false, relaxedSimd: false, threads: false },
    ...overrides,
  };
}

/** The tiny model as compileModel would return it. */
export function tinyCompiledModel(overrides: Partial<ExecutionPlan> = {}): ArtifactContents {
  const wasm = buildAddModule([
    { exportName: "add_ab", x: LAYOUT.a, y: LAYOUT.b, out: LAYOUT.t },
    { exportName: "add_tw", x: LAYOUT.t, y: LAYOUT.weights, out: LAYOUT.y },
  ]);
  const weights = new Uint8Array(new Float32Array(WEIGHT_VALUES).buffer);
  return { wasm, plan: tinyPlan(overrides), weights };
}
