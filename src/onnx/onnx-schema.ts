/**
 * The subset of onnx.proto (and onnx-data.proto) that Tessera reads and
 * writes, as protobufjs message types.
 *
 * Field numbers are copied from the official onnx.proto (proto2) and must
 * never change: they are the file format. Fields Tessera does not model
 * (training_info, functions, sparse tensors' contents, quantization
 * annotations) are left out; protobufjs skips unknown fields when decoding.
 *
 * The protobufjs message objects carry int64 fields as `Long`; nothing outside
 * src/onnx sees them: decode-model.ts converts every message into the plain
 * records declared in onnx-records.ts.
 */
import protobuf from "protobufjs";
import { assert } from "../support/assert.js";

const ONNX_PROTO = `
syntax = "proto2";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10;
    SPARSE_TENSOR = 11; SPARSE_TENSORS = 12; TYPE_PROTO = 13; TYPE_PROTOS = 14;
  }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  repeated GraphProto graphs = 11;
  optional string doc_string = 13;
  optional TypeProto tp = 14;
  repeated TypeProto type_protos = 15;
  optional AttributeType type = 20;
  optional string ref_attr_name = 21;
  optional SparseTensorProto sparse_tensor = 22;
  repeated SparseTensorProto sparse_tensors = 23;
}

message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}

message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
  repeated SparseTensorProto sparse_initializer = 15;
}

message TensorProto {
  enum DataLocation { DEFAULT = 0; EXTERNAL = 1; }
  message Segment {
    optional int64 begin = 1;
    optional int64 end = 2;
  }
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  optional Segment segment = 3;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional string doc_string = 12;
  repeated StringStringEntryProto external_data = 13;
  optional DataLocation data_location = 14;
}

// Only recognised so a sparse initializer can be reported, not decoded.
message SparseTensorProto {
  optional TensorProto values = 1;
  optional TensorProto indices = 2;
  repeated int64 dims = 3;
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  message Sequence {
    optional TypeProto elem_type = 1;
  }
  message Map {
    optional int32 key_type = 1;
    optional TypeProto value_type = 2;
  }
  message Optional {
    optional TypeProto elem_type = 1;
  }
  message SparseTensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
    Sequence sequence_type = 4;
    Map map_type = 5;
    SparseTensor sparse_tensor_type = 8;
    Optional optional_type = 9;
  }
  optional string denotation = 6;
}

message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}

// onnx-data.proto: the containers of the conformance tests' non-tensor values.
// Only the leading fields are declared: enough to recognise them.
message SequenceProto {
  optional string name = 1;
  optional int32 elem_type = 2;
  repeated TensorProto tensor_values = 3;
}

message OptionalProto {
  optional string name = 1;
  optional int32 elem_type = 2;
  optional TensorProto tensor_value = 3;
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: false }).root;

function lookup(name: string): protobuf.Type {
  return root.lookupType(`onnx.${name}`);
}

/** The protobufjs message types, by their onnx.proto names. */
export const onnxTypes = {
  ModelProto: lookup("ModelProto"),
  GraphProto: lookup("GraphProto"),
  NodeProto: lookup("NodeProto"),
  AttributeProto: lookup("AttributeProto"),
  TensorProto: lookup("TensorProto"),
  ValueInfoProto: lookup("ValueInfoProto"),
  TypeProto: lookup("TypeProto"),
  SequenceProto: lookup("SequenceProto"),
  OptionalProto: lookup("OptionalProto"),
} as const;

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

/** TensorProto.DataLocation values. */
export const DataLocation = { DEFAULT: 0, EXTERNAL: 1 } as const;

/** Exact int64 decoding needs protobufjs to produce Long values, which it does when `long` resolves. */
assert(protobuf.util.Long !== undefined && protobuf.util.Long !== null, "protobufjs has no Long support");
