/**
 * The ONNX frontend: protobuf decoding, import to graph IR (with opset
 * normalization), and an encoder for building test models.
 *
 * Node-only file import (external data read beside the model) is
 * `importModelFile` in node-files.ts, kept out of this entry so that browser
 * bundles never import `fs`.
 */
export { decodeModel } from "./decode-model.js";
export { decodeTensor, type ExternalDataReader } from "./tensor-proto.js";
export { importModel, importDecodedModel, type ImportOptions } from "./import-model.js";
export { normalizeOpsets } from "./normalize-opsets.js";
export {
  encodeModel,
  encodeModelWithExternalData,
  encodeTensor,
  type AttributeInput,
  type ExternalDataOptions,
  type GraphSpec,
  type InitializerSpec,
  type ModelSpec,
  type NodeSpec,
  type TensorStorage,
  type ValueSpec,
} from "./encode-model.js";
export type * from "./onnx-records.js";
