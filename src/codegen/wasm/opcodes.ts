/**
 * Opcodes Tessera emits, keyed by their text-format mnemonic, so the binary
 * writer and the WAT printer read one table and cannot disagree.
 *
 * Encodings: MVP opcodes are one byte; saturating truncations use the 0xFC
 * prefix, SIMD128 (and relaxed SIMD) the 0xFD prefix, atomics 0xFE, each
 * followed by a LEB128 sub-opcode (so f32x4.relaxed_madd = FD 85 02).
 */
import { encodeUnsignedLeb } from "./encoder.js";

const simd = (code: number): readonly number[] => [0xfd, ...encodeUnsignedLeb(BigInt(code))];
const misc = (code: number): readonly number[] => [0xfc, ...encodeUnsignedLeb(BigInt(code))];
const atomic = (code: number): readonly number[] => [0xfe, ...encodeUnsignedLeb(BigInt(code))];

/** Instructions without immediates. */
export const PLAIN_OPCODES = {
  unreachable: [0x00],
  nop: [0x01],
  else: [0x05],
  end: [0x0b],
  return: [0x0f],
  drop: [0x1a],
  select: [0x1b],
  "i32.eqz": [0x45], "i32.eq": [0x46], "i32.ne": [0x47], "i32.lt_s": [0x48], "i32.lt_u": [0x49],
  "i32.gt_s": [0x4a], "i32.gt_u": [0x4b], "i32.le_s": [0x4c], "i32.le_u": [0x4d], "i32.ge_s": [0x4e], "i32.ge_u": [0x4f],
  "i64.eqz": [0x50], "i64.eq": [0x51], "i64.ne": [0x52], "i64.lt_s": [0x53], "i64.lt_u": [0x54],
  "i64.gt_s": [0x55], "i64.gt_u": [0x56], "i64.le_s": [0x57], "i64.le_u": [0x58], "i64.ge_s": [0x59], "i64.ge_u": [0x5a],
  "f32.eq": [0x5b], "f32.ne": [0x5c], "f32.lt": [0x5d], "f32.gt": [0x5e], "f32.le": [0x5f], "f32.ge": [0x60],
  "f64.eq": [0x61], "f64.ne": [0x62], "f64.lt": [0x63], "f64.gt": [0x64], "f64.le": [0x65], "f64.ge": [0x66],
  "i32.clz": [0x67], "i32.ctz": [0x68], "i32.popcnt": [0x69], "i32.add": [0x6a], "i32.sub": [0x6b], "i32.mul": [0x6c],
  "i32.div_s": [0x6d], "i32.div_u": [0x6e], "i32.rem_s": [0x6f], "i32.rem_u": [0x70], "i32.and": [0x71], "i32.or": [0x72],
  "i32.xor": [0x73], "i32.shl": [0x74], "i32.shr_s": [0x75], "i32.shr_u": [0x76],
  "i64.add": [0x7c], "i64.sub": [0x7d], "i64.mul": [0x7e], "i64.div_s": [0x7f], "i64.div_u": [0x80],
  "i64.rem_s": [0x81], "i64.rem_u": [0x82], "i64.and": [0x83], "i64.or": [0x84], "i64.xor": [0x85],
  "i64.shl": [0x86], "i64.shr_s": [0x87], "i64.shr_u": [0x88],
  "f32.abs": [0x8b], "f32.neg": [0x8c], "f32.ceil": [0x8d], "f32.floor": [0x8e], "f32.trunc": [0x8f], "f32.nearest": [0x90],
  "f32.sqrt": [0x91], "f32.add": [0x92], "f32.sub": [0x93], "f32.mul": [0x94], "f32.div": [0x95], "f32.min": [0x96],
  "f32.max": [0x97], "f32.copysign": [0x98],
  "f64.abs": [0x99], "f64.neg": [0x9a], "f64.ceil": [0x9b], "f64.floor": [0x9c], "f64.trunc": [0x9d], "f64.nearest": [0x9e],
  "f64.sqrt": [0x9f], "f64.add": [0xa0], "f64.sub": [0xa1], "f64.mul": [0xa2], "f64.div": [0xa3], "f64.min": [0xa4],
  "f64.max": [0xa5], "f64.copysign": [0xa6],
  "i32.wrap_i64": [0xa7], "i64.extend_i32_s": [0xac], "i64.extend_i32_u": [0xad],
  "f32.convert_i32_s": [0xb2], "f32.convert_i32_u": [0xb3], "f32.convert_i64_s": [0xb4], "f32.convert_i64_u": [0xb5],
  "f32.demote_f64": [0xb6], "f64.convert_i32_s": [0xb7], "f64.convert_i32_u": [0xb8], "f64.convert_i64_s": [0xb9],
  "f64.convert_i64_u": [0xba], "f64.promote_f32": [0xbb],
  "i32.reinterpret_f32": [0xbc], "i64.reinterpret_f64": [0xbd], "f32.reinterpret_i32": [0xbe], "f64.reinterpret_i64": [0xbf],
  "i32.extend8_s": [0xc0], "i32.extend16_s": [0xc1],
  "i32.trunc_sat_f32_s": misc(0), "i32.trunc_sat_f32_u": misc(1), "i32.trunc_sat_f64_s": misc(2), "i32.trunc_sat_f64_u": misc(3),
  "i64.trunc_sat_f32_s": misc(4), "i64.trunc_sat_f32_u": misc(5), "i64.trunc_sat_f64_s": misc(6), "i64.trunc_sat_f64_u": misc(7),
  "i32x4.splat": simd(0x11), "i64x2.splat": simd(0x12), "f32x4.splat": simd(0x13), "f64x2.splat": simd(0x14),
  "i32x4.eq": simd(0x37), "i32x4.ne": simd(0x38), "i32x4.lt_s": simd(0x39), "i32x4.lt_u": simd(0x3a), "i32x4.gt_s": simd(0x3b),
  "i32x4.gt_u": simd(0x3c), "i32x4.le_s": simd(0x3d), "i32x4.le_u": simd(0x3e), "i32x4.ge_s": simd(0x3f), "i32x4.ge_u": simd(0x40),
  "f32x4.eq": simd(0x41), "f32x4.ne": simd(0x42), "f32x4.lt": simd(0x43), "f32x4.gt": simd(0x44), "f32x4.le": simd(0x45), "f32x4.ge": simd(0x46),
  "f64x2.eq": simd(0x47), "f64x2.ne": simd(0x48), "f64x2.lt": simd(0x49), "f64x2.gt": simd(0x4a), "f64x2.le": simd(0x4b), "f64x2.ge": simd(0x4c),
  "v128.not": simd(0x4d), "v128.and": simd(0x4e), "v128.andnot": simd(0x4f), "v128.or": simd(0x50), "v128.xor": simd(0x51),
  "v128.bitselect": simd(0x52), "v128.any_true": simd(0x53),
  "f32x4.demote_f64x2_zero": simd(0x5e), "f64x2.promote_low_f32x4": simd(0x5f),
  "f32x4.ceil": simd(0x67), "f32x4.floor": simd(0x68), "f32x4.trunc": simd(0x69), "f32x4.nearest": simd(0x6a),
  "f64x2.ceil": simd(0x74), "f64x2.floor": simd(0x75), "f64x2.trunc": simd(0x7a), "f64x2.nearest": simd(0x94),
  "i32x4.abs": simd(0xa0), "i32x4.neg": simd(0xa1), "i32x4.all_true": simd(0xa3), "i32x4.bitmask": simd(0xa4),
  "i32x4.shl": simd(0xab), "i32x4.shr_s": simd(0xac), "i32x4.shr_u": simd(0xad), "i32x4.add": simd(0xae), "i32x4.sub": simd(0xb1),
  "i32x4.mul": simd(0xb5), "i32x4.min_s": simd(0xb6), "i32x4.min_u": simd(0xb7), "i32x4.max_s": simd(0xb8), "i32x4.max_u": simd(0xb9),
  "i64x2.shl": simd(0xcb), "i64x2.shr_s": simd(0xcc), "i64x2.shr_u": simd(0xcd), "i64x2.add": simd(0xce), "i64x2.sub": simd(0xd1),
  "i64x2.eq": simd(0xd6), "i64x2.ne": simd(0xd7),
  "f32x4.abs": simd(0xe0), "f32x4.neg": simd(0xe1), "f32x4.sqrt": simd(0xe3), "f32x4.add": simd(0xe4), "f32x4.sub": simd(0xe5),
  "f32x4.mul": simd(0xe6), "f32x4.div": simd(0xe7), "f32x4.min": simd(0xe8), "f32x4.max": simd(0xe9),
  "f64x2.abs": simd(0xec), "f64x2.neg": simd(0xed), "f64x2.sqrt": simd(0xef), "f64x2.add": simd(0xf0), "f64x2.sub": simd(0xf1),
  "f64x2.mul": simd(0xf2), "f64x2.div": simd(0xf3), "f64x2.min": simd(0xf4), "f64x2.max": simd(0xf5),
  "i32x4.trunc_sat_f32x4_s": simd(0xf8), "i32x4.trunc_sat_f32x4_u": simd(0xf9),
  "f32x4.convert_i32x4_s": simd(0xfa), "f32x4.convert_i32x4_u": simd(0xfb),
  "f32x4.relaxed_madd": simd(0x105), "f64x2.relaxed_madd": simd(0x107),
} as const satisfies Record<string, readonly number[]>;

