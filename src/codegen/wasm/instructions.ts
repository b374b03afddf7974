/**
 * One instruction stream, two renderings: `encodeInstruction` writes the
 * binary form and `instructionText` the text form, both from the same
 * records, so the WAT that `tessera inspect` shows is exactly the code that runs.
 *
 * Calls name their callee; the module builder resolves names to function
 * indices when it serializes, so helper functions can be added in any order.
 */
import { InternalError, assert, unreachable } from "../../support/assert.js";
import type { ByteWriter } from "./encoder.js";
import {
  BLOCK_OPCODES,
  BRANCH_OPCODES,
  CALL_OPCODE,
  CONST_OPCODES,
  EMPTY_BLOCK_TYPE,
  GLOBAL_OPCODES,
  LANE_OPCODES,
  LOCAL_OPCODES,
  MEMORY_NATURAL_ALIGN,
  MEMORY_OPCODES,
  PLAIN_OPCODES,
  SHUFFLE_OPCODE,
  V128_CONST_OPCODE,
  VALUE_TYPE_CODES,
  type BlockOp,
  type BranchOp,
  type GlobalOp,
  type LaneOp,
  type LocalOp,
  type MemoryOp,
  type PlainOp,
  type ValueType,
} from "./opcodes.js";

export type Instruction =
  | { readonly kind: "plain"; readonly op: PlainOp }
  | { readonly kind: "local"; readonly op: LocalOp; readonly index: number }
  /** `alignLog2` is the alignment exponent; `offset` the constant byte offset added to the address. */
  | { readonly kind: "memory"; readonly op: MemoryOp; readonly alignLog2: number; readonly offset: number }
  | { readonly kind: "lane"; readonly op: LaneOp; readonly lane: number }
  | { readonly kind: "i32.const"; readonly value: number }
  | { readonly kind: "i64.const"; readonly value: bigint }
  | { readonly kind: "f32.const"; readonly value: number }
  | { readonly kind: "f64.const"; readonly value: number }
  /** 16 bytes, little-endian lane order. */
  | { readonly kind: "v128.const"; readonly bytes: readonly number[] }
  | { readonly kind: "shuffle"; readonly lanes: readonly number[] }
  | { readonly kind: "block"; readonly op: BlockOp; readonly result: ValueType | null }
  | { readonly kind: "branch"; readonly op: BranchOp; readonly depth: number }
  | { readonly kind: "call"; readonly target: string }
  /** Globals are named like call targets; the module builder resolves the index. */
  | { readonly kind: "global"; readonly op: GlobalOp; readonly target: string };

export const plain = (op: PlainOp): Instruction => ({ kind: "plain", op });
export const localGet = (index: number): Instruction => ({ kind: "local", op: "local.get", index });
export const localSet = (index: number): Instruction => ({ kind: "local", op: "local.set", index });
export const localTee = (index: number): Instruction => ({ kind: "local", op: "local.tee", index });
export const memory = (op: MemoryOp, alignLog2: number, offset: number): Instruction => {
  assert(Number.isInteger(offset) && offset >= 0 && offset <= 0xffffffff, `memarg offset ${offset}`);
  return { kind: "memory", op, alignLog2, offset };
};
export const lane = (op: LaneOp, index: number): Instruction => ({ kind: "lane", op, lane: index });
export const i32Const = (value: number): Instruction => ({ kind: "i32.const", value: value | 0 });
export const i64Const = (value: bigint): Instruction => ({ kind: "i64.const", value: BigInt.asIntN(64, value) });
export const f32Const = (value: number): Instruction => ({ kind: "f32.const", value: Math.fround(value) });
export const f64Const = (value: number): Instruction => ({ kind: "f64.const", value });
export const block = (op: BlockOp, result: ValueType | null = null): Instruction => ({ kind: "block", op, result });
export const branch = (op: BranchOp, depth: number): Instruction => ({ kind: "branch", op, depth });
export const call = (target: string): Instruction => ({ kind: "call", target });
export const globalGet = (target: string): Instruction => ({ kind: "global", op: "global.get", target });
export const globalSet = (target: string): Instruction => ({ kind: "global", op: "global.set", target });
export const shuffle = (lanes: readonly number[]): Instruction => {
  assert(lanes.length === 16 && lanes.every((index) => index >= 0 && index < 32), "shuffle lanes");
  return { kind: "shuffle", lanes };
};

