/**
 * The Node.js platform: the file system through node:fs. Loaded only by a
 * dynamic import from platform.ts, so browser bundles never see node:fs.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Platform } from "./platform.js";

export function createNodePlatform(): Platform {
  return {
    async readFile(path) {
      const buffer = await readFile(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
    readFileSync(path) {
      const buffer = readFileSync(path);
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
    async fileExists(path) {
      return (await statOrNull(path))?.isFile() ?? false;
    },
    async isDirectory(path) {
      return (await statOrNull(path))?.isDirectory() ?? false;
    },
    listDirectory: (path) => readdir(path),
    async makeDirectory(path) {
      await mkdir(path, { recursive: true });
    },
    writeFile: (path, contents) => writeFile(path, contents),
    dirname,
    join,
  };
}

/** Synchronous existence check for callers that cannot await (external data). */
export function isFileSync(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}
