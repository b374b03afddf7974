/**
 * User-facing errors. A bad model, an unsupported op or a shape mismatch is a
 * TesseraError with a stable code; a broken compiler invariant is an
 * InternalError (see assert.ts). Codes are part of the public contract: tests
 * and users match on them, so never renumber or reuse one.
 */

export type ErrorCode =
  /** The file is not a decodable ONNX ModelProto (truncated, wrong bytes). */
  | "E_CORRUPT_MODEL"
  /** The model is well formed but breaks an ONNX rule (missing input, bad attr). */
  | "E_INVALID_MODEL"
  /** An op type or domain Tessera does not implement. */
  | "E_UNSUPPORTED_OP"
  /** A supported op used with an attribute value or input form Tessera does not implement. */
  | "E_UNSUPPORTED_ATTRIBUTE"
  /** An element type Tessera does not implement (float16, string, complex…). */
  | "E_UNSUPPORTED_DTYPE"
  /** Shapes that do not agree (broadcast failure, matmul inner dims, reshape size). */
  | "E_SHAPE_MISMATCH"
  /** A shape that depends on data only known at run time. */
  | "E_DYNAMIC_SHAPE"
  /** External tensor data missing or unreadable. */
  | "E_EXTERNAL_DATA"
  /** Bad feeds passed to session.run (missing input, wrong dtype or dims). */
  | "E_BAD_FEED"
  /** A compiled artifact folder that is missing files or has the wrong version. */
  | "E_BAD_ARTIFACT"
  /** A schedule primitive that is not legal on the loop nest it names. */
  | "E_INVALID_SCHEDULE"
  /** Anything the CLI cannot do with the arguments given. */
  | "E_USAGE";

/** Where in the model an error happened; every field optional because not all errors have a node. */
export interface ErrorLocation {
  readonly nodeName?: string;
  readonly opType?: string;
  readonly opset?: number;
}

export class TesseraError extends Error {
  readonly code: ErrorCode;
  readonly location: ErrorLocation;

  constructor(code: ErrorCode, message: string, location: ErrorLocation = {}) {
    super(formatMessage(code, message, location));
    this.name = "TesseraError";
    this.code = code;
    this.location = location;
  }
}

function formatMessage(code: ErrorCode, message: string, location: ErrorLocation): string {
  const where: string[] = [];
  if (location.opType !== undefined) where.push(`op ${location.opType}`);
  if (location.nodeName !== undefined) where.push(`node '${location.nodeName}'`);
  if (location.opset !== undefined) where.push(`opset ${location.opset}`);
  const suffix = where.length > 0 ? ` (${where.join(", ")})` : "";
  return `${code}: ${message}${suffix}`;
}

/**
 * E_DYNAMIC_SHAPE raised while building a node whose output shape depends on
 * the contents of a value that is not known at compile time. `graphInputs`
 * names the graph inputs that value is computed from (in graph order): a
 * caller that knows their contents (a session holding the feeds) can compile
 * again with them bound as constants (CompileOptions.constantInputs). Empty
 * when no graph input is involved; then nothing can be bound and the error
 * is final.
 */
export class DynamicShapeError extends TesseraError {
  readonly graphInputs: readonly string[];

  /** Wraps the E_DYNAMIC_SHAPE an op definition threw; the message gains the inputs' names. */
  constructor(cause: TesseraError, graphInputs: readonly string[]) {
    super("E_DYNAMIC_SHAPE", "", cause.location);
    this.name = "DynamicShapeError";
    this.graphInputs = graphInputs;
    const names = graphInputs.map((name) => `'${name}'`).join(", ");
    const origin = graphInputs.length === 1 ? `graph input ${names}` : `graph inputs ${names}`;
    this.message = graphInputs.length === 0 ? cause.message : `${cause.message}; it is computed from ${origin}`;
  }
}
