/**
 * Entry script of a pool worker thread (Node worker_threads or a module Web
 * Worker). It only wires the host's message channel to pool-worker-loop.ts.
 */
import { createWorkerHandler, type WorkerPort } from "./pool-worker-loop.js";
import type { ToWorker } from "./thread-pool.js";
import { isNode } from "./platform.js";

if (isNode()) {
  const { parentPort } = await import("node:worker_threads");
  if (parentPort !== null) {
    const port = parentPort;
    const handle = createWorkerHandler(port);
    port.on("message", (message: ToWorker) => handle(message));
  }
} else {
  const scope = globalThis as unknown as WorkerPort & { onmessage: ((event: MessageEvent<ToWorker>) => void) | null };
  const handle = createWorkerHandler(scope);
  scope.onmessage = (event) => handle(event.data);
}
