import autocannon from "autocannon";
import type { HttpClient } from "./http.js";
import { Samples, type Summary } from "./stats.js";

export interface LoadRequest {
  /** Short name for tables, e.g. `GET /flavors/detail`. */
  label: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  label: string;
  connections: number;
  /** Seconds the run lasted. */
  durationS: number;
  /** Responses with a 2xx status. */
  ok: number;
  /** 2xx responses per second. */
  rps: number;
  /** Latency of 2xx responses, ms (measured with hrtime by autocannon, kept exact here). */
  latency: Summary;
  /** Non-2xx responses, connection errors and timeouts (the drain request included). */
  errors: number;
  statusCodes: Record<string, number>;
  /** How long the drain request took: roughly the work the server still had queued when the run ended. */
  drainMs: number;
}

/** The longest the drain request may take before the server counts as stuck. */
const DRAIN_TIMEOUT_MS = 120_000;

/**
 * A fixed-time, closed-loop keep-alive run of autocannon: `connections` connections, one
 * request in flight on each. Before it, unless the same request was just run, an untimed
 * warm-up (JIT, connection set-up); after
 * it, one more request of the same kind, awaited, because the server keeps working on the
 * requests that were in flight when autocannon hung up, and that work must not land in
 * the next run. Latencies are recorded per response: autocannon's own histogram rounds to
 * whole milliseconds, too coarse for sub-millisecond APIs.
 */
export async function runLoad(
  http: HttpClient,
  request: LoadRequest,
  connections: number,
  durationS: number,
  warmUp = true,
): Promise<LoadResult> {
  if (warmUp) {
    await measure(request, connections, Math.min(1, durationS / 8));
    await drain(http, request);
  }
  const result = await measure(request, connections, durationS);
  const started = performance.now();
  const drained = await drain(http, request);
  result.drainMs = performance.now() - started;
  if (!drained) result.errors += 1;
  return result;
}

async function drain(http: HttpClient, request: LoadRequest): Promise<boolean> {
  try {
    const res = await http.request(request.method ?? "GET", request.url, {
      headers: request.headers,
      body: request.body,
      timeoutMs: DRAIN_TIMEOUT_MS,
    });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

function measure(request: LoadRequest, connections: number, durationS: number): Promise<LoadResult> {
  const samples = new Samples(1 << 16);
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: request.url,
        method: request.method ?? "GET",
        headers: request.headers,
        body: request.body,
        connections,
        duration: durationS,
        timeout: 30,
      },
      (error, result) => {
        if (error) return reject(error);
        const statusCodes = Object.fromEntries(
          Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]),
        );
        resolve({
          label: request.label,
          connections,
          durationS: result.duration,
          ok: result["2xx"],
          rps: result.duration > 0 ? result["2xx"] / result.duration : 0,
          latency: samples.summary(),
          errors: result.non2xx + result.errors,
          statusCodes,
          drainMs: 0,
        });
      },
    );
    instance.on(
      "response",
      (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
        if (statusCode >= 200 && statusCode < 300) samples.add(responseTimeMs);
      },
    );
  });
}
