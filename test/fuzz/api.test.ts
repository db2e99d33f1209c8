/**
 * Property-based fuzzing of the real `nimbus serve`, on SQLite and (when
 * NIMBUS_TEST_POSTGRES_URL names a server) on PostgreSQL: NIMBUS_FUZZ_REQUESTS mutated
 * requests (20,000 by default) across the identity, compute, image and network APIs, seeded by
 * NIMBUS_FUZZ_SEED (random otherwise; printed on failure). Every answer must be below
 * 500 and every error a JSON body in its API's own format; the process must stay up;
 * and `GET /compute/v2.1`, probed throughout from another thread, must answer within
 * PROBE_LIMIT_MS. A failing request is shrunk by
 * fast-check towards the valid request it was mutated from, on a restarted process if it
 * hung or killed the first one. `npm test` runs this file after all the others, alone, so
 * that the probe measures nimbus and not the other test files sharing the machine.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POSTGRES_SERVER } from "../postgres.js";
import { answerProblem } from "./fault-formats.js";
import { type ProbeSample, startLatencyProbe } from "./latency-probe.js";
import { type FuzzRequest, fuzzRequests } from "./requests.js";
import { type Engine, FuzzTarget } from "./target.js";
import { send } from "./wire.js";

const REQUESTS = Number(process.env.NIMBUS_FUZZ_REQUESTS || 20_000);
const SEED = Number(process.env.NIMBUS_FUZZ_SEED || Math.floor(Math.random() * 2 ** 31));
/**
 * Requests in flight at once: one fast-check runner each. Four keep a 2-core machine busy;
 * with eight, the probe mostly measured its wait behind seven heavy requests in the queue of
 * a single-threaded server (p99 ~40–90 ms) rather than any request holding the loop.
 */
const CONCURRENCY = 4;
/** A request that takes longer has hung the server (the slowest valid ones take well under 1 s). */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * The bound the probe must stay under. Request validators are generated at build time, so no
 * request waits for a schema to compile (the largest took ~100 ms and held the probe that
 * long). With every compute response also checked against nova's schemas (as the tests run),
 * the probe's p99 is 19–27 ms on a 2-core machine and its maximum 66–118 ms across runs, no
 * request the same twice in flight: 150 ms leaves room for that spread while a handler that
 * holds the loop still shows. Lower it with NIMBUS_FUZZ_PROBE_LIMIT_MS to see what is in flight.
 */
const PROBE_LIMIT_MS = Number(process.env.NIMBUS_FUZZ_PROBE_LIMIT_MS || 150);
/** nimbus's default body limit (bodyLimitBytes): past it the server answers 413 and closes. */
const BODY_LIMIT_BYTES = 1024 * 1024;
/** Enough shrinking for a readable request, bounded when each step costs a restart. */
const MAX_SHRINKS = 150;

interface Sent {
  readonly start: number;
  readonly end: number;
  readonly what: string;
}

const engines: Engine[] = POSTGRES_SERVER === undefined ? ["sqlite"] : ["sqlite", "postgres"];

