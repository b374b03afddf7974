/**
 * The op registry: ONNX op type (default domain) → definition. The two
 * families live in their own folders; this file only joins them.
 */
import type { OpDefinition } from "../op.js";
import { MATH_OPS } from "./math/index.js";
import { NN_OPS } from "./nn/index.js";
import { WinogradInput, WinogradOutput } from "./nn/winograd.js";
import { CHANNELS_LAST_FORMS, withDataLayout } from "./nn/channels-last.js";

const REGISTRY: ReadonlyMap<string, OpDefinition> = new Map<string, OpDefinition>([
  ...Object.entries(MATH_OPS),
  ...Object.entries(NN_OPS),
]);

/** The definition of an op of the default domain, or undefined when Tessera does not implement it. */
export function findOpDefinition(opType: string): OpDefinition | undefined {
  return REGISTRY.get(opType);
}

/**
 * The domain of Tessera's own ops: what compiler rewrites introduce (the
 * transforms of a Winograd convolution), never part of an ONNX model's contract.
 */
export const TESSERA_DOMAIN = "ai.tessera";

const TESSERA_OWN: ReadonlyMap<string, OpDefinition> = new Map([
  ["WinogradInput", WinogradInput],
  ["WinogradOutput", WinogradOutput],
]);

/**
 * Tessera's ops, each with a data_layout attribute (te/ops/nn/channels-last.ts):
 * the Winograd transforms, and the channels-last forms of the layout-carrying
 * ONNX ops that graph/passes/convert-layout.ts moves into this domain.
 */
const TESSERA_OPS: ReadonlyMap<string, OpDefinition> = new Map(
  [...CHANNELS_LAST_FORMS].map(([opType, carriers]): [string, OpDefinition] => {
    const definition = TESSERA_OWN.get(opType) ?? REGISTRY.get(opType)!;
    return [opType, withDataLayout(definition, carriers)];
  }),
);

/** The definition of an op of Tessera's own domain, or undefined. */
export function findTesseraOpDefinition(opType: string): OpDefinition | undefined {
  return TESSERA_OPS.get(opType);
}

export function supportedOpTypes(): readonly string[] {
  return [...REGISTRY.keys()].sort();
}
