/**
 * An ONNX encoder, for tests and examples: describe a model as plain data,
 * get the bytes onnxruntime and Tessera read.
 *
 *   const bytes = encodeModel({
 *     opset: 17,
 *     inputs: [{ name: "x", dtype: "float32", shape: ["batch", 4] }],
 *     outputs: [{ name: "y", dtype: "float32" }],
 *     initializers: [{ name: "w", data: makeTensorData("float32", [4], new Float32Array(4)) }],
 *     nodes: [{ opType: "Mul", inputs: ["x", "w"], outputs: ["y"] }],
 *   });
 *
 * Attribute shorthands: an integral number is INT and a fractional one FLOAT,
 * a number array is INTS when every element is integral (so `[]` is INTS);
 * use `attr.float(1)` / `attr.floats([1, 2])` (src/graph/builder.ts) to force
 * floats. A string is STRING, a string array STRINGS, a TensorData TENSOR, and
 * `{ kind: "graph", value: GraphSpec }` a subgraph. A shape dim that is a
 * string is a dim_param and a null dim an unknown size; an omitted shape
 * leaves the rank unknown.
 */
import type { AttributeValue, Dim } from "../graph/ir.js";
import { type DType, dtypeBytes, onnxCodeOf } from "../support/dtype.js";
import type { TensorData } from "../support/tensor-data.js";
import { AttributeType, DataLocation, onnxTypes } from "./onnx-schema.js";

export interface ValueSpec {
  readonly name: string;
  readonly dtype: DType;
  /** Omitted or null: unknown rank. A null dim is an unknown, unnamed size. */
  readonly shape?: readonly (Dim | null)[] | null;
}

/** `{ kind: "graph" }` takes a GraphSpec here (the IR's kind "graph" holds a decoded GraphProto). */
export type AttributeInput =
  | Exclude<AttributeValue, { kind: "graph" }>
  | { readonly kind: "graph"; readonly value: GraphSpec }
  | number
  | string
  | readonly number[]
  | readonly string[]
  | TensorData;

export interface NodeSpec {
  readonly opType: string;
  /** "" marks an omitted optional input. */
  readonly inputs?: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: Readonly<Record<string, AttributeInput>>;
  readonly name?: string;
  readonly domain?: string;
}

/** How tensor contents are stored: raw_data bytes (what exporters write) or the typed fields. */
export type TensorStorage = "raw" | "typed";

export interface InitializerSpec {
  readonly name: string;
  readonly data: TensorData;
  readonly storage?: TensorStorage;
}

export interface GraphSpec {
  readonly name?: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
  /** Declared types of intermediate values. */
  readonly valueInfo?: readonly ValueSpec[];
}

export interface ModelSpec extends GraphSpec {
  /** The ai.onnx version, or versions by domain ("" is ai.onnx). */
  readonly opset: number | Readonly<Record<string, number>>;
  /** Defaults to 8 (accepted by every onnxruntime since 1.5). */
  readonly irVersion?: number;
  readonly producerName?: string;
}

export interface ExternalDataOptions {
  /** File name written into the model, relative to the model's folder. */
  readonly location: string;
  /** Initializers smaller than this many bytes stay inside the model (default 0: all go out). */
  readonly minBytes?: number;
}

/** Serializes a model. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  return encodeWith(spec, null);
}

/** Serializes a model whose initializers live in one external file; returns both files' bytes. */
export function encodeModelWithExternalData(
  spec: ModelSpec,
  options: ExternalDataOptions,
): { readonly model: Uint8Array; readonly external: Uint8Array } {
  const writer = new ExternalWriter(options);
  const model = encodeWith(spec, writer);
  return { model, external: writer.finish() };
}

/** Serializes a TensorProto (the format of the conformance tests' .pb files). */
export function encodeTensor(data: TensorData, options: { name?: string; storage?: TensorStorage } = {}): Uint8Array {
  const message = onnxTypes.TensorProto.fromObject(tensorObject(options.name ?? "", data, options.storage ?? "raw"));
  return plainBytes(onnxTypes.TensorProto.encode(message).finish());
}

// ---- plain objects in protobufjs's camelCase field names ----

type ProtoObject = Record<string, unknown>;

function encodeWith(spec: ModelSpec, external: ExternalWriter | null): Uint8Array {
  const opsets = typeof spec.opset === "number" ? { "": spec.opset } : spec.opset;
  const model: ProtoObject = {
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producerName ?? "tessera",
    graph: graphObject(spec, external),
    opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
  };
  return plainBytes(onnxTypes.ModelProto.encode(onnxTypes.ModelProto.fromObject(model)).finish());
}

/** protobufjs returns a Node Buffer under Node; callers get a plain Uint8Array view (compares equal in tests). */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function graphObject(spec: GraphSpec, external: ExternalWriter | null): ProtoObject {
  return {
    name: spec.name ?? "graph",
    node: spec.nodes.map((node, index) => nodeObject(node, index, external)),
    initializer: (spec.initializers ?? []).map((initializer) =>
      external === null || !external.wants(initializer.data)
        ? tensorObject(initializer.name, initializer.data, initializer.storage ?? "raw")
        : external.tensorObject(initializer.name, initializer.data),
    ),
    input: spec.inputs.map(valueInfoObject),
    output: spec.outputs.map(valueInfoObject),
    valueInfo: (spec.valueInfo ?? []).map(valueInfoObject),
  };
}

