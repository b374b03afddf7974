/**
 * Decoding of ONNX protobuf bytes into the plain records of onnx-records.ts.
 *
 * Contract: decodeModel either returns a model with a graph and an opset for
 * the default domain, or throws TesseraError E_CORRUPT_MODEL. It never throws
 * anything else on bad bytes, never loops, and allocates no more than a small
 * multiple of the input size (protobufjs checks every length prefix against
 * the bytes left and bounds nesting depth; this module only copies what was
 * decoded). Semantic checks (unknown names, bad attributes) belong to the
 * importer.
 */
import type protobuf from "protobufjs";
import { InternalError } from "../support/assert.js";
import { TesseraError } from "../support/errors.js";
import { type Int64Field, int64ToBigInt, int64ToNumber } from "./int64.js";
import type {
  AttributeProto,
  DimensionProto,
  GraphProto,
  ModelProto,
  NodeProto,
  OperatorSetIdProto,
  StringStringEntryProto,
  TensorProto,
  TypeProto,
  ValueInfoProto,
} from "./onnx-records.js";
import { AttributeType, onnxTypes } from "./onnx-schema.js";

/** Decodes a serialized ModelProto; see the module contract. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const raw = decodeMessage<RawModel>(onnxTypes.ModelProto, bytes, "ONNX model");
  const graph = raw.graph;
  if (graph === null) {
    throw new TesseraError("E_CORRUPT_MODEL", "ONNX model has no graph (not an ONNX file, or truncated)");
  }
  const model = guardConversion("ONNX model", () => modelFromRaw(raw, graph));
  checkModel(model);
  return model;
}

/**
 * Runs protobufjs's decoder and turns its failures (truncation, bad wire
 * types, nesting too deep) into E_CORRUPT_MODEL.
 */
export function decodeMessage<T>(type: protobuf.Type, bytes: Uint8Array, what: string): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new TesseraError("E_CORRUPT_MODEL", `${what}: expected a Uint8Array of protobuf bytes`);
  }
  return guardConversion(what, () => type.decode(bytes) as unknown as T);
}

function guardConversion<T>(what: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (error instanceof TesseraError || error instanceof InternalError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new TesseraError("E_CORRUPT_MODEL", `${what} is not valid protobuf: ${reason}`);
  }
}

function checkModel(model: ModelProto): void {
  if (model.irVersion < 1) {
    throw new TesseraError("E_CORRUPT_MODEL", "ONNX model has no ir_version (not an ONNX file, or truncated)");
  }
  // IR version 3 introduced opset_import; older models implicitly use opset 1.
  if (model.irVersion >= 3 && model.opsetImport.length === 0) {
    throw new TesseraError("E_CORRUPT_MODEL", "ONNX model has no opset_import (truncated?)");
  }
}

// ---- protobufjs message shapes (absent fields read as the prototype defaults) ----

interface RawModel {
  readonly irVersion: Int64Field;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: Int64Field;
  readonly docString: string;
  readonly graph: RawGraph | null;
  readonly opsetImport: readonly { readonly domain: string; readonly version: Int64Field }[];
  readonly metadataProps: readonly StringStringEntryProto[];
}

interface RawGraph {
  readonly node: readonly RawNode[];
  readonly name: string;
  readonly initializer: readonly RawTensor[];
  readonly sparseInitializer: readonly unknown[];
  readonly docString: string;
  readonly input: readonly RawValueInfo[];
  readonly output: readonly RawValueInfo[];
  readonly valueInfo: readonly RawValueInfo[];
}

interface RawNode {
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly opType: string;
  readonly attribute: readonly RawAttribute[];
  readonly docString: string;
  readonly domain: string;
}

interface RawAttribute {
  readonly name: string;
  readonly f: number;
  readonly i: Int64Field;
  readonly s: Uint8Array;
  readonly t: RawTensor | null;
  readonly g: RawGraph | null;
  readonly floats: readonly number[];
  readonly ints: readonly Int64Field[];
  readonly strings: readonly Uint8Array[];
  readonly tensors: readonly RawTensor[];
  readonly graphs: readonly RawGraph[];
  readonly type: number;
  readonly refAttrName: string;
}

export interface RawTensor {
  readonly dims: readonly Int64Field[];
  readonly dataType: number;
  readonly segment: unknown;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly stringData: readonly Uint8Array[];
  readonly int64Data: readonly Int64Field[];
  readonly name: string;
  readonly rawData: Uint8Array;
  readonly doubleData: readonly number[];
  readonly uint64Data: readonly Int64Field[];
  readonly externalData: readonly StringStringEntryProto[];
  readonly dataLocation: number;
}

interface RawValueInfo {
  readonly name: string;
  readonly type: RawType | null;
}

interface RawType {
  readonly tensorType?: { readonly elemType: number; readonly shape: RawShape | null } | null;
  readonly sparseTensorType?: { readonly elemType: number } | null;
  readonly sequenceType?: { readonly elemType: RawType | null } | null;
  readonly optionalType?: { readonly elemType: RawType | null } | null;
  readonly mapType?: { readonly keyType: number; readonly valueType: RawType | null } | null;
}

interface RawShape {
  readonly dim: readonly RawDimension[];
}

interface RawDimension {
  readonly dimValue?: Int64Field;
  readonly dimParam?: string;
}

// ---- conversion to plain records ----

function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

const utf8 = new TextDecoder("utf-8");

/** Absent bytes fields read as protobufjs's default, a plain empty array. */
function decodeText(bytes: Uint8Array | readonly number[]): string {
  return bytes instanceof Uint8Array ? utf8.decode(bytes) : "";
}

