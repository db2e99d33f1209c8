import { spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { BenchContext, ScenarioOutcome } from "../context.js";
import { HttpClient } from "../http.js";
import { type LoadResult, runLoad } from "../load.js";

export interface CeilingResult extends ScenarioOutcome {
  /** Size of the fixed JSON body the bare server answers with. */
  bodyBytes: number;
  runs: LoadResult[];
}

const SERVER = path.join(import.meta.dirname, "..", "ceiling-server.mjs");

/**
 * Scenario 5: what Node's own HTTP stack can serve on this machine, in its own process, with
 * the same load generator, connections and duration as the API throughput runs.
 */
export async function ceiling(ctx: Pick<BenchContext, "sizes" | "progress">): Promise<CeilingResult> {
  const http = new HttpClient();
  const child = spawn(process.execPath, [SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const [line] = (await Promise.race([
      once(child.stdout!, "data"),
      sleep(10_000, undefined, { ref: false }).then(() => {
        throw new Error("the ceiling server did not start within 10 s");
      }),
    ])) as [Buffer];
    const { port, bodyBytes } = JSON.parse(line.toString("utf8")) as { port: number; bodyBytes: number };
    const { connections, durationS } = ctx.sizes.throughput;
    const runs: LoadResult[] = [];
    for (const c of connections) {
      ctx.progress.step(`bare node:http, ${c} connections, ${durationS} s`);
      const url = `http://127.0.0.1:${port}/`;
      runs.push(await runLoad(http, { label: "bare node:http", url }, c, durationS, c === connections[0]));
    }
    const result: CeilingResult = { status: "ok", notes: [], skipped: [], bodyBytes, runs };
    if (runs.some((r) => r.errors > 0)) {
      result.status = "failed";
      result.error = "the bare node:http server answered with errors";
    }
    return result;
  } finally {
    http.close();
    child.kill("SIGKILL");
  }
}
