import { describe, expect, it } from "vitest";
import { SIZES } from "./context.js";
import type { LoadResult } from "./load.js";
import { failures, fmtMs, type RunReport, renderMarkdown } from "./report.js";
import { summarize } from "./stats.js";

function load(label: string, connections: number, rps: number): LoadResult {
  return {
    label,
    connections,
    durationS: 2,
    ok: rps * 2,
    rps,
    latency: summarize([1, 2, 3]),
    errors: 0,
    statusCodes: { 200: rps * 2 },
    drainMs: 1,
  };
}

function report(overrides: Partial<RunReport> = {}): RunReport {
  return {
    schema: "nimbus-bench/1",
    command: "npm run bench -- --quick",
    mode: "quick",
    startedAt: "2026-01-01T00:00:00Z",
    finishedAt: "2026-01-01T00:00:30Z",
    durationS: 30,
    machine: {
      cpus: 2,
      cpuModel: "cpu",
      memoryBytes: 2 ** 34,
      os: "Linux",
      node: "v20",
      loadAverage: { start: 0.5, end: 1 },
    },
    target: null,
    sizes: SIZES.quick,
    scenarios: {},
    seeding: [],
    ...overrides,
  };
}

describe("fmtMs", () => {
  it("keeps the precision that matters at each size", () => {
    expect(fmtMs(0.1234)).toBe("0.12");
    expect(fmtMs(12.345)).toBe("12.3");
    expect(fmtMs(1234.5)).toBe("1,235");
    expect(fmtMs(null)).toBe("—");
  });
});

describe("renderMarkdown", () => {
  it("reports each throughput row as a share of the ceiling at the same connections", () => {
    const text = renderMarkdown(
      report({
        scenarios: {
          ceiling: {
            status: "ok",
            notes: [],
            skipped: [],
            bodyBytes: 284,
            runs: [load("bare", 8, 10_000), load("bare", 64, 20_000)],
          },
          throughput: {
            status: "ok",
            notes: [],
            skipped: [],
            servers: 100,
            runs: [load("GET /x", 8, 1000), load("GET /x", 64, 1000)],
          },
        },
      }),
    );
    expect(text).toMatch(/\| `GET \/x` \| 8 \| 1,000 \| .* \| 10\.0 % \|/);
    expect(text).toMatch(/\| `GET \/x` \| 64 \| 1,000 \| .* \| 5\.0 % \|/);
  });

  it("says what was skipped and why, and marks a failed scenario", () => {
    const text = renderMarkdown(
      report({
        scenarios: {
          "boot-list": {
            status: "failed",
            error: "servers stuck in BUILD",
            notes: [],
            skipped: [
              { what: "listing with 10,000 servers", why: "skipped: needs nimbus" },
              { what: "listing with 100,000 servers", why: "over the budget" },
            ],
            levels: [],
          },
        },
      }),
    );
    expect(text).toContain("- listing with 10,000 servers: skipped: needs nimbus\n");
    expect(text).toContain("- listing with 100,000 servers: skipped: over the budget\n");
    expect(text).toContain("**FAILED** (boot-list): servers stuck in BUILD");
  });
});

describe("failures", () => {
  it("lists failed scenarios and a run that could not start, for the exit status", () => {
    expect(failures(report())).toEqual([]);
    expect(failures(report({ error: "nimbus exited" }))).toEqual(["run: nimbus exited"]);
    const failed = report({
      scenarios: {
        ceiling: { status: "failed", error: "boom", notes: [], skipped: [], bodyBytes: 0, runs: [] },
      },
    });
    expect(failures(failed)).toEqual(["ceiling: boom"]);
  });
});