/** Loads and stores: a memarg (alignment exponent, byte offset) follows the opcode. */
export const MEMORY_OPCODES = {
  "i32.load": [0x28], "i64.load": [0x29], "f32.load": [0x2a], "f64.load": [0x2b],
  "i32.load8_s": [0x2c], "i32.load8_u": [0x2d], "i32.load16_s": [0x2e], "i32.load16_u": [0x2f],
  "i32.store": [0x36], "i64.store": [0x37], "f32.store": [0x38], "f64.store": [0x39],
  "i32.store8": [0x3a], "i32.store16": [0x3b],
  "v128.load": simd(0x00), "v128.load32_splat": simd(0x09), "v128.store": simd(0x0b),
  "memory.atomic.notify": atomic(0x00),
} as const satisfies Record<string, readonly number[]>;

/** SIMD lane accessors: a lane index byte follows the opcode. */
export const LANE_OPCODES = {
  "i32x4.extract_lane": simd(0x1b), "i32x4.replace_lane": simd(0x1c),
  "i64x2.extract_lane": simd(0x1d), "i64x2.replace_lane": simd(0x1e),
  "f32x4.extract_lane": simd(0x1f), "f32x4.replace_lane": simd(0x20),
  "f64x2.extract_lane": simd(0x21), "f64x2.replace_lane": simd(0x22),
} as const satisfies Record<string, readonly number[]>;

