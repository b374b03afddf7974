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

/** Returns the feeds as validated Tensors in the order of `inputs`. */
export function validateFeeds(inputs: readonly TensorSlot[], feeds: Feeds): Tensor[] {
  if (typeof feeds !== "object" || feeds === null) {
    throw new TesseraError("E_BAD_FEED", "feeds must be an object mapping input names to tensors");
  }
  const declared = new Set(inputs.map((slot) => slot.name));
  for (const name of Object.keys(feeds)) {
    if (!declared.has(name)) {
      throw new TesseraError("E_BAD_FEED", `unknown input '${name}' (the model's inputs: ${listNames(inputs)})`);
    }
  }
  return inputs.map((slot) => validateFeed(slot, feeds[slot.name]));
}

function validateFeed(slot: TensorSlot, feed: TensorLike | undefined): Tensor {
  if (feed === undefined) {
    throw new TesseraError("E_BAD_FEED", `input '${slot.name}' is missing (${describe(slot.dtype, slot.shape)})`);
  }
  if (typeof feed !== "object" || feed === null || !("type" in feed && "data" in feed && "dims" in feed)) {
    throw new TesseraError("E_BAD_FEED", `input '${slot.name}' is not a tensor (needs type, data and dims)`);
  }
  const tensor = asTensor(slot.name, feed);
  if (tensor.type !== slot.dtype) {
    throw new TesseraError("E_BAD_FEED", `input '${slot.name}' must be ${slot.dtype}, got ${tensor.type}`);
  }
  if (!sameDims(tensor.dims, slot.shape)) {
    throw new TesseraError(
      "E_BAD_FEED",
      `input '${slot.name}' must have dims [${slot.shape.join(", ")}], got [${tensor.dims.join(", ")}]`,
    );
  }
  return tensor;
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

function describe(dtype: DType, shape: readonly number[]): string {
  return `${dtype} [${shape.join(", ")}]`;
}

function listNames(slots: readonly TensorSlot[]): string {
  return slots.length === 0 ? "none" : slots.map((slot) => `'${slot.name}'`).join(", ");
}
