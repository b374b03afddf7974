/**
 * Decoding of protobuf bytes written by hand from onnx.proto's field numbers,
 * independent of the schema Tessera's encoder shares with its decoder: a
 * wrong field number in onnx-schema.ts fails here.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeModel } from "../../src/onnx/decode-model.js";
import { decodeTensor } from "../../src/onnx/tensor-proto.js";
import { importModel } from "../../src/onnx/import-model.js";
import { IdSource } from "../../src/graph/builder.js";
import { constantValues } from "./helpers.js";

type Bytes = readonly number[];

function varint(value: bigint | number): number[] {
  let remaining = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(remaining & 0x7fn);
    remaining >>= 7n;
    out.push(remaining > 0n ? low | 0x80 : low);
  } while (remaining > 0n);
  return out;
}

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function field(number: number, wireType: number, payload: Bytes): number[] {
  const tag = varint((number << 3) | wireType);
  return wireType === LENGTH ? [...tag, ...varint(payload.length), ...payload] : [...tag, ...payload];
}
const int = (number: number, value: bigint | number): number[] => field(number, VARINT, varint(value));
const text = (number: number, value: string): number[] => field(number, LENGTH, [...new TextEncoder().encode(value)]);
const message = (number: number, ...parts: Bytes[]): number[] => field(number, LENGTH, parts.flat());
const packed = (number: number, values: Bytes[]): number[] => field(number, LENGTH, values.flat());
const float32 = (value: number): number[] => [...new Uint8Array(Float32Array.of(value).buffer)];
const float64 = (value: number): number[] => [...new Uint8Array(Float64Array.of(value).buffer)];

test("TensorProto typed fields sit at dims 1, data_type 2, float 4, int32 5, int64 7, name 8, double 10, uint64 11", () => {
  const header = (dataType: number): number[] => [...int(1, 2), ...int(2, dataType), ...text(8, "t")];
  const decode = (bytes: Bytes): number[] =>
    Array.from(decodeTensor(Uint8Array.from(bytes)).data as ArrayLike<number | bigint>, Number);
  assert.deepEqual(decode([...header(1), ...packed(4, [float32(1.5), float32(-2)])]), [1.5, -2]);
  assert.deepEqual(decode([...header(6), ...packed(5, [varint(-3), varint(4)])]), [-3, 4]);
  assert.deepEqual(decode([...header(11), ...packed(10, [float64(0.25), float64(8)])]), [0.25, 8]);
  assert.deepEqual(decode([...header(13), ...packed(11, [varint(7), varint(9)])]), [7, 9]);
  // Unpacked repeated fields (as proto2 writers may emit) decode the same.
  assert.deepEqual(decode([...header(1), ...field(4, FIXED32, float32(3)), ...field(4, FIXED32, float32(4))]), [3, 4]);
  const big = decodeTensor(Uint8Array.from([...header(7), ...packed(7, [varint(2n ** 62n + 1n), varint(-5)])]));
  assert.deepEqual(Array.from(big.data as BigInt64Array), [2n ** 62n + 1n, -5n]);
  const raw = decodeTensor(Uint8Array.from([...header(1), ...field(9, LENGTH, [...float32(5), ...float32(6)])]));
  assert.deepEqual(Array.from(raw.data as Float32Array), [5, 6]);
  assert.equal(FIXED64, 1);
});

test("ModelProto, GraphProto, NodeProto, AttributeProto, ValueInfoProto and TypeProto field numbers", () => {
  const attribute = message(5, text(1, "alpha"), field(2, FIXED32, float32(0.5)), int(20, 1));
  const ints = message(5, text(1, "perm"), int(8, 1), int(8, 0), int(20, 7));
  const node = message(1, text(1, "x"), text(2, "y"), text(3, "act"), text(4, "LeakyRelu"), attribute, text(7, ""));
  const transpose = message(1, text(1, "y"), text(1, "w"), text(2, "z"), text(4, "Add"), ints);
  const dims = message(2, message(1, int(1, 3)), message(1, text(2, "N")));
  const input = message(11, text(1, "x"), message(2, message(1, int(1, 1), dims)));
  const initializer = message(5, int(1, 1), int(2, 1), text(8, "w"), field(9, LENGTH, float32(2)));
  const output = message(12, text(1, "z"), message(2, message(1, int(1, 1))));
  const valueInfo = message(13, text(1, "y"), message(2, message(1, int(1, 1))));
  const graph = message(7, node, transpose, text(2, "g"), initializer, input, output, valueInfo);
  const bytes = Uint8Array.from([
    ...int(1, 8),
    ...text(2, "hand"),
    ...graph,
    ...message(8, text(1, ""), int(2, 13)),
    ...message(14, text(1, "k"), text(2, "v")),
  ]);
  const model = decodeModel(bytes);
  assert.equal(model.irVersion, 8);
  assert.equal(model.producerName, "hand");
  assert.deepEqual(model.opsetImport, [{ domain: "", version: 13 }]);
  assert.deepEqual(model.metadataProps, [{ key: "k", value: "v" }]);
  assert.equal(model.graph.name, "g");
  const first = model.graph.node[0]!;
  assert.deepEqual([first.input, first.output, first.name, first.opType], [["x"], ["y"], "act", "LeakyRelu"]);
  assert.deepEqual([first.attribute[0]!.name, first.attribute[0]!.type, first.attribute[0]!.f], ["alpha", 1, 0.5]);
  assert.deepEqual(model.graph.node[1]!.attribute[0]!.ints, [1, 0]);
  assert.deepEqual(model.graph.input[0]!.type, {
    kind: "tensor",
    elemType: 1,
    shape: [
      { kind: "value", value: 3 },
      { kind: "param", name: "N" },
    ],
  });
  assert.deepEqual(
    model.graph.valueInfo.map((info) => info.name),
    ["y"],
  );
  const imported = importModel(bytes, { ids: new IdSource() });
  assert.deepEqual(constantValues(imported.nodes[1]!.inputs[1]), [2]);
  assert.deepEqual(imported.inputs[0]!.shape, [3, "N"]);
});

test("TypeProto sequence 4, map 5, optional 9; external_data 13 and data_location 14", () => {
  const tensorType = message(1, int(1, 1));
  const sequenceInput = message(11, text(1, "s"), message(2, message(4, message(1, tensorType))));
  const mapInput = message(11, text(1, "m"), message(2, message(5, int(1, 7), message(2, tensorType))));
  const optionalInput = message(11, text(1, "o"), message(2, message(9, message(1, tensorType))));
  const external = [...message(13, text(1, "location"), text(2, "w.bin")), ...int(14, 1)];
  const initializer = message(5, int(1, 1), int(2, 1), text(8, "e"), ...[external]);
  const graph = message(7, sequenceInput, mapInput, optionalInput, initializer);
  const model = decodeModel(Uint8Array.from([...int(1, 8), ...graph, ...message(8, int(2, 17))]));
  const tensorOfFloat = { kind: "tensor", elemType: 1, shape: null };
  assert.deepEqual(
    model.graph.input.map((info) => info.type),
    [
      { kind: "sequence", elemType: tensorOfFloat },
      { kind: "map", keyType: 7, valueType: tensorOfFloat },
      { kind: "optional", elemType: tensorOfFloat },
    ],
  );
  const tensor = model.graph.initializer[0]!;
  assert.equal(tensor.dataLocation, 1);
  assert.deepEqual(tensor.externalData, [{ key: "location", value: "w.bin" }]);
});

test("AttributeProto t 5, g 6, floats 7, strings 9, and IR-version-1 attributes without a type", () => {
  const tensor = message(5, text(1, "value"), message(5, int(2, 6), field(9, LENGTH, [7, 0, 0, 0])), int(20, 4));
  const body = message(5, text(1, "body"), message(6, text(2, "inner")));
  const floats = message(5, text(1, "fs"), field(7, FIXED32, float32(1)), field(7, FIXED32, float32(2)));
  const strings = message(5, text(1, "ss"), text(9, "a"), text(9, "b"));
  const untyped = message(5, text(1, "i"), int(3, 42));
  const node = message(1, text(2, "y"), text(4, "Custom"), tensor, body, floats, strings, untyped);
  const model = decodeModel(Uint8Array.from([...int(1, 8), ...message(7, node), ...message(8, int(2, 17))]));
  const attributes = new Map(model.graph.node[0]!.attribute.map((attribute) => [attribute.name, attribute]));
  assert.equal(attributes.get("value")!.t!.dataType, 6);
  assert.equal(attributes.get("value")!.g, null);
  assert.equal(attributes.get("body")!.g!.name, "inner");
  assert.equal(attributes.get("body")!.type, 5, "type inferred from the g field");
  assert.deepEqual(attributes.get("fs")!.floats, [1, 2]);
  assert.deepEqual(attributes.get("ss")!.strings, ["a", "b"]);
  assert.deepEqual([attributes.get("i")!.type, attributes.get("i")!.i], [2, 42]);
});
