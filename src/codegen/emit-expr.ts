/** Dispatches an expression to the scalar or the vector emitter by its lane count. */
import type { Expr } from "../te/expr.js";
import type { KernelContext } from "./kernel-context.js";
import { emitScalar } from "./emit-scalar.js";
import { emitVector } from "./emit-vector.js";

/** Pushes the value of `expr` (wasm type `wasmTypeOfExpr(expr)`). */
export function emitExpr(context: KernelContext, expr: Expr): void {
  if (expr.lanes > 1) emitVector(context, expr);
  else emitScalar(context, expr);
}
