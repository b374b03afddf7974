/**
 * The ONNX frontend: protobuf decoding, import to graph IR (with opset
 * normalization), and an encoder for building test models.
 * Node-only file helpers (external data beside the model) are in
 * node-files.ts, kept out of this entry so browsers never import `fs`.
 */
export { decodeModel } from "./decode-model.js";
export { decodeTensor, type ExternalDataReader } from "./tensor-proto.js";
export { importModel, importDecodedModel, type ImportOptions } from "./import-model.js";
export { normalizeOpsets } from "./normalize-opsets.js";
export type * from "./onnx-records.js";
