/**
 * The importer's name → Value table, and Values built from ValueInfoProto.
 *
 * Contract: every Value the importer creates has a name unique within the
 * graph. ONNX names are kept as they are (they are already unique in a valid
 * model); generated names (omitted outputs, normalization constants,
 * unnamed dims) get a suffix that avoids every name the model uses.
 */
import type { Dim, Value } from "../graph/ir.js";
import { type IdSource, makeConstantValue, makeValue } from "../graph/builder.js";
import { type DType, dtypeFromOnnx } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";
import type { TensorData } from "../support/tensor-data.js";
import type { DimensionProto, GraphProto, TypeProto, ValueInfoProto } from "./onnx-records.js";

/** Generates names that collide with nothing already taken. */
export class NameSource {
  private readonly taken = new Set<string>();

  reserve(name: string): void {
    this.taken.add(name);
  }

  /** `base` itself when free, else `base_1`, `base_2`, … */
  fresh(base: string): string {
    let name = base;
    for (let suffix = 1; this.taken.has(name); suffix++) name = `${base}_${suffix}`;
    this.taken.add(name);
    return name;
  }
}

export class ValueTable {
  private readonly values = new Map<string, Value>();
  readonly valueNames = new NameSource();
  readonly dimNames = new NameSource();

  constructor(readonly ids: IdSource) {}

  /** Reserves every value name and dim_param of `graph` so generated names avoid them. */
  reserveNames(graph: GraphProto): void {
    const infos = [...graph.input, ...graph.output, ...graph.valueInfo];
    for (const info of infos) {
      this.valueNames.reserve(info.name);
      for (const dim of shapeOf(info.type) ?? []) if (dim.kind === "param") this.dimNames.reserve(dim.name);
    }
    for (const tensor of graph.initializer) this.valueNames.reserve(tensor.name);
    for (const node of graph.node) for (const output of node.output) this.valueNames.reserve(output);
  }

  get(name: string): Value | undefined {
    return this.values.get(name);
  }

  define(value: Value): Value {
    if (this.values.has(value.name)) {
      throw new TesseraError("E_INVALID_MODEL", `value '${value.name}' is defined more than once`);
    }
    this.values.set(value.name, value);
    return value;
  }

  /** A new constant Value with a generated name derived from `base`. */
  freshConstant(base: string, data: TensorData): Value {
    return this.define(makeConstantValue(this.valueNames.fresh(base), data, this.ids));
  }

  /** A graph input (or declared value): dtype and shape from its ValueInfoProto. */
  fromValueInfo(info: ValueInfoProto, role: string): Value {
    const type = info.type;
    if (type === null || type.kind !== "tensor") {
      const kind = type === null ? "no type" : `${type.kind} type`;
      throw new TesseraError("E_UNSUPPORTED_DTYPE", `${role} '${info.name}' has ${kind}; only tensors are supported`);
    }
    const dtype = dtypeFromOnnx(type.elemType, ` (${role} '${info.name}')`);
    return makeValue(info.name, dtype, this.shapeFrom(info.name, type.shape), undefined, this.ids);
  }

  private shapeFrom(name: string, shape: readonly DimensionProto[] | null): Dim[] | null {
    if (shape === null) return null;
    return shape.map((dim, axis) => this.dimFrom(name, dim, axis));
  }

  private dimFrom(name: string, dim: DimensionProto, axis: number): Dim {
    switch (dim.kind) {
      case "value":
        if (!Number.isSafeInteger(dim.value) || dim.value < 0) {
          throw new TesseraError("E_INVALID_MODEL", `'${name}' has an invalid dimension ${dim.value} at axis ${axis}`);
        }
        return dim.value;
      case "param":
        return dim.name;
      case "unknown":
        return this.dimNames.fresh(`${name}_dim${axis}`);
    }
  }
}

/**
 * The dtype and shape a model declares for a value (graph outputs and
 * value_info), or null when it declares none Tessera can use.
 */
export function declaredType(info: ValueInfoProto | undefined): { dtype: DType; shape: Dim[] | null } | null {
  if (info === undefined || info.type === null || info.type.kind !== "tensor") return null;
  let dtype: DType;
  try {
    dtype = dtypeFromOnnx(info.type.elemType);
  } catch {
    return null;
  }
  const shape = info.type.shape;
  if (shape === null) return { dtype, shape: null };
  const dims: Dim[] = [];
  for (const dim of shape) {
    if (dim.kind === "unknown") return { dtype, shape: null };
    dims.push(dim.kind === "value" ? dim.value : dim.name);
  }
  return { dtype, shape: dims };
}

function shapeOf(type: TypeProto | null): readonly DimensionProto[] | null {
  return type !== null && type.kind === "tensor" ? type.shape : null;
}
