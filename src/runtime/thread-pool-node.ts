/**
 * Node's WorkerHost: pool workers are worker_threads running pool-worker.ts.
 * Loaded only by a dynamic import (executor.ts), and it imports Node modules
 * dynamically too (the runtime's rule: only platform-node.ts imports them
 * statically), so browser bundles never see node:worker_threads.
 *
 * The worker script sits beside this file: pool-worker.js in the compiled
 * dist/, pool-worker.ts when running from sources under tsx.
 */
import type { FromWorker, PoolWorker, WorkerHost } from "./thread-pool.js";

type NodeWorker = import("node:worker_threads").Worker;
type NodeWorkerClass = typeof import("node:worker_threads").Worker;

export async function createNodeWorkerHost(): Promise<WorkerHost> {
  const { availableParallelism } = await import("node:os");
  const { Worker } = await import("node:worker_threads");
  const fromSources = import.meta.url.endsWith(".ts");
  const script = new URL(`./pool-worker${fromSources ? ".ts" : ".js"}`, import.meta.url);
  return {
    hardwareThreads: availableParallelism(),
    startWorker: () => wrapWorker(fromSources ? startTypeScriptWorker(Worker, script) : new Worker(script)),
  };
}

/**
 * Node 20 does not apply the parent's `--import tsx` hooks to a worker's
 * entry module, so the entry is a one-line script that registers tsx through
 * its API, then imports the real entry.
 */
function startTypeScriptWorker(WorkerClass: NodeWorkerClass, script: URL): NodeWorker {
  const tsx = import.meta.resolve("tsx/esm/api");
  const source = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(script.href)}); });`;
  return new WorkerClass(source, { eval: true });
}

function wrapWorker(worker: NodeWorker): PoolWorker {
  // Idle workers must not keep the process alive; keepAlive(true) refs them while a reply is due.
  worker.unref();
  return {
    postMessage: (message) => worker.postMessage(message),
    listen(listener) {
      worker.on("message", (message: FromWorker) => listener(message));
      worker.on("error", (error: Error) => listener({ kind: "error", message: error.message }));
      worker.on("exit", (code) => listener({ kind: "error", message: `exited with code ${code}` }));
    },
    keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
    terminate: () => void worker.terminate(),
  };
}
