/**
 * What a CLI command talks to: two text streams and the file system. Tests
 * pass buffers; main.ts passes the process's streams.
 */
import type { Platform } from "../runtime/platform.js";
import { TesseraError } from "../support/errors.js";

export interface CliIo {
  /** Writes text as is (callers add newlines). */
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly platform: Platform;
}

/** Parses repeated `name=value` options (e.g. --bind batch=1) into a record of integers. */
export function parseBindings(specs: readonly string[]): Record<string, number> {
  const bindings: Record<string, number> = {};
  for (const spec of specs) {
    const match = /^([^=]+)=(\d+)$/.exec(spec);
    if (match === null) throw new TesseraError("E_USAGE", `--bind expects name=size, got '${spec}'`);
    bindings[match[1]] = Number(match[2]);
  }
  return bindings;
}

/** Parses a positive integer option value. */
export function parsePositiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) {
    throw new TesseraError("E_USAGE", `${option} expects a positive integer, got '${text}'`);
  }
  return value;
}
