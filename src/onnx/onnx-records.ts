/**
 * Plain, readonly records of a decoded ONNX model: what decodeModel returns.
 *
 * They mirror onnx.proto message by message (camelCase field names) with two
 * differences that make them safe to consume:
 * - int64 fields that are sizes, attributes or versions are JS numbers; the
 *   int64/uint64 contents of a tensor (`int64Data`, `uint64Data`) are bigints,
 *   so no tensor value ever loses precision.
 * - "Which field is set" is explicit: absent messages are null, a TypeProto is
 *   a discriminated union, a dimension says whether it is a value or a name.
 */

export interface ModelProto {
  readonly irVersion: number;
  readonly opsetImport: readonly OperatorSetIdProto[];
  readonly producerName: string;
  readonly producerVersion: string;
  readonly domain: string;
  readonly modelVersion: number;
  readonly docString: string;
  readonly graph: GraphProto;
  readonly metadataProps: readonly StringStringEntryProto[];
}

export interface OperatorSetIdProto {
  /** "" (or "ai.onnx") is the default ONNX domain. */
  readonly domain: string;
  readonly version: number;
}

export interface StringStringEntryProto {
  readonly key: string;
  readonly value: string;
}

export interface GraphProto {
  readonly name: string;
  readonly node: readonly NodeProto[];
  readonly initializer: readonly TensorProto[];
  /** Sparse initializers are only counted: Tessera rejects them at import. */
  readonly sparseInitializerCount: number;
  readonly input: readonly ValueInfoProto[];
  readonly output: readonly ValueInfoProto[];
  readonly valueInfo: readonly ValueInfoProto[];
  readonly docString: string;
}

export interface NodeProto {
  /** "" marks an omitted optional input or output. */
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly attribute: readonly AttributeProto[];
  readonly docString: string;
}

export interface AttributeProto {
  readonly name: string;
  /**
   * AttributeProto.AttributeType. For IR version 1 models, which did not
   * write it, the decoder infers it from the field that is set.
   */
  readonly type: number;
  readonly refAttrName: string;
  readonly f: number;
  readonly i: number;
  /** The `s` bytes decoded as UTF-8. */
  readonly s: string;
  readonly t: TensorProto | null;
  readonly g: GraphProto | null;
  readonly floats: readonly number[];
  readonly ints: readonly number[];
  readonly strings: readonly string[];
  readonly tensors: readonly TensorProto[];
  readonly graphs: readonly GraphProto[];
}

export interface TensorProto {
  readonly name: string;
  readonly dims: readonly number[];
  /** TensorProto.DataType code; see dtypeFromOnnx. */
  readonly dataType: number;
  /** Chunked tensors (the segment field) are not supported; kept to reject them. */
  readonly hasSegment: boolean;
  readonly floatData: readonly number[];
  readonly int32Data: readonly number[];
  readonly stringDataCount: number;
  readonly int64Data: readonly bigint[];
  /** Null when the field is absent (an empty raw_data is a zero-length array). */
  readonly rawData: Uint8Array | null;
  readonly doubleData: readonly number[];
  readonly uint64Data: readonly bigint[];
  readonly externalData: readonly StringStringEntryProto[];
  /** TensorProto.DataLocation: 0 default, 1 external. */
  readonly dataLocation: number;
}

export interface ValueInfoProto {
  readonly name: string;
  /** Null when the model gives no type (allowed for value_info and subgraph values). */
  readonly type: TypeProto | null;
}

export type TypeProto =
  | {
      readonly kind: "tensor";
      readonly elemType: number;
      /** Null when the rank is unknown. */
      readonly shape: readonly DimensionProto[] | null;
    }
  | { readonly kind: "sequence"; readonly elemType: TypeProto | null }
  | { readonly kind: "optional"; readonly elemType: TypeProto | null }
  | { readonly kind: "map"; readonly keyType: number; readonly valueType: TypeProto | null }
  | { readonly kind: "sparse_tensor"; readonly elemType: number }
  /** A TypeProto with none of its `value` oneof set. */
  | { readonly kind: "none" };

export type DimensionProto =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "param"; readonly name: string }
  /** Neither dim_value nor dim_param: an unknown, unnamed size. */
  | { readonly kind: "unknown" };