/** A v128 constant from four f32, four i32, two f64 or two i64 lane values. */
export function v128Const(laneType: "f32" | "i32" | "f64" | "i64", values: readonly (number | bigint)[]): Instruction {
  const view = new DataView(new ArrayBuffer(16));
  const width = laneType === "f64" || laneType === "i64" ? 8 : 4;
  assert(values.length === 16 / width, `v128 const of ${values.length} ${laneType} lanes`);
  values.forEach((value, index) => {
    const at = index * width;
    if (laneType === "f32") view.setFloat32(at, Number(value), true);
    else if (laneType === "i32") view.setInt32(at, Number(value) | 0, true);
    else if (laneType === "f64") view.setFloat64(at, Number(value), true);
    else view.setBigInt64(at, BigInt.asIntN(64, BigInt(value)), true);
  });
  return { kind: "v128.const", bytes: [...new Uint8Array(view.buffer)] };
}

/** Writes one instruction; `functionIndex` resolves call targets and `globalIndex` global names. */
export function encodeInstruction(
  writer: ByteWriter,
  instruction: Instruction,
  functionIndex: (name: string) => number,
  globalIndex: (name: string) => number = unknownGlobal,
): void {
  switch (instruction.kind) {
    case "plain":
      writer.raw(PLAIN_OPCODES[instruction.op]);
      return;
    case "local":
      writer.raw(LOCAL_OPCODES[instruction.op]).u32(instruction.index);
      return;
    case "memory":
      writer.raw(MEMORY_OPCODES[instruction.op]).u32(instruction.alignLog2).u32(instruction.offset);
      return;
    case "lane":
      writer.raw(LANE_OPCODES[instruction.op]).byte(instruction.lane);
      return;
    case "i32.const":
      writer.byte(CONST_OPCODES["i32.const"]).s32(instruction.value);
      return;
    case "i64.const":
      writer.byte(CONST_OPCODES["i64.const"]).s64(instruction.value);
      return;
    case "f32.const":
      writer.byte(CONST_OPCODES["f32.const"]).f32(instruction.value);
      return;
    case "f64.const":
      writer.byte(CONST_OPCODES["f64.const"]).f64(instruction.value);
      return;
    case "v128.const":
      writer.raw(V128_CONST_OPCODE).raw(instruction.bytes);
      return;
    case "shuffle":
      writer.raw(SHUFFLE_OPCODE).raw(instruction.lanes);
      return;
    case "block":
      writer.raw(BLOCK_OPCODES[instruction.op]);
      writer.byte(instruction.result === null ? EMPTY_BLOCK_TYPE : VALUE_TYPE_CODES[instruction.result]);
      return;
    case "branch":
      writer.raw(BRANCH_OPCODES[instruction.op]).u32(instruction.depth);
      return;
    case "call":
      writer.byte(CALL_OPCODE).u32(functionIndex(instruction.target));
      return;
    case "global":
      writer.raw(GLOBAL_OPCODES[instruction.op]).u32(globalIndex(instruction.target));
      return;
    default:
      unreachable(instruction);
  }
}

/** The text form of one instruction; `localName` gives `$name` for a local index. */
export function instructionText(instruction: Instruction, localName: (index: number) => string): string {
  switch (instruction.kind) {
    case "plain":
      return instruction.op;
    case "local":
      return `${instruction.op} ${localName(instruction.index)}`;
    case "memory":
      return memoryText(instruction.op, instruction.alignLog2, instruction.offset);
    case "lane":
      return `${instruction.op} ${instruction.lane}`;
    case "i32.const":
    case "i64.const":
      return `${instruction.kind} ${instruction.value}`;
    case "f32.const":
    case "f64.const":
      return `${instruction.kind} ${floatText(instruction.value)}`;
    case "v128.const":
      return `v128.const i32x4 ${v128Words(instruction.bytes).join(" ")}`;
    case "shuffle":
      return `i8x16.shuffle ${instruction.lanes.join(" ")}`;
    case "block":
      return instruction.result === null ? instruction.op : `${instruction.op} (result ${instruction.result})`;
    case "branch":
      return `${instruction.op} ${instruction.depth}`;
    case "call":
      return `call $${instruction.target}`;
    case "global":
      return `${instruction.op} $${instruction.target}`;
    default:
      return unreachable(instruction);
  }
}

function unknownGlobal(name: string): number {
  throw new InternalError(`global ${name} used outside a module that defines it`);
}

function memoryText(op: MemoryOp, alignLog2: number, offset: number): string {
  const parts: string[] = [op];
  if (offset !== 0) parts.push(`offset=${offset}`);
  if (alignLog2 !== MEMORY_NATURAL_ALIGN[op]) parts.push(`align=${1 << alignLog2}`);
  return parts.join(" ");
}

function floatText(value: number): string {
  if (Number.isNaN(value)) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

function v128Words(bytes: readonly number[]): string[] {
  const view = new DataView(new Uint8Array(bytes).buffer);
  return [0, 4, 8, 12].map((at) => `0x${view.getUint32(at, true).toString(16).padStart(8, "0")}`);
}
