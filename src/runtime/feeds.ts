/**
 * Feed validation for session.run: every declared input present, no unknown
 * names, and each tensor of the declared dtype and dims. All problems are
 * TesseraError E_BAD_FEED naming the input, raised before any byte is written
 * to wasm memory.
 */
import { Tensor, type TensorData } from "./tensor.js";
import type { TensorSlot } from "./plan.js";
import type { DType } from "../support/dtype.js";
import { TesseraError } from "../support/errors.js";

/**
 * A tensor-like feed: Tessera's Tensor, or any object with the same three
 * fields (an onnxruntime-web Tensor works unchanged).
 */
export interface TensorLike {
  readonly type: string;
  readonly data: unknown;
  readonly dims: readonly number[];
}

export type Feeds = Readonly<Record<string, TensorLike>>;

/**
 * A model input as the model declares it: a string dim is symbolic (any
 * size; feeds sharing a name must agree on it), a number dim is fixed.
 */
export interface DeclaredInput {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly (number | string)[];
}

/** Returns the feeds as validated Tensors in the order of `inputs`. */
export function validateFeeds(inputs: readonly TensorSlot[], feeds: Feeds): Tensor[] {
  checkNames(inputs, feeds);
  return inputs.map((slot) => {
    const tensor = checkedTensor(slot, feeds[slot.name]);
    if (!sameDims(tensor.dims, slot.shape)) throw wrongDims(slot, tensor, compiledForHint(slot, tensor));
    return tensor;
  });
}

/**
 * Validates feeds against declared inputs (for a session that compiles per
 * feed shapes): dtype, rank and fixed dims must match; symbolic dims give
 * the returned bindings (e.g. { batch: 3 }).
 */
export function validateDeclaredFeeds(
  inputs: readonly DeclaredInput[],
  feeds: Feeds,
): { readonly tensors: Tensor[]; readonly bindings: Map<string, number> } {
  checkNames(inputs, feeds);
  const bindings = new Map<string, number>();
  const tensors = inputs.map((input) => {
    const tensor = checkedTensor(input, feeds[input.name]);
    const fits =
      tensor.dims.length === input.shape.length &&
      input.shape.every((dim, axis) => typeof dim === "string" || dim === tensor.dims[axis]);
    if (!fits) throw wrongDims(input, tensor, "");
    input.shape.forEach((dim, axis) => {
      if (typeof dim === "number") return;
      const size = tensor.dims[axis]!;
      const bound = bindings.get(dim);
      if (bound !== undefined && bound !== size) {
        throw new TesseraError(
          "E_BAD_FEED",
          `input '${input.name}' has ${size} for dim '${dim}', another input ${bound}`,
        );
      }
      bindings.set(dim, size);
    });
    return tensor;
  });
  return { tensors, bindings };
}

function checkNames(inputs: readonly { readonly name: string }[], feeds: Feeds): void {
  if (typeof feeds !== "object" || feeds === null) {
    throw new TesseraError("E_BAD_FEED", "feeds must be an object mapping input names to tensors");
  }
  const declared = new Set(inputs.map((slot) => slot.name));
  for (const name of Object.keys(feeds)) {
    if (!declared.has(name)) {
      throw new TesseraError("E_BAD_FEED", `unknown input '${name}' (the model's inputs: ${listNames(inputs)})`);
    }
  }
}

/** The feed as a Tensor of the input's dtype (dims not checked). */
function checkedTensor(input: DeclaredInput | TensorSlot, feed: TensorLike | undefined): Tensor {
  if (feed === undefined) {
    throw new TesseraError("E_BAD_FEED", `input '${input.name}' is missing (${describe(input.dtype, input.shape)})`);
  }
  if (typeof feed !== "object" || feed === null || !("type" in feed && "data" in feed && "dims" in feed)) {
    throw new TesseraError("E_BAD_FEED", `input '${input.name}' is not a tensor (needs type, data and dims)`);
  }
  const tensor = asTensor(input.name, feed);
  if (tensor.type !== input.dtype) {
    throw new TesseraError("E_BAD_FEED", `input '${input.name}' must be ${input.dtype}, got ${tensor.type}`);
  }
  return tensor;
}

function wrongDims(input: DeclaredInput | TensorSlot, tensor: Tensor, hint: string): TesseraError {
  return new TesseraError(
    "E_BAD_FEED",
    `input '${input.name}' must have dims [${input.shape.join(", ")}], got [${tensor.dims.join(", ")}]${hint}`,
  );
}

/**
 * For a slot compiled from symbolic dims (an artifact, which cannot be
 * compiled again): says which bindings the feed would need.
 */
function compiledForHint(slot: TensorSlot, tensor: Tensor): string {
  const declared = slot.declaredShape;
  if (declared === undefined || declared.length !== tensor.dims.length) return "";
  const fixedDiffer = declared.some((dim, axis) => typeof dim === "number" && dim !== tensor.dims[axis]);
  if (fixedDiffer) return "";
  const wanted = declared.flatMap((dim, axis) => (typeof dim === "string" ? [`${dim}: ${tensor.dims[axis]}`] : []));
  return (
    `; the model was compiled for [${slot.shape.join(", ")}] from its declared [${declared.join(", ")}]: ` +
    `compile it with other bindings ({ ${wanted.join(", ")} }) to run these dims`
  );
}

function asTensor(name: string, feed: TensorLike): Tensor {
  if (feed instanceof Tensor) return feed;
  try {
    return new Tensor(feed.type as DType, feed.data as TensorData, feed.dims);
  } catch (error) {
    if (error instanceof TesseraError) {
      throw new TesseraError("E_BAD_FEED", `input '${name}': ${error.message.replace(/^E_BAD_FEED: /, "")}`);
    }
    throw error;
  }
}

function sameDims(actual: readonly number[], expected: readonly number[]): boolean {
  return actual.length === expected.length && actual.every((dim, index) => dim === expected[index]);
}

function describe(dtype: DType, shape: readonly (number | string)[]): string {
  return `${dtype} [${shape.join(", ")}]`;
}

function listNames(slots: readonly { readonly name: string }[]): string {
  return slots.length === 0 ? "none" : slots.map((slot) => `'${slot.name}'`).join(", ");
}
