/**
 * The browser's WorkerHost: pool workers are module Web Workers running
 * pool-worker.js (beside this file in the built package). SharedArrayBuffer
 * needs a cross-origin isolated page (COOP/COEP headers); executor.ts falls
 * back to one thread without it.
 */
import type { FromWorker, PoolWorker, WorkerHost } from "./thread-pool.js";

export function createWebWorkerHost(): WorkerHost {
  const navigatorObject = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const script = new URL("./pool-worker.js", import.meta.url);
  return {
    hardwareThreads: navigatorObject?.hardwareConcurrency ?? 1,
    startWorker: () => wrapWorker(new Worker(script, { type: "module" })),
  };
}

function wrapWorker(worker: Worker): PoolWorker {
  return {
    postMessage: (message) => worker.postMessage(message),
    listen(listener) {
      worker.onmessage = (event: MessageEvent<FromWorker>) => listener(event.data);
      worker.onerror = (event) => listener({ kind: "error", message: event.message });
    },
    keepAlive: () => {},
    terminate: () => worker.terminate(),
  };
}
