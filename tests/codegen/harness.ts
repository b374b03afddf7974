/**
 * Test harness: lays buffers out in a fresh memory, emits and instantiates a
 * module of kernels, and reads/writes buffers as typed arrays.
 */
import assert from "node:assert/strict";
import type { Buffer, For, Kernel, Stmt, Store, Assign, Seq, IfThenElse, LoopAnnotation } from "../../src/loop/ir.js";
import { makeBuffer } from "../../src/loop/ir.js";
import type { Expr, Var } from "../../src/te/expr.js";
import { constant, int, load, makeVar, mul, ramp } from "../../src/te/expr.js";
import {
  allocateTypedArray,
  dtypeBytes,
  typedArrayFromBytes,
  type DType,
  type TypedArray,
} from "../../src/support/dtype.js";
import { emitModule } from "../../src/codegen/emit-module.js";
import { encodeModel } from "../../src/onnx/encode-model.js";
import { makeTensorData } from "../../src/support/tensor-data.js";
import { lowerModel } from "../../src/compiler/compile-model.js";
import { pseudoRandom } from "../support/random.js";

export function forLoop(loopVar: Var, extent: number | Expr, body: Stmt, annotation: LoopAnnotation = "serial"): For {
  const extentExpr = typeof extent === "number" ? constant(extent) : extent;
  return { kind: "for", loopVar, extent: extentExpr, annotation, body };
}
export const store = (buffer: Buffer, index: Expr, value: Expr): Store => ({ kind: "store", buffer, index, value });
export const assign = (target: Var, value: Expr): Assign => ({ kind: "assign", target, value });
export const seq = (...body: Stmt[]): Seq => ({ kind: "seq", body });
export const ifThen = (cond: Expr, then: Stmt, otherwise: Stmt | null = null): IfThenElse => ({
  kind: "if",
  cond,
  then,
  otherwise,
});

export function kernelOf(name: string, body: Stmt, buffers: readonly Buffer[]): Kernel {
  const taskExtent =
    body.kind === "for" && body.annotation === "parallel" && body.extent.kind === "const"
      ? Number(body.extent.value)
      : 1;
  return { name, body, taskExtent, buffers, flops: 0 };
}

export interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly exports: Record<string, (first: number, count: number) => void>;
  readonly bytes: Uint8Array;
  view(buffer: Buffer): TypedArray;
  write(buffer: Buffer, values: ArrayLike<number | bigint>): void;
  read(buffer: Buffer): (number | bigint)[];
}

export interface InstantiateOptions {
  readonly relaxedSimd?: boolean;
}

/** Places every buffer of every kernel 64-byte aligned after a 64-byte null area. */
export function instantiate(kernels: readonly Kernel[], options: InstantiateOptions = {}): Instance {
  const addresses = new Map<number, number>();
  let next = 64;
  for (const kernel of kernels) {
    for (const buffer of kernel.buffers) {
      if (addresses.has(buffer.id)) continue;
      addresses.set(buffer.id, next);
      next += Math.ceil((buffer.size * dtypeBytes(buffer.dtype)) / 64) * 64 + 64;
    }
  }
  const pages = Math.max(1, Math.ceil(next / 65536));
  const addressOf = (buffer: Buffer): number => {
    const address = addresses.get(buffer.id);
    assert.ok(address !== undefined, `no address for ${buffer.name}`);
    return address;
  };
  const bytes = emitModule({ kernels, addressOf, memoryPages: pages, relaxedSimd: options.relaxedSimd });
  assert.ok(WebAssembly.validate(bytes), "module must validate");
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const view = (buffer: Buffer): TypedArray =>
    typedArrayFromBytes(
      buffer.dtype,
      new Uint8Array(memory.buffer, addressOf(buffer), buffer.size * dtypeBytes(buffer.dtype)),
      buffer.size,
    );
  return {
    memory,
    exports: instance.exports as unknown as Instance["exports"],
    bytes,
    view,
    write(buffer, values) {
      const target = view(buffer);
      const source = allocateTypedArray(buffer.dtype, buffer.size);
      for (let index = 0; index < values.length; index++) {
        (source as unknown as (number | bigint)[])[index] = values[index] as never;
      }
      target.set(source as never);
    },
    read(buffer) {
      return Array.from(view(buffer) as ArrayLike<number | bigint>);
    },
  };
}

export interface MapInput {
  readonly dtype: DType;
  readonly values: readonly (number | bigint)[];
}

/**
 * Runs `out[i] = body(in0[i], in1[i], ...)` over all elements, scalar or
 * vectorized by 4 (contiguous ramps), and returns `out`.
 */
export function runMap(
  inputs: readonly MapInput[],
  output: DType,
  body: (...reads: Expr[]) => Expr,
  vector = false,
): (number | bigint)[] {
  const count = inputs[0].values.length;
  const size = Math.ceil(count / 4) * 4;
  const buffers = inputs.map((input, index) => makeBuffer(`in${index}`, input.dtype, size, "global"));
  const result = makeBuffer("out", output, size, "global");
  const index = makeVar("i");
  const lanes = vector ? ramp(mul(index, int(4)), 1, 4) : index;
  const value = body(...buffers.map((buffer) => load(buffer, lanes)));
  const loop = forLoop(index, vector ? size / 4 : size, store(result, lanes, value), "parallel");
  const kernel = kernelOf(vector ? "map_vector" : "map_scalar", loop, [...buffers, result]);
  const instance = instantiate([kernel]);
  inputs.forEach((input, position) => instance.write(buffers[position], input.values));
  instance.exports[kernel.name](0, kernel.taskExtent);
  return instance.read(result).slice(0, count);
}

/**
 * The single kernel of Y = A·B, A: [rows, depth] input, B: [depth, columns]
 * constant: a 4×8 micro-kernel with a `depth`-step k loop. The default B
 * (4 KB) stays cached, so the row blocks are the outer loop; a B over 32 KB
 * puts the weight panels outside the row blocks.
 */
export function matmulKernel({ rows = 8, depth = 64, columns = 16 } = {}): Kernel {
  const bytes = encodeModel({
    opset: 17,
    inputs: [{ name: "a", dtype: "float32", shape: [rows, depth] }],
    outputs: [{ name: "y", dtype: "float32", shape: null }],
    nodes: [{ opType: "MatMul", inputs: ["a", "b"], outputs: ["y"] }],
    initializers: [{ name: "b", data: makeTensorData("float32", [depth, columns], pseudoRandom(depth * columns, 3)) }],
  });
  return lowerModel({ bytes }).steps[0]!.kernel;
}
