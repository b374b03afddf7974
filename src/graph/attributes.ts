/**
 * Typed attribute access for op definitions. A wrong attribute kind is a user
 * error that names the node.
 */
import { TesseraError } from "../support/errors.js";
import type { TensorData } from "../support/tensor-data.js";
import type { AttributeValue, Node } from "./ir.js";

export class Attributes {
  constructor(private readonly node: Node) {}

  has(name: string): boolean {
    return this.node.attributes.has(name);
  }

  int(name: string, fallback?: number): number {
    return this.read(name, "int", fallback);
  }
  float(name: string, fallback?: number): number {
    const value = this.node.attributes.get(name);
    if (value?.kind === "int") return value.value;
    return this.read(name, "float", fallback);
  }
  string(name: string, fallback?: string): string {
    return this.read(name, "string", fallback);
  }
  ints(name: string, fallback?: readonly number[]): readonly number[] {
    return this.read(name, "ints", fallback);
  }
  floats(name: string, fallback?: readonly number[]): readonly number[] {
    return this.read(name, "floats", fallback);
  }
  strings(name: string, fallback?: readonly string[]): readonly string[] {
    return this.read(name, "strings", fallback);
  }
  tensor(name: string, fallback?: TensorData): TensorData {
    return this.read(name, "tensor", fallback);
  }

  private read<K extends AttributeValue["kind"]>(
    name: string,
    kind: K,
    fallback: AttributeOf<K> | undefined,
  ): AttributeOf<K> {
    const value = this.node.attributes.get(name);
    if (value === undefined) {
      if (fallback !== undefined) return fallback as AttributeOf<K>;
      throw new TesseraError("E_INVALID_MODEL", `required attribute '${name}' is missing`, locationOf(this.node));
    }
    if (value.kind !== kind) {
      throw new TesseraError(
        "E_INVALID_MODEL",
        `attribute '${name}' should be ${kind}, got ${value.kind}`,
        locationOf(this.node),
      );
    }
    return value.value as AttributeOf<K>;
  }
}

type AttributeOf<K extends AttributeValue["kind"]> = Extract<AttributeValue, { kind: K }>["value"];

/** The error location of a node, for TesseraError. */
export function locationOf(node: Node): { nodeName: string; opType: string; opset: number } {
  return { nodeName: node.name, opType: node.opType, opset: node.opset };
}
