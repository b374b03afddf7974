/**
 * A readable text form of tensor expressions, for `tessera inspect`, golden
 * tests and debugging:
 *
 *   x = placeholder float32[1, 16]
 *   relu[i0:1, i1:16] = max(conv[i0, i1] + b[i1], 0f)
 *   conv[n:1, c:8, …] = sum(rc:8, rh:3, rw:3; x[…] * w[…])
 *
 * Every tensor the given ones depend on is printed first (placeholders, then
 * computes in dependency order), each once. Arithmetic is infix with the
 * fewest parentheses; other operators print as calls. Constants carry their
 * type as a suffix (0f float32, 0d float64, 3 int32, 3i64, 3u8, true).
 */
import type { DType } from "../support/dtype.js";
import { unreachable } from "../support/assert.js";
import { type Expr, type BinaryOp, type CompareOp, childrenOf } from "./expr.js";
import type { TeTensor } from "./tensor.js";

export function printTe(tensors: readonly TeTensor[]): string {
  const ordered = dependencyOrder(tensors);
  const names = uniqueNames(ordered);
  const lines = ordered.map((tensor) => printTensor(tensor, names));
  return lines.join("\n") + "\n";
}

/** Placeholders first, then computes with every dependency before its users. */
function dependencyOrder(roots: readonly TeTensor[]): TeTensor[] {
  const computes: TeTensor[] = [];
  const placeholders: TeTensor[] = [];
  const state = new Map<TeTensor, "open" | "done">();
  const stack: { tensor: TeTensor; expanded: boolean }[] = [...roots]
    .reverse()
    .map((tensor) => ({ tensor, expanded: false }));
  while (stack.length > 0) {
    const { tensor, expanded } = stack.pop()!;
    if (state.get(tensor) === "done") continue;
    if (expanded || tensor.body === null) {
      state.set(tensor, "done");
      (tensor.body === null ? placeholders : computes).push(tensor);
      continue;
    }
    if (state.get(tensor) === "open") continue;
    state.set(tensor, "open");
    stack.push({ tensor, expanded: true });
    for (const dependency of loadedTensors(tensor.body).reverse()) stack.push({ tensor: dependency, expanded: false });
  }
  return [...placeholders, ...computes];
}

function loadedTensors(body: Expr): TeTensor[] {
  const seen = new Set<Expr>();
  const found = new Set<TeTensor>();
  const visit = (expr: Expr): void => {
    if (seen.has(expr)) return;
    seen.add(expr);
    if (expr.kind === "tload") found.add(expr.tensor);
    childrenOf(expr).forEach(visit);
  };
  visit(body);
  return [...found];
}

/** Tensor names, suffixed with _1, _2… where distinct tensors share a name. */
function uniqueNames(tensors: readonly TeTensor[]): Map<TeTensor, string> {
  const names = new Map<TeTensor, string>();
  const taken = new Map<string, number>();
  for (const tensor of tensors) {
    const uses = taken.get(tensor.name) ?? 0;
    taken.set(tensor.name, uses + 1);
    names.set(tensor, uses === 0 ? tensor.name : `${tensor.name}_${uses}`);
  }
  return names;
}

function printTensor(tensor: TeTensor, names: ReadonlyMap<TeTensor, string>): string {
  const name = names.get(tensor)!;
  if (tensor.body === null) return `${name} = placeholder ${tensor.dtype}[${tensor.shape.join(", ")}]`;
  const axes = tensor.axes.map((axis) => `${axis.variable.name}:${axis.extent}`).join(", ");
  const head = tensor.axes.length === 0 ? name : `${name}[${axes}]`;
  return `${head} = ${printExpr(tensor.body, names)}`;
}

const INFIX: Partial<Record<BinaryOp, { symbol: string; precedence: number }>> = {
  add: { symbol: "+", precedence: 2 },
  sub: { symbol: "-", precedence: 2 },
  mul: { symbol: "*", precedence: 3 },
  div: { symbol: "/", precedence: 3 },
  rem: { symbol: "%", precedence: 3 },
};

