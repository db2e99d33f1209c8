/**
 * `GET /compute/v2.1` in a loop while the fuzzer loads the server, timed from a worker
 * thread: the fuzzer's own event loop (generating and checking thousands of requests)
 * must not count as the server's latency. A fresh connection each time, as a client
 * that has just arrived would see it.
 */
import { Worker } from "node:worker_threads";

export interface ProbeSample {
  /** When the probe was sent: milliseconds since the epoch, as `performance.timeOrigin + performance.now()`. */
  readonly at: number;
  readonly ms: number;
  /** 0 when nothing answered within the probe's own timeout. */
  readonly status: number;
}

const PROBE_LOOP = `
const http = require("node:http");
const { workerData, parentPort } = require("node:worker_threads");
const samples = [];
let stopped = false;
parentPort.on("message", () => { stopped = true; });
function once() {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (status) => {
      const now = performance.now();
      samples.push({ at: performance.timeOrigin + started, ms: now - started, status });
      resolve();
    };
    const req = http.get(workerData.url, { agent: false, timeout: workerData.timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => done(0));
  });
}
(async () => {
  while (!stopped) {
    await once();
    await new Promise((resolve) => setTimeout(resolve, workerData.intervalMs));
  }
  parentPort.postMessage(samples);
})();
`;

export interface LatencyProbe {
  /** Ends the loop and hands back every sample taken. */
  stop(): Promise<ProbeSample[]>;
}

export function startLatencyProbe(url: string, intervalMs = 10, timeoutMs = 5_000): LatencyProbe {
  const worker = new Worker(PROBE_LOOP, { eval: true, workerData: { url, intervalMs, timeoutMs } });
  const samples = new Promise<ProbeSample[]>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return {
    async stop() {
      worker.postMessage("stop");
      const all = await samples;
      await worker.terminate();
      return all;
    },
  };
}
