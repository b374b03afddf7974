/**
 * A small graph-building helper for graph tests: every value and node comes
 * from the fixture's own IdSource, so printed ids are the same on every run.
 */
import { type IdSource as IdSourceType, IdSource, attr, makeNode, makeValue } from "../../src/graph/builder.js";
import type { AttributeValue, Graph, Node, Shape, Value } from "../../src/graph/ir.js";
import type { DType } from "../../src/support/dtype.js";
import { allocateTypedArray } from "../../src/support/dtype.js";
import { makeTensorData } from "../../src/support/tensor-data.js";

export { attr };

export interface OpOptions {
  readonly name?: string;
  /** Output names; one output named `<opType lowercase>_out` by default. */
  readonly outputs?: readonly string[];
  /** Output shapes (all outputs), null (unknown) by default. */
  readonly shape?: Shape | null;
  readonly dtype?: DType;
  readonly attributes?: Record<string, AttributeValue>;
  readonly opset?: number;
  readonly domain?: string;
}

export class GraphFixture {
  readonly ids: IdSourceType = new IdSource();
  private readonly inputs: Value[] = [];
  private readonly nodes: Node[] = [];

  input(name: string, shape: Shape, dtype: DType = "float32"): Value {
    const value = makeValue(name, dtype, shape, undefined, this.ids);
    this.inputs.push(value);
    return value;
  }

  constant(name: string, shape: readonly number[], values: readonly number[], dtype: DType = "float32"): Value {
    const data = allocateTypedArray(dtype, values.length);
    values.forEach((element, index) => {
      data[index] = typeof data[0] === "bigint" ? BigInt(element) : element;
    });
    return makeValue(name, dtype, shape, makeTensorData(dtype, shape, data), this.ids);
  }

  /** Adds a node and returns its outputs. */
  op(opType: string, inputs: readonly (Value | null)[], options: OpOptions = {}): Value[] {
    const names = options.outputs ?? [`${opType.toLowerCase()}_out`];
    const outputs = names.map((name) =>
      makeValue(name, options.dtype ?? "float32", options.shape ?? null, undefined, this.ids),
    );
    const node = makeNode(
      {
        name: options.name,
        opType,
        domain: options.domain,
        opset: options.opset ?? 17,
        inputs,
        outputs,
        attributes: options.attributes,
      },
      this.ids,
    );
    this.nodes.push(node);
    return outputs;
  }

  graph(outputs: readonly Value[], name = "test"): Graph {
    return { name, inputs: [...this.inputs], outputs: [...outputs], nodes: [...this.nodes], opset: 17 };
  }
}

/** Joins lines with a trailing newline, as printGraph writes them. */
export function lines(...text: string[]): string {
  return text.join("\n") + "\n";
}