function nodeObject(node: NodeSpec, index: number, external: ExternalWriter | null): ProtoObject {
  return {
    input: [...(node.inputs ?? [])],
    output: [...node.outputs],
    name: node.name ?? `${node.opType}_${index}`,
    opType: node.opType,
    domain: node.domain ?? "",
    attribute: Object.entries(node.attributes ?? {}).map(([name, value]) => attributeObject(name, value, external)),
  };
}

function valueInfoObject(spec: ValueSpec): ProtoObject {
  const tensorType: ProtoObject = { elemType: onnxCodeOf(spec.dtype) };
  if (spec.shape !== undefined && spec.shape !== null) {
    tensorType.shape = {
      dim: spec.shape.map(dimensionObject),
    };
  }
  return { name: spec.name, type: { tensorType } };
}

function dimensionObject(dim: Dim | null): ProtoObject {
  if (dim === null) return {};
  return typeof dim === "number" ? { dimValue: dim } : { dimParam: dim };
}

const utf8 = new TextEncoder();

function attributeObject(name: string, input: AttributeInput, external: ExternalWriter | null): ProtoObject {
  const value = attributeValueOf(input);
  switch (value.kind) {
    case "int":
      return { name, type: AttributeType.INT, i: value.value };
    case "float":
      return { name, type: AttributeType.FLOAT, f: value.value };
    case "string":
      return { name, type: AttributeType.STRING, s: utf8.encode(value.value) };
    case "ints":
      return { name, type: AttributeType.INTS, ints: [...value.value] };
    case "floats":
      return { name, type: AttributeType.FLOATS, floats: [...value.value] };
    case "strings":
      return { name, type: AttributeType.STRINGS, strings: value.value.map((text) => utf8.encode(text)) };
    case "tensor":
      return { name, type: AttributeType.TENSOR, t: tensorObject("", value.value, "raw") };
    case "graph":
      return { name, type: AttributeType.GRAPH, g: graphObject(value.value, external) };
  }
}

type ExplicitAttribute = Exclude<AttributeInput, number | string | readonly number[] | readonly string[] | TensorData>;

function attributeValueOf(input: AttributeInput): ExplicitAttribute {
  if (typeof input === "number")
    return Number.isInteger(input) ? { kind: "int", value: input } : { kind: "float", value: input };
  if (typeof input === "string") return { kind: "string", value: input };
  if (Array.isArray(input)) return arrayAttribute(input as readonly (number | string)[]);
  if ("kind" in input) return input as ExplicitAttribute;
  return { kind: "tensor", value: input as TensorData };
}

function arrayAttribute(values: readonly (number | string)[]): ExplicitAttribute {
  if (values.every((value) => typeof value === "string")) return { kind: "strings", value: values as string[] };
  const numbers = values as number[];
  return numbers.every(Number.isInteger) ? { kind: "ints", value: numbers } : { kind: "floats", value: numbers };
}

function tensorObject(name: string, data: TensorData, storage: TensorStorage): ProtoObject {
  const header = { name, dims: [...data.shape], dataType: onnxCodeOf(data.dtype) };
  if (storage === "raw") return { ...header, rawData: rawBytes(data) };
  return { ...header, ...typedFields(data) };
}

/** Little-endian element bytes (the host is little-endian; see tensor-proto.ts). */
function rawBytes(data: TensorData): Uint8Array {
  const view = new Uint8Array(data.data.buffer, data.data.byteOffset, data.data.length * dtypeBytes(data.dtype));
  return view.slice();
}

function typedFields(data: TensorData): ProtoObject {
  const values = Array.from(data.data as ArrayLike<number | bigint>);
  switch (data.dtype) {
    case "float32":
      return { floatData: values };
    case "float64":
      return { doubleData: values };
    case "int8":
    case "uint8":
    case "int16":
    case "uint16":
    case "int32":
    case "bool":
      return { int32Data: values };
    case "int64":
      return { int64Data: values.map(String) };
    case "uint32":
    case "uint64":
      return { uint64Data: values.map(String) };
  }
}

/** Appends initializer bytes to one external blob, 64-byte aligned. */
class ExternalWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  constructor(private readonly options: ExternalDataOptions) {}

  wants(data: TensorData): boolean {
    return data.data.length * dtypeBytes(data.dtype) >= (this.options.minBytes ?? 0);
  }

  tensorObject(name: string, data: TensorData): ProtoObject {
    const bytes = rawBytes(data);
    const offset = Math.ceil(this.size / 64) * 64;
    if (offset > this.size) this.chunks.push(new Uint8Array(offset - this.size));
    this.chunks.push(bytes);
    this.size = offset + bytes.length;
    const entries = { location: this.options.location, offset: String(offset), length: String(bytes.length) };
    return {
      name,
      dims: [...data.shape],
      dataType: onnxCodeOf(data.dtype),
      dataLocation: DataLocation.EXTERNAL,
      externalData: Object.entries(entries).map(([key, value]) => ({ key, value })),
    };
  }

  finish(): Uint8Array {
    const blob = new Uint8Array(this.size);
    let position = 0;
    for (const chunk of this.chunks) {
      blob.set(chunk, position);
      position += chunk.length;
    }
    return blob;
  }
}
