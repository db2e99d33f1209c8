import { setTimeout as sleep } from "node:timers/promises";
import { type BenchContext, outcome, type ScenarioOutcome } from "../context.js";
import { NimbusProcess } from "../nimbus-process.js";
import { type Summary, summarize } from "../stats.js";

export interface Startup {
  /** Spawn → first 200 on `GET /compute/v2.1`, ms. */
  firstOkMs: number;
  /** RSS one second after that first 200, bytes. */
  idleRssBytes: number | null;
}

export interface FootprintResult extends ScenarioOutcome {
  /** Each start on a fresh data directory (first-start bootstrap included). */
  startups: Startup[];
  firstOk: Summary;
  /** RSS of the nimbus under test at each population (after its builds ended), bytes. */
  rss: Array<{ servers: number; rssBytes: number | null }>;
  /** VmHWM of the nimbus under test at the end of the run, bytes. */
  peakRssBytes: number | null;
}

/** How long an idle nimbus is left alone before its RSS is read. */
export const SETTLE_MS = 1000;

export function footprintResult(): FootprintResult {
  return { ...outcome(), startups: [], firstOk: summarize([]), rss: [], peakRssBytes: null };
}

/**
 * Scenario 4, first part: time-to-first-200 and idle RSS over fresh starts, each its own
 * process on its own data directory. RSS under load is read by {@link recordRss}.
 */
export async function measureStartups(ctx: BenchContext, result: FootprintResult): Promise<void> {
  for (let i = 0; i < ctx.sizes.startups; i++) {
    ctx.progress.step(`start ${i + 1}/${ctx.sizes.startups} on a fresh data directory`);
    const nimbus = await NimbusProcess.start({ fakeStepMs: 0, logLevel: "warn", timeoutMs: 60_000 });
    try {
      await sleep(SETTLE_MS);
      result.startups.push({ firstOkMs: nimbus.firstOkMs, idleRssBytes: nimbus.rssBytes() });
    } finally {
      await nimbus.stop();
    }
  }
  result.firstOk = summarize(result.startups.map((s) => s.firstOkMs));
}

/** Reads the RSS of the nimbus under test with `servers` present. */
export async function recordRss(ctx: BenchContext, result: FootprintResult, servers: number): Promise<void> {
  if (ctx.target.kind !== "nimbus") return;
  await sleep(SETTLE_MS);
  result.rss.push({ servers, rssBytes: ctx.target.nimbus.rssBytes() });
}
