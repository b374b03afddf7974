/**
 * The host services the runtime needs, behind one small interface so that
 * session.ts runs unchanged in Node and in browsers. The runtime core never
 * imports Node modules (fs, path, worker_threads) statically: the Node
 * implementation is loaded with a dynamic import only when running in Node,
 * and browsers get a fetch-based one.
 */
import { TesseraError } from "../support/errors.js";

export interface Platform {
  /** Reads a whole file (or URL); E_BAD_ARTIFACT-free: callers choose the error for a missing file. */
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Synchronous read, present only where the host can do it (Node). The
   * compiler's external-data callback is synchronous, so compiling an .onnx
   * with external weights needs it.
   */
  readonly readFileSync?: (path: string) => Uint8Array;
  /** True for an existing regular file. */
  fileExists(path: string): Promise<boolean>;
  /** True for an existing directory. */
  isDirectory(path: string): Promise<boolean>;
  /** Names of the entries in a directory (not recursive). */
  listDirectory(path: string): Promise<string[]>;
  /** Creates the directory and its parents when missing. */
  makeDirectory(path: string): Promise<void>;
  writeFile(path: string, contents: Uint8Array | string): Promise<void>;
  dirname(path: string): string;
  join(...parts: string[]): string;
}

/** True when running under Node.js (as opposed to a browser or a worker there). */
export function isNode(): boolean {
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof process?.versions?.node === "string";
}

let defaultPlatform: Promise<Platform> | undefined;

/** The platform for the current host: Node's file system, or fetch in browsers. */
export function getDefaultPlatform(): Promise<Platform> {
  defaultPlatform ??= isNode()
    ? import("./platform-node.js").then((module) => module.createNodePlatform())
    : Promise.resolve(createFetchPlatform());
  return defaultPlatform;
}

/**
 * A read-only platform over fetch(): paths are URLs. A URL ending in "/" is
 * a directory (an artifact folder); there is no listing or writing.
 */
export function createFetchPlatform(fetchFunction: typeof fetch = fetch): Platform {
  const unsupported = (what: string) => (): never => {
    throw new TesseraError("E_USAGE", `${what} is not available in this environment`);
  };
  return {
    async readFile(path) {
      const response = await fetchFunction(path);
      if (!response.ok) throw new TesseraError("E_BAD_ARTIFACT", `cannot fetch ${path}: HTTP ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    async fileExists(path) {
      if (path.endsWith("/")) return false;
      const response = await fetchFunction(path, { method: "HEAD" });
      return response.ok;
    },
    async isDirectory(path) {
      return path.endsWith("/");
    },
    listDirectory: unsupported("listing a directory"),
    makeDirectory: unsupported("creating a directory"),
    writeFile: unsupported("writing a file"),
    dirname(path) {
      const slash = path.lastIndexOf("/", path.length - 2);
      return slash < 0 ? "." : path.slice(0, slash + 1);
    },
    join(...parts) {
      return parts.reduce((joined, part) => (joined === "" ? part : `${joined.replace(/\/$/, "")}/${part}`), "");
    },
  };
}
