/**
 * AttributeProto → graph IR AttributeValue, and the contents of Constant
 * nodes. Subgraph attributes (If/Loop/Scan bodies) are kept as the decoded
 * GraphProto record under kind "graph"; the importer does not lower them.
 */
import type { AttributeValue } from "../graph/ir.js";
import { type ErrorLocation, TesseraError } from "../support/errors.js";
import { type TensorData, makeTensorData } from "../support/tensor-data.js";
import { numberToInt64 } from "./int64.js";
import type { AttributeProto, NodeProto } from "./onnx-records.js";
import { AttributeType } from "./onnx-schema.js";
import { type ExternalDataReader, tensorDataFromProto } from "./tensor-proto.js";

export interface AttributeContext {
  readonly readExternal?: ExternalDataReader;
  /** The node the attributes belong to, for error messages. */
  readonly location: ErrorLocation;
}

/** Converts all attributes of a node; a repeated name is E_INVALID_MODEL. */
export function convertAttributes(node: NodeProto, context: AttributeContext): Map<string, AttributeValue> {
  const attributes = new Map<string, AttributeValue>();
  for (const attribute of node.attribute) {
    if (attributes.has(attribute.name)) {
      throw new TesseraError("E_INVALID_MODEL", `attribute '${attribute.name}' is given twice`, context.location);
    }
    attributes.set(attribute.name, convertAttribute(attribute, context));
  }
  return attributes;
}

function convertAttribute(attribute: AttributeProto, context: AttributeContext): AttributeValue {
  if (attribute.refAttrName !== "") {
    throw new TesseraError(
      "E_INVALID_MODEL",
      `attribute '${attribute.name}' refers to a function attribute, which is only legal inside functions`,
      context.location,
    );
  }
  switch (attribute.type) {
    case AttributeType.FLOAT:
      return { kind: "float", value: attribute.f };
    case AttributeType.INT:
      return { kind: "int", value: attribute.i };
    case AttributeType.STRING:
      return { kind: "string", value: attribute.s };
    case AttributeType.FLOATS:
      return { kind: "floats", value: attribute.floats };
    case AttributeType.INTS:
      return { kind: "ints", value: attribute.ints };
    case AttributeType.STRINGS:
      return { kind: "strings", value: attribute.strings };
    case AttributeType.TENSOR:
      return { kind: "tensor", value: attributeTensor(attribute, context) };
    case AttributeType.GRAPH:
      if (attribute.g === null) throw missingValue(attribute, context);
      return { kind: "graph", value: attribute.g };
    case AttributeType.UNDEFINED:
      throw missingValue(attribute, context);
    default:
      throw new TesseraError(
        "E_UNSUPPORTED_ATTRIBUTE",
        `attribute '${attribute.name}' has type ${attributeTypeName(attribute.type)}, which Tessera does not support`,
        context.location,
      );
  }
}

function attributeTensor(attribute: AttributeProto, context: AttributeContext): TensorData {
  if (attribute.t === null) throw missingValue(attribute, context);
  const where = ` in attribute '${attribute.name}'${context.location.nodeName ? ` of node '${context.location.nodeName}'` : ""}`;
  return tensorDataFromProto(attribute.t, { readExternal: context.readExternal, where });
}

function missingValue(attribute: AttributeProto, context: AttributeContext): TesseraError {
  return new TesseraError("E_INVALID_MODEL", `attribute '${attribute.name}' has no value`, context.location);
}

function attributeTypeName(type: number): string {
  const entry = Object.entries(AttributeType).find(([, code]) => code === type);
  return entry === undefined ? `code ${type}` : entry[0];
}

/**
 * The tensor a Constant node produces, from whichever of its value attributes
 * is set. value_int(s) become int64 (clamped to the int64 range: attribute
 * ints are JS numbers), value_float(s) float32.
 */
export function constantNodeValue(
  attributes: ReadonlyMap<string, AttributeValue>,
  location: ErrorLocation,
): TensorData {
  const present = [...attributes.keys()].filter((name) => name.startsWith("value") || name === "sparse_value");
  if (present.length !== 1) {
    const found = present.length === 0 ? "none" : present.join(", ");
    throw new TesseraError("E_INVALID_MODEL", `a Constant needs exactly one value attribute, found ${found}`, location);
  }
  const name = present[0]!;
  const value = attributes.get(name)!;
  if (name === "value_string" || name === "value_strings") {
    throw new TesseraError(
      "E_UNSUPPORTED_DTYPE",
      `Constant '${name}' holds strings, which Tessera does not support`,
      location,
    );
  }
  const data = constantFromAttribute(name, value);
  if (data === null) {
    throw new TesseraError(
      "E_INVALID_MODEL",
      `Constant attribute '${name}' has the wrong kind ${value.kind}`,
      location,
    );
  }
  return data;
}

function constantFromAttribute(name: string, value: AttributeValue): TensorData | null {
  if (name === "value" && value.kind === "tensor") return value.value;
  if (name === "value_float" && value.kind === "float")
    return makeTensorData("float32", [], Float32Array.of(value.value));
  if (name === "value_floats" && value.kind === "floats") return floatVector(value.value);
  if (name === "value_int" && value.kind === "int") {
    return makeTensorData("int64", [], BigInt64Array.of(numberToInt64(value.value)));
  }
  if (name === "value_ints" && value.kind === "ints") return intVector(value.value);
  return null;
}

/** A float32 1-D tensor. */
export function floatVector(values: readonly number[]): TensorData {
  return makeTensorData("float32", [values.length], Float32Array.from(values));
}

/** An int64 1-D tensor from attribute ints (clamped to the int64 range). */
export function intVector(values: readonly number[]): TensorData {
  return makeTensorData("int64", [values.length], BigInt64Array.from(values, numberToInt64));
}
