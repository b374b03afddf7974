/**
 * An on-disk cache of compiled models for `InferenceSession.create("x.onnx",
 * { cacheDirectory })`: a Node service compiles a model once and later starts
 * load the artifact instead.
 *
 * An entry is an artifact folder named by the SHA-256 of Tessera's version,
 * the compile options and the model bytes, plus `sources.json`, the hash of
 * every external-data file the compiler read. An entry is used only when
 * those files still hash the same; an unreadable or stale entry is compiled
 * again and rewritten. The key cannot see changes to the compiler itself
 * within one version, which is why the cache is opt-in.
 */
import { type ArtifactContents, readArtifact, writeArtifact } from "./artifact.js";
import type { ModelSource } from "./model-source.js";
import type { Platform } from "./platform.js";
import { TESSERA_VERSION } from "./version.js";
import { TesseraError } from "../support/errors.js";

export const SOURCES_FILE = "sources.json";

/** The options that change what the compiler emits. */
export interface CacheableOptions {
  readonly bindings: Readonly<Record<string, number>>;
  readonly relaxedSimd: boolean;
  readonly threads: boolean;
  readonly winograd: boolean;
  readonly layout: "NCHW" | "NHWC";
}

type Compile = (source: ModelSource) => Promise<ArtifactContents>;

interface SourcesFile {
  /** SHA-256 (hex) of each external-data file, by location. */
  readonly external: Readonly<Record<string, string>>;
}

export async function compileWithCache(
  platform: Platform,
  cacheDirectory: string,
  source: ModelSource,
  options: CacheableOptions,
  compile: Compile,
): Promise<ArtifactContents> {
  const entry = platform.join(cacheDirectory, await cacheKey(source.bytes, options));
  const cached = await readEntry(platform, entry, source);
  if (cached !== undefined) return cached;
  const externals = new Map<string, Uint8Array>();
  const readExternal = source.readExternal;
  const recording: ModelSource = {
    ...source,
    readExternal:
      readExternal === undefined
        ? undefined
        : (location) => {
            const bytes = readExternal(location);
            externals.set(location, bytes);
            return bytes;
          },
  };
  const compiled = await compile(recording);
  await writeEntry(platform, entry, compiled, externals);
  return compiled;
}

export async function cacheKey(modelBytes: Uint8Array, options: CacheableOptions): Promise<string> {
  const bindings = Object.keys(options.bindings)
    .sort()
    .map((name) => [name, options.bindings[name]]);
  const header = JSON.stringify([
    TESSERA_VERSION,
    bindings,
    options.relaxedSimd,
    options.threads,
    options.winograd,
    options.layout,
  ]);
  const headerBytes = new TextEncoder().encode(header);
  const keyed = new Uint8Array(headerBytes.length + 1 + modelBytes.length);
  keyed.set(headerBytes);
  keyed.set(modelBytes, headerBytes.length + 1);
  return sha256(keyed);
}

async function readEntry(
  platform: Platform,
  entry: string,
  source: ModelSource,
): Promise<ArtifactContents | undefined> {
  try {
    if (!(await platform.isDirectory(entry))) return undefined;
    const sourcesBytes = await platform.readFile(platform.join(entry, SOURCES_FILE));
    const sources = JSON.parse(new TextDecoder().decode(sourcesBytes)) as SourcesFile;
    for (const [location, hash] of Object.entries(sources.external)) {
      if (source.readExternal === undefined || (await sha256(source.readExternal(location))) !== hash) return undefined;
    }
    return await readArtifact(platform, entry);
  } catch (error) {
    if (error instanceof TesseraError || error instanceof SyntaxError || isFileSystemError(error)) return undefined;
    throw error;
  }
}

/** Writes an entry; a cache that cannot be written (read-only disk) only costs the next start a compile. */
async function writeEntry(
  platform: Platform,
  entry: string,
  compiled: ArtifactContents,
  externals: ReadonlyMap<string, Uint8Array>,
): Promise<void> {
  const external: Record<string, string> = {};
  for (const [location, bytes] of externals) external[location] = await sha256(bytes);
  try {
    await platform.makeDirectory(entry);
    // sources.json first: the artifact's plan.json, written last, marks the entry complete.
    await platform.writeFile(platform.join(entry, SOURCES_FILE), JSON.stringify({ external } satisfies SourcesFile));
    await writeArtifact(platform, entry, compiled);
  } catch (error) {
    if (!(error instanceof TesseraError) && !isFileSystemError(error)) throw error;
  }
}

function isFileSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
