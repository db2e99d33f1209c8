import type { BenchContext, ScenarioOutcome } from "../context.js";
import { Samples, type Summary } from "../stats.js";

export interface ListTiming {
  label: string;
  path: string;
  /** Servers in the last response. */
  returned: number;
  latency: Summary;
}

export interface ListLevel {
  /** Servers present in the project while timing. */
  servers: number;
  timings: ListTiming[];
}

export interface BootListResult extends ScenarioOutcome {
  levels: ListLevel[];
}

/** The listings of scenario 2: a full page of details (default and explicit limit) and a filter by name. */
function listings(
  ctx: BenchContext,
): Array<{ label: string; path: string; expect: (n: number) => number | null }> {
  const needle = ctx.population.needle.name;
  const page = (n: number) => Math.min(n, 1000);
  return [
    // nova's default page is its max_limit, 1000; another cloud may use another.
    {
      label: "GET /servers/detail",
      path: "/servers/detail",
      expect: (n) => (ctx.target.kind === "nimbus" ? page(n) : null),
    },
    { label: "GET /servers/detail?limit=1000", path: "/servers/detail?limit=1000", expect: page },
    { label: "GET /servers?name=…", path: `/servers?name=${encodeURIComponent(needle)}`, expect: () => 1 },
  ];
}

/**
 * Rally's NovaServers.boot_and_list_server at one population: each listing is timed
 * sequentially (one request in flight) after one untimed warm-up, `samples` times or for
 * `timeS` seconds, whichever ends first.
 */
export async function measureListAt(ctx: BenchContext, servers: number): Promise<ListLevel> {
  const { samples, timeS } = ctx.sizes.list;
  const timings: ListTiming[] = [];
  for (const { label, path, expect } of listings(ctx)) {
    ctx.progress.step(`${servers} servers: ${label}`);
    await ctx.user.compute("GET", path);
    const latency = new Samples(samples);
    const until = performance.now() + timeS * 1000;
    let returned = 0;
    while (latency.length < samples && performance.now() < until) {
      const t0 = performance.now();
      const { body } = await ctx.user.compute<{ servers: unknown[] }>("GET", path);
      latency.add(performance.now() - t0);
      returned = body.servers.length;
    }
    const wanted = expect(servers);
    if (wanted !== null && returned !== wanted)
      throw new Error(`${label} returned ${returned} servers with ${servers} present; expected ${wanted}`);
    timings.push({ label, path, returned, latency: latency.summary() });
  }
  return { servers, timings };
}
