/**
 * ONNX ModelProto → graph IR.
 *
 * What the importer guarantees about the Graph it returns:
 * - Nodes are topologically sorted (see sort-nodes.ts) and refer only to
 *   graph inputs, constants and earlier nodes' outputs.
 * - Graph inputs are the ONNX inputs that are not initializers; initializers
 *   and Constant nodes become constant Values (no node); graph inputs and
 *   outputs keep their ONNX names; all value names are unique.
 * - Each node's `opset` is the version its domain is imported at ("" and
 *   "ai.onnx" are the same domain, stored as ""); attribute-vs-input forms are
 *   rewritten to the newest form by normalizeOpsets.
 * - Omitted optional inputs are null, with trailing ones dropped; omitted
 *   trailing outputs are dropped and omitted middle outputs get a fresh name.
 * - A node output's dtype and shape come from the model's value_info or graph
 *   output declarations when present; otherwise the shape is null and the
 *   dtype is a float32 placeholder. Shape inference replaces both.
 *
 * Subgraph attributes (If/Loop bodies) stay decoded GraphProto records under
 * kind "graph"; names they read from this graph order the owning node after
 * their producers. Errors are TesseraErrors (E_CORRUPT_MODEL from decoding,
 * E_INVALID_MODEL, E_UNSUPPORTED_DTYPE, E_UNSUPPORTED_ATTRIBUTE, E_EXTERNAL_DATA).
 */
import type { Graph, Node, Value } from "../graph/ir.js";
import { type IdSource, defaultIds, makeConstantValue, makeGraph, makeNode, makeValue } from "../graph/builder.js";
import { assert } from "../support/assert.js";
import { type ErrorLocation, TesseraError } from "../support/errors.js";
import { decodeModel } from "./decode-model.js";
import { constantNodeValue, convertAttributes } from "./import-attributes.js";
import { ValueTable, declaredType } from "./import-values.js";
import { normalizeOpsets } from "./normalize-opsets.js";
import type { GraphProto, ModelProto, NodeProto, ValueInfoProto } from "./onnx-records.js";
import { sortNodes } from "./sort-nodes.js";
import { type ExternalDataReader, tensorDataFromProto } from "./tensor-proto.js";

export interface ImportOptions {
  /**
   * Returns the bytes of an external data file, by the `location` the model
   * writes. Without it, a model with external data fails with E_EXTERNAL_DATA.
   * importModelFile (node-files.ts) supplies one that reads beside the model.
   */
  readonly readExternal?: ExternalDataReader;
  /** Id source of the compilation; defaults to the shared one. */
  readonly ids?: IdSource;
}

/** Decodes and imports an ONNX model. */
export function importModel(bytes: Uint8Array, options: ImportOptions = {}): Graph {
  return importDecodedModel(decodeModel(bytes), options);
}

/** Imports an already decoded model (see decodeModel). */
export function importDecodedModel(model: ModelProto, options: ImportOptions = {}): Graph {
  const graphProto = model.graph;
  if (graphProto.sparseInitializerCount > 0) {
    throw new TesseraError("E_UNSUPPORTED_ATTRIBUTE", "sparse initializers are not supported");
  }
  const ids = options.ids ?? defaultIds;
  const importer = new GraphImporter(graphProto, new OpsetTable(model), new ValueTable(ids), options);
  return normalizeOpsets(importer.run(), ids);
}

/** The opset version each domain is imported at. */
class OpsetTable {
  private readonly versions = new Map<string, number>();

  constructor(model: ModelProto) {
    // IR versions before 3 had no opset_import and meant ai.onnx version 1.
    if (model.opsetImport.length === 0) this.versions.set("", 1);
    for (const entry of model.opsetImport) {
      const domain = canonicalDomain(entry.domain);
      // When a domain is listed twice, nodes bind to the highest version.
      this.versions.set(domain, Math.max(entry.version, this.versions.get(domain) ?? 0));
    }
  }

  /** The ai.onnx version, 0 when the model imports none (only custom-domain nodes). */
  get defaultVersion(): number {
    return this.versions.get("") ?? 0;
  }

  versionFor(domain: string, location: ErrorLocation): number {
    const version = this.versions.get(domain);
    if (version === undefined || version < 1) {
      throw new TesseraError(
        "E_INVALID_MODEL",
        `the model imports no opset for domain '${domain || "ai.onnx"}'`,
        location,
      );
    }
    return version;
  }
}