describe.each(engines)("fuzzing nimbus serve on %s", (engine) => {
  let target: FuzzTarget;

  beforeAll(async () => {
    target = await FuzzTarget.start(engine, POSTGRES_SERVER);
  }, 180_000);

  afterAll(async () => {
    await target?.stop();
  });

  it(`answers ${REQUESTS} mutated requests with no 5xx, in each API's fault format, staying responsive`, async () => {
    const arbitrary = fc.limitShrink(fuzzRequests(target.fixtures), MAX_SHRINKS);
    const log: Sent[] = [];
    const statuses = new Map<number, number>();
    /** The runner that saw the first failure shrinks it; the others stop sending. */
    let owner: number | undefined;
    let suspect = false;
    let healthCheck: Promise<void> | undefined;

    const runOne = async (runner: number, request: FuzzRequest): Promise<void> => {
      if (owner !== undefined && owner !== runner) return;
      if (suspect) {
        // the last failing request may have hung or killed the process
        healthCheck ??= target.ensureHealthy().finally(() => {
          healthCheck = undefined;
        });
        await healthCheck;
        suspect = false;
      }
      const start = performance.timeOrigin + performance.now();
      let problem: string | undefined;
      let detail = "";
      try {
        const response = await send(target.url, request, REQUEST_TIMEOUT_MS);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        problem = answerProblem(request.method, request.path, response);
        detail = `${response.status} ${response.contentType}\n${response.text.slice(0, 1_000)}`;
      } catch (error) {
        // Refusing an oversized body, the server closes the connection while the body is
        // still being written; the client then sees the broken pipe, not the 413.
        const code = (error as NodeJS.ErrnoException).code;
        const refused =
          (code === "EPIPE" || code === "ECONNRESET") && (request.body?.length ?? 0) > BODY_LIMIT_BYTES;
        if (!refused) problem = `no answer: ${(error as Error).message}`;
      }
      const end = performance.timeOrigin + performance.now();
      log.push({ start, end, what: `${request.method} ${request.path.slice(0, 160)} (${request.origin})` });
      if (problem === undefined && !target.alive()) problem = "the process died";
      if (problem === undefined) return;
      suspect = true;
      owner ??= runner;
      if (owner !== runner) return;
      throw new Error(`${problem}\n${detail}\n--- the server's last output:\n${target.outputTail(3_000)}`);
    };

    const probe = startLatencyProbe(`${target.url}/compute/v2.1`);
    const runsEach = Math.ceil(REQUESTS / CONCURRENCY);
    const results = await Promise.all(
      Array.from({ length: CONCURRENCY }, (_, runner) =>
        fc.check(
          fc.asyncProperty(arbitrary, (request) => runOne(runner, request)),
          { seed: SEED + runner, numRuns: runsEach },
        ),
      ),
    );
    const samples = await probe.stop();

    const failures = results
      .filter((r) => r.failed)
      .map(
        (r) =>
          `${fc.defaultReportMessage(r)}\nIts answer: ${(r.errorInstance as Error | undefined)?.message}`,
      );
    console.info(summary(engine, log, statuses, samples, target.restarts));
    expect(failures, `NIMBUS_FUZZ_SEED=${SEED} on ${engine}:\n${failures.join("\n\n")}`).toEqual([]);
    expect(target.alive(), "the process is alive").toBe(true);
    expect(log.length).toBeGreaterThanOrEqual(REQUESTS);
    const slow = samples.filter((s) => s.status !== 200 || s.ms >= PROBE_LIMIT_MS);
    expect(
      slow.map((s) => describeSlow(s, log)),
      `NIMBUS_FUZZ_SEED=${SEED}: slow answers to GET /compute/v2.1`,
    ).toEqual([]);
  }, 900_000);
});

/** A slow probe and the requests in flight while it waited, the longest first. */
function describeSlow(sample: ProbeSample, log: readonly Sent[]): string {
  const during = log
    .filter((s) => s.start <= sample.at + sample.ms && s.end >= sample.at)
    .sort((a, b) => b.end - b.start - (a.end - a.start))
    .slice(0, 3)
    .map((s) => `\n    ${Math.round(s.end - s.start)} ms ${s.what}`);
  return `${sample.status === 0 ? "no answer" : sample.status} in ${Math.round(sample.ms)} ms; in flight:${during.join("")}`;
}

function summary(
  engine: Engine,
  log: readonly Sent[],
  statuses: ReadonlyMap<number, number>,
  samples: readonly ProbeSample[],
  restarts: number,
): string {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const at = (q: number) =>
    ms.length === 0 ? 0 : ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(1);
  const first = log.reduce((min, s) => Math.min(min, s.start), Number.POSITIVE_INFINITY);
  const last = log.reduce((max, s) => Math.max(max, s.end), 0);
  const seconds = log.length === 0 ? 0 : (last - first) / 1000;
  const byStatus = [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}: ${n}`)
    .join(", ");
  return (
    `fuzz on ${engine} (NIMBUS_FUZZ_SEED=${SEED}): ${log.length} requests in ${seconds.toFixed(1)} s; ${byStatus}; ` +
    `probe p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms over ${ms.length} samples; ${restarts} restarts`
  );
}