function modelFromRaw(raw: RawModel, graph: RawGraph): ModelProto {
  return {
    irVersion: int64ToNumber(raw.irVersion),
    opsetImport: raw.opsetImport.map((entry): OperatorSetIdProto => ({
      domain: entry.domain,
      version: int64ToNumber(entry.version),
    })),
    producerName: raw.producerName,
    producerVersion: raw.producerVersion,
    domain: raw.domain,
    modelVersion: int64ToNumber(raw.modelVersion),
    docString: raw.docString,
    graph: graphFromRaw(graph),
    metadataProps: raw.metadataProps.map((entry) => ({ key: entry.key, value: entry.value })),
  };
}

function graphFromRaw(raw: RawGraph): GraphProto {
  return {
    name: raw.name,
    node: raw.node.map(nodeFromRaw),
    initializer: raw.initializer.map(tensorFromRaw),
    sparseInitializerCount: raw.sparseInitializer.length,
    input: raw.input.map(valueInfoFromRaw),
    output: raw.output.map(valueInfoFromRaw),
    valueInfo: raw.valueInfo.map(valueInfoFromRaw),
    docString: raw.docString,
  };
}

function nodeFromRaw(raw: RawNode): NodeProto {
  return {
    input: [...raw.input],
    output: [...raw.output],
    name: raw.name,
    opType: raw.opType,
    domain: raw.domain,
    attribute: raw.attribute.map(attributeFromRaw),
    docString: raw.docString,
  };
}

function attributeFromRaw(raw: RawAttribute): AttributeProto {
  return {
    name: raw.name,
    type: raw.type !== AttributeType.UNDEFINED ? raw.type : inferAttributeType(raw),
    refAttrName: raw.refAttrName,
    f: raw.f,
    i: int64ToNumber(raw.i),
    s: decodeText(raw.s),
    t: raw.t === null ? null : tensorFromRaw(raw.t),
    g: raw.g === null ? null : graphFromRaw(raw.g),
    floats: [...raw.floats],
    ints: raw.ints.map(int64ToNumber),
    strings: raw.strings.map(decodeText),
    tensors: raw.tensors.map(tensorFromRaw),
    graphs: raw.graphs.map(graphFromRaw),
  };
}

/** IR version 1 did not write AttributeProto.type: the set field says it. */
function inferAttributeType(raw: RawAttribute): number {
  const singular: readonly [string, number][] = [
    ["f", AttributeType.FLOAT],
    ["i", AttributeType.INT],
    ["s", AttributeType.STRING],
    ["t", AttributeType.TENSOR],
    ["g", AttributeType.GRAPH],
  ];
  for (const [field, type] of singular) if (has(raw, field)) return type;
  if (raw.floats.length > 0) return AttributeType.FLOATS;
  if (raw.ints.length > 0) return AttributeType.INTS;
  if (raw.strings.length > 0) return AttributeType.STRINGS;
  if (raw.tensors.length > 0) return AttributeType.TENSORS;
  if (raw.graphs.length > 0) return AttributeType.GRAPHS;
  return AttributeType.UNDEFINED;
}

export function tensorFromRaw(raw: RawTensor): TensorProto {
  return {
    name: raw.name,
    dims: raw.dims.map(int64ToNumber),
    dataType: raw.dataType,
    hasSegment: raw.segment !== null && raw.segment !== undefined,
    floatData: raw.floatData,
    int32Data: raw.int32Data,
    stringDataCount: raw.stringData.length,
    int64Data: raw.int64Data.map(int64ToBigInt),
    rawData: has(raw, "rawData") ? raw.rawData : null,
    doubleData: raw.doubleData,
    uint64Data: raw.uint64Data.map((value) => BigInt.asUintN(64, int64ToBigInt(value))),
    externalData: raw.externalData.map((entry) => ({ key: entry.key, value: entry.value })),
    dataLocation: raw.dataLocation,
  };
}

function valueInfoFromRaw(raw: RawValueInfo): ValueInfoProto {
  return { name: raw.name, type: raw.type === null ? null : typeFromRaw(raw.type) };
}

function typeFromRaw(raw: RawType): TypeProto {
  if (raw.tensorType) {
    const shape = raw.tensorType.shape;
    return {
      kind: "tensor",
      elemType: raw.tensorType.elemType,
      shape: shape === null ? null : shape.dim.map(dimensionFromRaw),
    };
  }
  if (raw.sequenceType) return { kind: "sequence", elemType: optionalType(raw.sequenceType.elemType) };
  if (raw.optionalType) return { kind: "optional", elemType: optionalType(raw.optionalType.elemType) };
  if (raw.mapType) {
    return { kind: "map", keyType: raw.mapType.keyType, valueType: optionalType(raw.mapType.valueType) };
  }
  if (raw.sparseTensorType) return { kind: "sparse_tensor", elemType: raw.sparseTensorType.elemType };
  return { kind: "none" };
}

function optionalType(raw: RawType | null): TypeProto | null {
  return raw === null ? null : typeFromRaw(raw);
}

function dimensionFromRaw(raw: RawDimension): DimensionProto {
  if (has(raw, "dimValue") && raw.dimValue !== undefined) return { kind: "value", value: int64ToNumber(raw.dimValue) };
  if (has(raw, "dimParam") && raw.dimParam !== undefined && raw.dimParam !== "") {
    return { kind: "param", name: raw.dimParam };
  }
  return { kind: "unknown" };
}
