/**
 * A growable byte writer for the WebAssembly binary format: LEB128 integers
 * (32- and 64-bit, signed and unsigned, numbers or bigints), little-endian
 * IEEE floats, UTF-8 names, vectors and sections.
 *
 * Contract: every write appends; `bytes()` returns a copy of what was
 * written so far. Integer writers assert their input fits the stated width,
 * so an encoding bug fails at compile time instead of producing a module
 * that the engine rejects with a less helpful message.
 */
import { assert } from "../../support/assert.js";

const TEXT_ENCODER = new TextEncoder();

export class ByteWriter {
  private buffer: Uint8Array<ArrayBuffer> = new Uint8Array(256);
  private length = 0;

  get size(): number {
    return this.length;
  }

  byte(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xff, `byte ${value}`);
    this.reserve(1);
    this.buffer[this.length++] = value;
    return this;
  }

  raw(bytes: ArrayLike<number>): this {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
    return this;
  }

  /** Unsigned LEB128 of a 32-bit value. */
  u32(value: number): this {
    assert(Number.isInteger(value) && value >= 0 && value <= 0xffffffff, `u32 ${value}`);
    return this.raw(encodeUnsignedLeb(BigInt(value)));
  }

  /** Signed LEB128 of a 32-bit value (uint32 values above 2^31 are taken as their two's complement). */
  s32(value: number): this {
    assert(Number.isInteger(value) && value >= -0x80000000 && value <= 0xffffffff, `s32 ${value}`);
    return this.raw(encodeSignedLeb(BigInt(value | 0)));
  }

  /** Signed LEB128 of a 64-bit value (uint64 values above 2^63 are taken as their two's complement). */
  s64(value: bigint): this {
    assert(value >= -(1n << 63n) && value < 1n << 64n, `s64 ${value}`);
    return this.raw(encodeSignedLeb(BigInt.asIntN(64, value)));
  }

  /** Unsigned LEB128 of a 64-bit value. */
  u64(value: bigint): this {
    assert(value >= 0n && value < 1n << 64n, `u64 ${value}`);
    return this.raw(encodeUnsignedLeb(value));
  }

  f32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    return this.raw(new Uint8Array(view.buffer));
  }

  f64(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    return this.raw(new Uint8Array(view.buffer));
  }

  /** A name: its UTF-8 byte length, then the bytes. */
  name(text: string): this {
    const encoded = TEXT_ENCODER.encode(text);
    return this.u32(encoded.length).raw(encoded);
  }

  /** A vector: the element count, then each element written by `writeElement`. */
  vector<T>(items: readonly T[], writeElement: (writer: this, item: T, index: number) => void): this {
    this.u32(items.length);
    items.forEach((item, index) => writeElement(this, item, index));
    return this;
  }

  /** A section or subsection: its id byte, then the content's byte size, then the content. */
  section(id: number, content: ByteWriter): this {
    return this.byte(id).u32(content.size).raw(content.bytes());
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }
}

export function encodeUnsignedLeb(value: bigint): number[] {
  assert(value >= 0n, "unsigned LEB of a negative value");
  const out: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest !== 0n) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0n);
  return out;
}

export function encodeSignedLeb(value: bigint): number[] {
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = Number(rest & 0x7fn);
    rest >>= 7n;
    const signBitClear = (byte & 0x40) === 0;
    if ((rest === 0n && signBitClear) || (rest === -1n && !signBitClear)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
