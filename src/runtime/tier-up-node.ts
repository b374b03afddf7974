/**
 * Eager tier-up in Node: V8 reads its wasm compilation flags when a module
 * compiles, so turning lazy compilation and dynamic tiering off around our
 * own compiles (and back on once none is in flight) optimizes every function
 * of our modules up front and leaves other modules in the process as they
 * were (but for one that starts compiling while one of ours is in flight,
 * which is compiled eagerly too). A process started with either flag named
 * on its command line (or in NODE_OPTIONS) keeps its own choice, and a V8
 * that refuses runtime flags compiles the default way. Loaded by a dynamic
 * import from compile-wasm.ts, and imports node:v8 dynamically (only
 * platform-node.ts imports Node modules statically), so browser bundles
 * never see it.
 */
type SetFlags = (flags: string) => void;

const FLAGS = ["wasm-lazy-compilation", "wasm-dynamic-tiering"] as const;

/** Compiles in flight under the eager flags; the flags go back when the count returns to 0. */
let inFlight = 0;
let userChoice: boolean | undefined;
let v8Flags: Promise<SetFlags | null> | undefined;

export async function withEagerTierUp<T>(compile: () => Promise<T>): Promise<T> {
  userChoice ??= userSetTiering();
  v8Flags ??= import("node:v8").then(
    (v8) => v8.setFlagsFromString,
    () => null,
  );
  const setFlagsFromString = await v8Flags;
  if (userChoice || setFlagsFromString === null) return compile();
  if (inFlight === 0 && !setFlags(setFlagsFromString, false)) {
    setFlags(setFlagsFromString, true);
    return compile();
  }
  inFlight += 1;
  try {
    return await compile();
  } finally {
    inFlight -= 1;
    if (inFlight === 0) setFlags(setFlagsFromString, true);
  }
}

/** Sets both flags to V8's defaults (`on`) or off; false when V8 refuses. */
function setFlags(setFlagsFromString: SetFlags, on: boolean): boolean {
  try {
    for (const flag of FLAGS) setFlagsFromString(on ? `--${flag}` : `--no-${flag}`);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process was started with a say on these flags. */
function userSetTiering(): boolean {
  const options = [...process.execArgv, ...(process.env["NODE_OPTIONS"] ?? "").split(/\s+/)];
  return options.some((option) => FLAGS.some((flag) => option.replace(/_/g, "-").includes(flag)));
}
