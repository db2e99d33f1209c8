import { tokenRequestBody } from "../client.js";
import { type BenchContext, outcome, type ScenarioOutcome } from "../context.js";
import { type LoadRequest, type LoadResult, runLoad } from "../load.js";

export interface ThroughputResult extends ScenarioOutcome {
  /** Servers in the project during the runs. */
  servers: number;
  runs: LoadResult[];
}

/** More than this share of error responses fails the scenario: the figures would not mean much. */
const MAX_ERROR_SHARE = 0.01;

/**
 * Scenario 3: closed-loop keep-alive load with autocannon on four calls every client makes
 * all day, at each connection count, for a fixed time.
 */
export async function throughput(ctx: BenchContext): Promise<ThroughputResult> {
  const result: ThroughputResult = { ...outcome(), servers: 0, runs: [] };
  const { connections, tokenConnections, durationS, minServers } = ctx.sizes.throughput;
  if (ctx.target.kind === "nimbus") {
    ctx.progress.step(`seeding to ${minServers} servers`);
    const grown = await ctx.population.ensure(minServers, ctx.deadline);
    if (!grown.ok) result.notes.push(`could not reach ${minServers} servers: ${grown.reason}`);
  }
  result.servers = ctx.population.count;

  const compute = ctx.user.computeUrl;
  const headers = ctx.user.computeHeaders();
  const requests: Array<{ request: LoadRequest; levels: number[] }> = [
    {
      request: {
        label: "GET /servers/detail?limit=100",
        url: `${compute}/servers/detail?limit=100`,
        headers,
      },
      levels: connections,
    },
    {
      request: { label: "GET /flavors/detail", url: `${compute}/flavors/detail`, headers },
      levels: connections,
    },
    {
      request: { label: "GET /servers/{id}", url: `${compute}/servers/${ctx.population.needle.id}`, headers },
      levels: connections,
    },
    {
      request: {
        label: "POST /v3/auth/tokens",
        url: ctx.user.tokensUrl,
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(tokenRequestBody(ctx.user.auth)),
      },
      levels: tokenConnections,
    },
  ];
  for (const c of connections.filter((n) => !tokenConnections.includes(n)))
    result.skipped.push({
      what: `POST /v3/auth/tokens at ${c} connections`,
      why:
        `left out of --${ctx.mode} mode: each token costs a deliberately slow password hash, ` +
        `and ${c} of them stay queued for seconds after the run`,
    });
  for (const { request, levels } of requests) {
    for (const c of levels) {
      ctx.progress.step(`${request.label}, ${c} connections, ${durationS} s`);
      const run = await runLoad(ctx.user.http, request, c, durationS, c === levels[0]);
      result.runs.push(run);
      const total = run.ok + run.errors;
      if (run.ok === 0 && run.errors === 0)
        result.notes.push(
          `${request.label} at ${c} connections: no response came back within the ${durationS} s run ` +
            `(the server answered the request after it in ${Math.round(run.drainMs)} ms)`,
        );
      else if (run.errors / total > MAX_ERROR_SHARE) {
        result.status = "failed";
        result.error = `${request.label} at ${c} connections: ${run.errors} errors in ${total} responses (${JSON.stringify(run.statusCodes)})`;
      }
    }
  }
  return result;
}
