/**
 * Text form of the graph IR and the fused graph, for `tessera inspect`,
 * `--dump-ir after:<pass>` and before/after pass tests. One node per line:
 *
 *   %12 relu_out: float32[1,64,56,56] = Relu(%11)  # node_name
 *
 * Values are referred to by id (`%12`); constants are listed once, before
 * the nodes, with their contents inline when they are small. The output is
 * deterministic for a given graph (attributes sorted by name).
 */
import type { AttributeValue, Graph, Node, Shape, Value } from "./ir.js";
import type { FusedGraph, FusedGroup } from "./fused.js";
import { unreachable } from "../support/assert.js";
import { type TensorData, elementAsNumber } from "../support/tensor-data.js";

/** Constants with at most this many elements are printed in full. */
const INLINE_ELEMENTS = 8;

export function printGraph(graph: Graph): string {
  const lines = [`graph ${graph.name} (opset ${graph.opset})`];
  for (const input of graph.inputs) lines.push(`  input ${printValueDeclaration(input)}`);
  for (const value of constantsOf(graph)) lines.push(`  ${printConstant(value)}`);
  for (const node of graph.nodes) lines.push(`  ${printNode(node)}`);
  lines.push(`  return ${graph.outputs.map(printValueReference).join(", ")}`);
  return lines.join("\n") + "\n";
}

export function printFusedGraph(fused: FusedGraph): string {
  const graph = fused.graph;
  const lines = [`fused graph ${graph.name} (opset ${graph.opset}, ${fused.groups.length} groups)`];
  for (const input of graph.inputs) lines.push(`  input ${printValueDeclaration(input)}`);
  for (const value of constantsOf(graph)) lines.push(`  ${printConstant(value)}`);
  for (const group of fused.groups) lines.push(...printGroup(group));
  lines.push(`  return ${graph.outputs.map(printValueReference).join(", ")}`);
  return lines.join("\n") + "\n";
}

function printGroup(group: FusedGroup): string[] {
  const header =
    `  group ${group.name} [${group.pattern}, anchor ${group.anchor.name}]` +
    ` (${group.inputs.map(printValueReference).join(", ")}) -> (${group.outputs.map(printValueReference).join(", ")})`;
  return [header, ...group.nodes.map((node) => `    ${printNode(node)}`)];
}

/** `%3 relu_out: float32[1,64,56,56] = Relu(%2) {…}  # name` */
export function printNode(node: Node): string {
  const outputs = node.outputs.map(printValueDeclaration).join(", ");
  const opType = node.domain === "" ? node.opType : `${node.domain}.${node.opType}`;
  const inputs = node.inputs.map((input) => (input === null ? "_" : printValueReference(input))).join(", ");
  const attributes = printAttributes(node.attributes);
  const left = outputs === "" ? "" : `${outputs} = `;
  return `${left}${opType}(${inputs})${attributes === "" ? "" : ` ${attributes}`}  # ${node.name}`;
}

export function printValueReference(value: Value): string {
  return `%${value.id}`;
}

/** `%3 name: float32[1,batch,4]`; `?` for an unknown shape. */
export function printValueDeclaration(value: Value): string {
  return `%${value.id} ${value.name}: ${printType(value.dtype, value.shape)}`;
}

export function printType(dtype: string, shape: Shape | null): string {
  return shape === null ? `${dtype}[?]` : `${dtype}[${shape.join(",")}]`;
}

/** `%4 shape = const int64[2] [1, -1]`, or without contents when large. */
function printConstant(value: Value): string {
  const data = value.constant!;
  const summary = `const ${printType(data.dtype, data.shape)}`;
  const contents = data.data.length <= INLINE_ELEMENTS ? ` ${printContents(data)}` : "";
  return `${printValueReference(value)} ${value.name} = ${summary}${contents}`;
}

export function printContents(data: TensorData): string {
  const elements: string[] = [];
  for (let index = 0; index < data.data.length; index++) elements.push(printNumber(elementAsNumber(data, index)));
  return `[${elements.join(", ")}]`;
}

/** Six significant digits: enough to read, stable across platforms. */
function printNumber(value: number): string {
  if (Number.isInteger(value) || !Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** `{kernel_shape=[3,3], pads=[1,1,1,1]}`, or "" when there are none. */
export function printAttributes(attributes: ReadonlyMap<string, AttributeValue>): string {
  if (attributes.size === 0) return "";
  const names = [...attributes.keys()].sort();
  return `{${names.map((name) => `${name}=${printAttribute(attributes.get(name)!)}`).join(", ")}}`;
}

function printAttribute(attribute: AttributeValue): string {
  switch (attribute.kind) {
    case "int":
    case "float":
      return printNumber(attribute.value);
    case "string":
      return JSON.stringify(attribute.value);
    case "ints":
    case "floats":
      return `[${attribute.value.map(printNumber).join(",")}]`;
    case "strings":
      return `[${attribute.value.map((text) => JSON.stringify(text)).join(",")}]`;
    case "tensor":
      return `tensor ${printType(attribute.value.dtype, attribute.value.shape)}`;
    case "graph":
      return "<graph>";
    default:
      return unreachable(attribute);
  }
}

/** Constant values read by nodes or returned, in order of first use. */
function constantsOf(graph: Graph): Value[] {
  const seen = new Set<Value>();
  const visit = (value: Value | null): void => {
    if (value !== null && value.constant !== undefined) seen.add(value);
  };
  for (const node of graph.nodes) node.inputs.forEach(visit);
  graph.outputs.forEach(visit);
  return [...seen];
}