const COMPARE_SYMBOLS: Record<CompareOp, string> = { eq: "==", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };

const ATOM = 5;

/** An expression's text and the precedence of its outermost operator (ATOM for calls and names). */
function printWithPrecedence(expr: Expr, names: ReadonlyMap<TeTensor, string>): { text: string; precedence: number } {
  const print = (child: Expr): string => printExpr(child, names);
  const operand = (child: Expr, minimum: number): string => {
    const printed = printWithPrecedence(child, names);
    return printed.precedence < minimum ? `(${printed.text})` : printed.text;
  };
  switch (expr.kind) {
    case "const":
      return { text: printConstant(expr.value, expr.dtype), precedence: ATOM };
    case "var":
      return { text: expr.name, precedence: ATOM };
    case "binary": {
      const infix = INFIX[expr.op];
      if (infix === undefined) return { text: `${expr.op}(${print(expr.a)}, ${print(expr.b)})`, precedence: ATOM };
      const text = `${operand(expr.a, infix.precedence)} ${infix.symbol} ${operand(expr.b, infix.precedence + 1)}`;
      return { text, precedence: infix.precedence };
    }
    case "compare":
      return { text: `${operand(expr.a, 2)} ${COMPARE_SYMBOLS[expr.op]} ${operand(expr.b, 2)}`, precedence: 1 };
    case "unary":
      if (expr.op === "neg") return { text: `-${operand(expr.a, ATOM)}`, precedence: 4 };
      return { text: `${expr.op}(${print(expr.a)})`, precedence: ATOM };
    case "select":
      return { text: `select(${print(expr.cond)}, ${print(expr.a)}, ${print(expr.b)})`, precedence: ATOM };
    case "cast":
      return { text: `${expr.dtype}(${print(expr.a)})`, precedence: ATOM };
    case "tload":
      return {
        text: `${names.get(expr.tensor) ?? expr.tensor.name}[${expr.indices.map(print).join(", ")}]`,
        precedence: ATOM,
      };
    case "reduce": {
      const axes = expr.axes.map((axis) => `${axis.variable.name}:${axis.extent}`).join(", ");
      return { text: `${expr.op}(${axes}; ${print(expr.body)})`, precedence: ATOM };
    }
    case "load":
      return { text: `${expr.buffer.name}[${print(expr.index)}]`, precedence: ATOM };
    case "ramp":
      return { text: `ramp(${print(expr.base)}, ${expr.stride}, ${expr.lanes})`, precedence: ATOM };
    case "broadcast":
      return { text: `broadcast(${print(expr.value)}, ${expr.lanes})`, precedence: ATOM };
    default:
      return unreachable(expr);
  }
}

export function printExpr(expr: Expr, names: ReadonlyMap<TeTensor, string> = new Map()): string {
  return printWithPrecedence(expr, names).text;
}

const SUFFIX: Record<DType, string> = {
  float32: "f",
  float64: "d",
  int8: "i8",
  uint8: "u8",
  int16: "i16",
  uint16: "u16",
  int32: "",
  uint32: "u32",
  int64: "i64",
  uint64: "u64",
  bool: "",
};

function printConstant(value: number | bigint, dtype: DType): string {
  if (dtype === "bool") return value === 0 ? "false" : "true";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return `nan${SUFFIX[dtype]}`;
    if (!Number.isFinite(value)) return `${value < 0 ? "-" : ""}inf${SUFFIX[dtype]}`;
    if (Object.is(value, -0)) return `-0${SUFFIX[dtype]}`;
    if (dtype === "float32") return `${shortestFloat32(value)}f`;
  }
  return `${value}${SUFFIX[dtype]}`;
}

/** The shortest decimal that reads back as the same float32 (0.1f rather than 0.10000000149011612f). */
function shortestFloat32(value: number): string {
  for (let digits = 1; digits < 17; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(value);
}
