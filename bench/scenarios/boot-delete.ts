import { type BenchContext, errorText, outcome, type ScenarioOutcome } from "../context.js";
import { bootServer, deleteServer, waitActive, waitGone } from "../servers.js";
import { Samples, type Summary } from "../stats.js";

export interface BootDeleteLevel {
  concurrency: number;
  /** Iterations planned (one iteration = boot a server, wait ACTIVE, delete it, wait until gone). */
  planned: number;
  completed: number;
  failed: number;
  /** Wall-clock seconds of the level. */
  wallS: number;
  /** Completed iterations per second. */
  opsPerS: number;
  /** `POST /servers` sent → server seen ACTIVE, ms. */
  boot: Summary;
  /** `DELETE /servers/{id}` sent → 404, ms. */
  delete: Summary;
  /** The first few failure messages. */
  failures: string[];
  /** Set when the level's time ran out before every iteration started. */
  cutShort?: string;
}

export interface BootDeleteResult extends ScenarioOutcome {
  levels: BootDeleteLevel[];
}

/**
 * Rally's NovaServers.boot_and_delete_server: `concurrency` workers each boot a server,
 * wait for ACTIVE, delete it and wait until it is gone, until the level's servers are done.
 */
export async function bootAndDelete(ctx: BenchContext): Promise<BootDeleteResult> {
  const result: BootDeleteResult = { ...outcome(), levels: [] };
  const { levels, levelTimeS } = ctx.sizes.bootDelete;
  result.notes.push(
    `server state polled with GET /servers/{id}, every ${ctx.poll.firstMs} ms growing ×1.5 to ${ctx.poll.maxMs} ms; ` +
      "latencies include up to one poll interval",
  );
  for (const { concurrency, servers } of levels) {
    ctx.progress.step(`concurrency ${concurrency}, ${servers} servers`);
    const level = await runLevel(ctx, concurrency, servers, levelTimeS * 1000);
    result.levels.push(level);
    if (level.failed > 0 && result.status === "ok") {
      result.status = "failed";
      result.error = `${level.failed} of ${level.completed + level.failed} iterations failed at concurrency ${concurrency}: ${level.failures[0]}`;
    }
  }
  return result;
}

async function runLevel(
  ctx: BenchContext,
  concurrency: number,
  planned: number,
  timeMs: number,
): Promise<BootDeleteLevel> {
  const boot = new Samples(planned);
  const del = new Samples(planned);
  const failures: string[] = [];
  let next = 0;
  let completed = 0;
  let failed = 0;
  let cutShort: string | undefined;
  const started = performance.now();
  const stopAt = Math.min(started + timeMs, ctx.deadline);

  const iteration = async (i: number) => {
    const name = `${ctx.namePrefix}-bd-c${concurrency}-${i}`;
    let id: string | undefined;
    try {
      const t0 = performance.now();
      id = (await bootServer(ctx.user, ctx.boot, name)).id;
      await waitActive(ctx.user, id, ctx.poll);
      boot.add(performance.now() - t0);
      const t1 = performance.now();
      await deleteServer(ctx.user, id);
      await waitGone(ctx.user, id, ctx.poll);
      del.add(performance.now() - t1);
      completed++;
    } catch (error) {
      failed++;
      if (failures.length < 5) failures.push(errorText(error));
      // Leave nothing behind: a failed server is deleted without waiting.
      if (id) await deleteServer(ctx.user, id).catch(() => {});
    }
    ctx.progress.update(
      `concurrency ${concurrency}: ${completed + failed}/${planned} done, ${failed} failed`,
    );
  };

  const worker = async () => {
    while (next < planned) {
      if (performance.now() > stopAt) {
        cutShort = `time limit reached after ${next} of ${planned} iterations started`;
        return;
      }
      await iteration(next++);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallS = (performance.now() - started) / 1000;
  return {
    concurrency,
    planned,
    completed,
    failed,
    wallS,
    opsPerS: completed / wallS,
    boot: boot.summary(),
    delete: del.summary(),
    failures,
    ...(cutShort ? { cutShort } : {}),
  };
}
