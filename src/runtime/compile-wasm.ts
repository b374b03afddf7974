/**
 * Compiles generated modules. V8 compiles a module's functions lazily: each
 * one with its baseline compiler (Liftoff) on its first call, then again with
 * its optimizing compiler (TurboFan) once it has run enough, so the first
 * inference runs mostly baseline code and pays the compiles (bert_encoder:
 * 87 ms against 25 ms steady). With `eager`, where the host lets us choose
 * (Node, see tier-up-node.ts), every function is optimized while the module
 * compiles (about 40–60 ms for resnet18 or bert, on background threads), and
 * the first inference runs as fast as the later ones. Elsewhere, and when
 * the host refuses, the module compiles the engine's default way.
 */
import { isNode } from "./platform.js";

interface TierUpHost {
  withEagerTierUp<T>(compile: () => Promise<T>): Promise<T>;
}

let nodeHost: Promise<TierUpHost> | undefined;

/** Compiles `wasm`; with `eager`, optimizes all of its functions up front where the host allows it. */
export async function compileWasm(wasm: Uint8Array, eager: boolean): Promise<WebAssembly.Module> {
  const compile = () => WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
  if (!eager || !isNode()) return compile();
  nodeHost ??= import("./tier-up-node.js");
  return (await nodeHost).withEagerTierUp(compile);
}