/** Natural alignment exponent of each memory access (the largest legal `align`). */
export const MEMORY_NATURAL_ALIGN: Readonly<Record<keyof typeof MEMORY_OPCODES, number>> = {
  "i32.load": 2, "i64.load": 3, "f32.load": 2, "f64.load": 3,
  "i32.load8_s": 0, "i32.load8_u": 0, "i32.load16_s": 1, "i32.load16_u": 1,
  "i32.store": 2, "i64.store": 3, "f32.store": 2, "f64.store": 3, "i32.store8": 0, "i32.store16": 1,
  "v128.load": 4, "v128.load32_splat": 2, "v128.store": 4, "memory.atomic.notify": 2,
};

export const LOCAL_OPCODES = { "local.get": [0x20], "local.set": [0x21], "local.tee": [0x22] } as const;
export const BLOCK_OPCODES = { block: [0x02], loop: [0x03], if: [0x04] } as const;
export const BRANCH_OPCODES = { br: [0x0c], br_if: [0x0d] } as const;
export const CALL_OPCODE = 0x10;
export const CONST_OPCODES = { "i32.const": 0x41, "i64.const": 0x42, "f32.const": 0x43, "f64.const": 0x44 } as const;
export const V128_CONST_OPCODE = simd(0x0c);
export const SHUFFLE_OPCODE = simd(0x0d);

export type PlainOp = keyof typeof PLAIN_OPCODES;
export type MemoryOp = keyof typeof MEMORY_OPCODES;
export type LaneOp = keyof typeof LANE_OPCODES;
export type LocalOp = keyof typeof LOCAL_OPCODES;
export type BlockOp = keyof typeof BLOCK_OPCODES;
export type BranchOp = keyof typeof BRANCH_OPCODES;

/** Value types and their binary codes. */
export type ValueType = "i32" | "i64" | "f32" | "f64" | "v128";
export const VALUE_TYPE_CODES: Readonly<Record<ValueType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
/** The block type byte for a block without results. */
export const EMPTY_BLOCK_TYPE = 0x40;
