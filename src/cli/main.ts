#!/usr/bin/env node
/** The `tessera` executable: runs the CLI on the process's arguments and streams. */
import { runCli } from "./cli.js";
import { createNodePlatform } from "../runtime/platform-node.js";

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  platform: createNodePlatform(),
});
