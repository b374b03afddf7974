/**
 * Readable text of loop IR, for `tessera inspect --stage loop`, golden tests
 * and error messages. Not parsed back; stable for a given IR so golden files
 * diff cleanly. Vector expressions show their lanes: `x[ramp(i * 4, 1, 4)]`,
 * `broadcast(c, 4)`.
 */
import { unreachable } from "../support/assert.js";
import type { Expr } from "../te/expr.js";
import type { Kernel, Stmt } from "./ir.js";
import type { LoopNest } from "./nest.js";

export function printKernel(kernel: Kernel): string {
  const header = `kernel ${kernel.name} tasks=${kernel.taskExtent} flops=${kernel.flops}`;
  const buffers = kernel.buffers.map((buffer) => `  ${buffer.name}: ${buffer.dtype}[${buffer.size}] ${buffer.scope}`);
  return [header, ...buffers, printStmt(kernel.body)].join("\n") + "\n";
}

export function printNest(nest: LoopNest): string {
  const buffers = nest.buffers.map((buffer) => `  ${buffer.name}: ${buffer.dtype}[${buffer.size}] ${buffer.scope}`);
  return [`nest ${nest.name}`, ...buffers, printStmt(nest.body)].join("\n") + "\n";
}

export function printStmt(statement: Stmt, indent = ""): string {
  switch (statement.kind) {
    case "for": {
      const annotation = statement.annotation === "serial" ? "" : ` ${statement.annotation}`;
      const head = `${indent}for ${statement.loopVar.name} in 0..${printExpr(statement.extent)}${annotation} {`;
      return `${head}\n${printStmt(statement.body, indent + "  ")}\n${indent}}`;
    }
    case "store":
      return `${indent}${statement.buffer.name}[${printExpr(statement.index)}] = ${printExpr(statement.value)}`;
    case "assign":
      return `${indent}${statement.target.name} = ${printExpr(statement.value)}`;
    case "seq":
      return statement.body.length === 0
        ? `${indent}{}`
        : statement.body.map((child) => printStmt(child, indent)).join("\n");
    case "if": {
      const head = `${indent}if ${printExpr(statement.cond)} {\n${printStmt(statement.then, indent + "  ")}\n${indent}}`;
      if (statement.otherwise === null) return head;
      return `${head} else {\n${printStmt(statement.otherwise, indent + "  ")}\n${indent}}`;
    }
    default:
      return unreachable(statement);
  }
}

const INFIX: Readonly<Record<string, { readonly symbol: string; readonly precedence: number }>> = {
  add: { symbol: "+", precedence: 3 },
  sub: { symbol: "-", precedence: 3 },
  mul: { symbol: "*", precedence: 4 },
  div: { symbol: "/", precedence: 4 },
  rem: { symbol: "%", precedence: 4 },
  eq: { symbol: "==", precedence: 2 },
  ne: { symbol: "!=", precedence: 2 },
  lt: { symbol: "<", precedence: 2 },
  le: { symbol: "<=", precedence: 2 },
  gt: { symbol: ">", precedence: 2 },
  ge: { symbol: ">=", precedence: 2 },
};

/** Prints with the fewest parentheses that keep the tree unambiguous (left-associative infix). */
export function printExpr(expr: Expr, parentPrecedence = 0, rightOperand = false): string {
  switch (expr.kind) {
    case "const":
      return printConstant(expr.value, expr.dtype);
    case "var":
      return expr.name;
    case "binary":
    case "compare": {
      const infix = INFIX[expr.op];
      if (infix === undefined) return `${expr.op}(${printExpr(expr.a)}, ${printExpr(expr.b)})`;
      const text = `${printExpr(expr.a, infix.precedence)} ${infix.symbol} ${printExpr(expr.b, infix.precedence, true)}`;
      const needsParentheses =
        infix.precedence < parentPrecedence || (rightOperand && infix.precedence === parentPrecedence);
      return needsParentheses ? `(${text})` : text;
    }
    case "unary":
      return expr.op === "neg" ? `-${printExpr(expr.a, 5)}` : `${expr.op}(${printExpr(expr.a)})`;
    case "cast":
      return `${expr.dtype}(${printExpr(expr.a)})`;
    case "select":
      return `select(${printExpr(expr.cond)}, ${printExpr(expr.a)}, ${printExpr(expr.b)})`;
    case "tload":
      return `${expr.tensor.name}[${expr.indices.map((index) => printExpr(index)).join(", ")}]`;
    case "reduce":
      return `${expr.op}[${expr.axes.map((axis) => `${axis.variable.name}<${axis.extent}`).join(", ")}](${printExpr(expr.body)})`;
    case "load":
      return `${expr.buffer.name}[${printExpr(expr.index)}]`;
    case "ramp":
      return `ramp(${printExpr(expr.base)}, ${expr.stride}, ${expr.lanes})`;
    case "broadcast":
      return `broadcast(${printExpr(expr.value)}, ${expr.lanes})`;
    default:
      return unreachable(expr);
  }
}

function printConstant(value: number | bigint, dtype: string): string {
  if (typeof value === "bigint") return `${value}L`;
  if (dtype === "bool") return value !== 0 ? "true" : "false";
  if (dtype !== "float32" && dtype !== "float64") return String(value);
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  if (Object.is(value, -0)) return "-0.0";
  const text = String(value);
  const suffix = dtype === "float64" ? "d" : "";
  return (Number.isInteger(value) && !text.includes("e") ? `${text}.0` : text) + suffix;
}
