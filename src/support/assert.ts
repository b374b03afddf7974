/**
 * Internal invariants. A failed assertion is a compiler bug, never a user
 * error: user-facing problems throw TesseraError instead.
 */

export class InternalError extends Error {
  constructor(message: string) {
    super(`internal compiler error: ${message}`);
    this.name = "InternalError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InternalError(message);
}

/** Ends an exhaustive switch over a discriminated union. */
export function unreachable(value: never): never {
  throw new InternalError(`unreachable: ${JSON.stringify(value)}`);
}