function canonicalDomain(domain: string): string {
  return domain === "ai.onnx" ? "" : domain;
}

class GraphImporter {
  private readonly declared = new Map<string, ValueInfoProto>();

  constructor(
    private readonly graph: GraphProto,
    private readonly opsets: OpsetTable,
    private readonly table: ValueTable,
    private readonly options: ImportOptions,
  ) {
    table.reserveNames(graph);
    for (const info of [...graph.valueInfo, ...graph.output]) this.declared.set(info.name, info);
  }

  run(): Graph {
    const initializerNames = this.importInitializers();
    const inputs = this.importInputs(initializerNames);
    const available = new Set([...initializerNames, ...inputs.map((value) => value.name)]);
    const nodes: Node[] = [];
    for (const node of sortNodes(this.graph.node, available)) {
      const imported = this.importNode(node);
      if (imported !== null) nodes.push(imported);
    }
    const outputs = this.graph.output.map((info) => this.lookupOutput(info.name));
    return makeGraph({ name: this.graph.name, inputs, outputs, nodes, opset: this.opsets.defaultVersion });
  }

  private importInitializers(): Set<string> {
    const names = new Set<string>();
    for (const tensor of this.graph.initializer) {
      const data = tensorDataFromProto(tensor, { readExternal: this.options.readExternal, where: " (initializer)" });
      this.table.define(makeConstantValue(tensor.name, data, this.table.ids));
      names.add(tensor.name);
    }
    return names;
  }

  /** Inputs that name an initializer are constants with a default, not graph inputs. */
  private importInputs(initializerNames: ReadonlySet<string>): Value[] {
    return this.graph.input
      .filter((info) => !initializerNames.has(info.name))
      .map((info) => this.table.define(this.table.fromValueInfo(info, "graph input")));
  }

  /** Returns the IR node, or null for a Constant (which becomes a constant Value). */
  private importNode(proto: NodeProto): Node | null {
    const domain = canonicalDomain(proto.domain);
    const location: ErrorLocation = { nodeName: proto.name || undefined, opType: proto.opType };
    if (proto.opType === "") throw new TesseraError("E_INVALID_MODEL", "a node has no op_type", location);
    const opset = this.opsets.versionFor(domain, location);
    const located = { ...location, opset };
    const attributes = convertAttributes(proto, { readExternal: this.options.readExternal, location: located });
    if (proto.opType === "Constant" && domain === "") {
      if (proto.output.length !== 1 || proto.output[0] === "") {
        throw new TesseraError("E_INVALID_MODEL", "a Constant must have exactly one output", located);
      }
      this.table.define(makeConstantValue(proto.output[0]!, constantNodeValue(attributes, located), this.table.ids));
      return null;
    }
    const spec = { name: proto.name, opType: proto.opType, domain, opset, attributes };
    return makeNode({ ...spec, inputs: this.nodeInputs(proto), outputs: this.nodeOutputs(proto) }, this.table.ids);
  }

  private nodeInputs(proto: NodeProto): (Value | null)[] {
    const inputs = proto.input.map((name) => (name === "" ? null : this.lookupInput(name)));
    while (inputs.length > 0 && inputs[inputs.length - 1] === null) inputs.pop();
    return inputs;
  }

  private lookupInput(name: string): Value {
    const value = this.table.get(name);
    assert(value !== undefined, `sortNodes let an unknown input '${name}' through`);
    return value;
  }

  private nodeOutputs(proto: NodeProto): Value[] {
    const names = [...proto.output];
    while (names.length > 0 && names[names.length - 1] === "") names.pop();
    return names.map((name, index) => {
      const outputName =
        name !== "" ? name : this.table.valueNames.fresh(`${proto.name || proto.opType}_unused${index}`);
      const declared = declaredType(this.declared.get(outputName));
      const value = makeValue(
        outputName,
        declared?.dtype ?? "float32",
        declared?.shape ?? null,
        undefined,
        this.table.ids,
      );
      return this.table.define(value);
    });
  }

  private lookupOutput(name: string): Value {
    const value = this.table.get(name);
    if (value === undefined) {
      throw new TesseraError(
        "E_INVALID_MODEL",
        `graph output '${name}' is not produced by any node, input or initializer`,
      );
    }
    return value;
  }
}
