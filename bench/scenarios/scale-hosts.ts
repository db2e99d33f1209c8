import { Session } from "../client.js";
import { loadCloud } from "../cloud-config.js";
import { type BenchContext, errorText, NEEDS_NIMBUS, outcome, type ScenarioOutcome } from "../context.js";
import { HttpClient } from "../http.js";
import { NimbusProcess } from "../nimbus-process.js";
import { bootServer, resolveBootSpec, waitActive } from "../servers.js";
import { Samples, type Summary } from "../stats.js";

export interface ScaleHostsResult extends ScenarioOutcome {
  /** Simulated compute hosts of the nimbus started for the scenario. */
  hosts: number;
  planned: number;
  concurrency: number;
  completed: number;
  failed: number;
  /** Spawn → first 200 on /compute/v2.1: registering every host is most of it. */
  firstOkMs: number | null;
  /** Wall-clock seconds from the first POST to the last server ACTIVE. */
  wallS: number;
  /** Servers ACTIVE per second over the wall time. */
  bootsPerS: number;
  /** The scheduler's own time per placement, as nimbus logs it: candidate queries, filters, the claim. */
  scheduling: Summary;
  /** `POST /servers` sent → ACTIVE, as the client sees it. */
  boot: Summary;
  rssBytes: number | null;
  peakRssBytes: number | null;
  failures: string[];
  cutShort?: string;
}

/**
 * Scheduling at scale: a nimbus of its own with `hosts` simulated compute hosts, and
 * `servers` servers booted by `concurrency` workers (each boots one, waits for ACTIVE, boots
 * the next). The scheduler's time per placement is read from the debug line nimbus logs for
 * each ("scheduled", with its milliseconds); boots per second and RSS from outside.
 */
export async function scaleHosts(ctx: BenchContext): Promise<ScaleHostsResult> {
  const { hosts, servers, concurrency, levelTimeS } = ctx.sizes.scaleHosts;
  const result: ScaleHostsResult = {
    ...outcome(),
    hosts,
    planned: servers,
    concurrency,
    completed: 0,
    failed: 0,
    firstOkMs: null,
    wallS: 0,
    bootsPerS: 0,
    scheduling: new Samples(1).summary(),
    boot: new Samples(1).summary(),
    rssBytes: null,
    peakRssBytes: null,
    failures: [],
  };
  if (ctx.target.kind !== "nimbus") {
    result.skipped.push({ what: "scheduling at scale", why: `${NEEDS_NIMBUS} (its own simulated hosts)` });
    return result;
  }
  result.notes.push(
    "scheduling: the scheduler's time per placement inside nimbus (from its debug log line: the candidate " +
      "pages, the service filter and the claim's transaction), not the wait in the task queue; " +
      "nimbus runs at --log-level debug for it, so it also logs every request",
  );

  ctx.progress.step(`starting nimbus with ${hosts.toLocaleString("en-US")} fake hosts`);
  const nimbus = await NimbusProcess.start({
    fakeStepMs: 0,
    logLevel: "debug",
    timeoutMs: 300_000,
    args: ["--fake-hosts", String(hosts)],
  });
  const scheduling = new Samples(servers);
  const boot = new Samples(servers);
  nimbus.onStdoutLine((line) => {
    // only the scheduler's lines; the request log is skipped without parsing
    if (!line.includes('"msg":"scheduled"')) return;
    const entry = JSON.parse(line) as { ms?: number; host?: string | null };
    if (typeof entry.ms === "number" && entry.host) scheduling.add(entry.ms);
  });
  const http = new HttpClient();
  try {
    result.firstOkMs = nimbus.firstOkMs;
    const user = await Session.login(http, loadCloud("nimbus", [nimbus.cloudsYaml]).auth);
    const admin = await Session.login(http, loadCloud("nimbus-admin", [nimbus.cloudsYaml]).auth);
    await admin.compute("PUT", `/os-quota-sets/${user.projectId}`, {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    });
    const spec = await resolveBootSpec(user, { flavor: ctx.boot.flavorRef, image: ctx.boot.imageName });

    ctx.progress.step(`booting ${servers.toLocaleString("en-US")} servers, ${concurrency} at a time`);
    const started = performance.now();
    const stopAt = Math.min(started + levelTimeS * 1000, ctx.deadline);
    let next = 0;
    const worker = async () => {
      while (next < servers) {
        if (performance.now() > stopAt) {
          result.cutShort ??= `stopped after ${next} of ${servers} servers: the time limit was reached`;
          return;
        }
        const i = next++;
        try {
          const t0 = performance.now();
          const { id } = await bootServer(user, spec, `${ctx.namePrefix}-scale-${i}`);
          await waitActive(user, id, ctx.poll);
          boot.add(performance.now() - t0);
          result.completed++;
        } catch (error) {
          result.failed++;
          if (result.failures.length < 5) result.failures.push(errorText(error));
        }
        if ((result.completed + result.failed) % 500 === 0)
          ctx.progress.step(`${result.completed + result.failed} of ${servers} servers booted`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    result.wallS = (performance.now() - started) / 1000;
    result.bootsPerS = result.wallS > 0 ? result.completed / result.wallS : 0;
    // nimbus's log is written behind its work: wait (bounded) for the last placements' lines
    const waitUntil = performance.now() + 30_000;
    while (scheduling.length < result.completed && performance.now() < waitUntil)
      await new Promise((resolve) => setTimeout(resolve, 100));
    result.rssBytes = nimbus.rssBytes();
    result.peakRssBytes = nimbus.peakRssBytes();
    result.scheduling = scheduling.summary();
    result.boot = boot.summary();
    if (result.failed > 0) {
      result.status = "failed";
      result.error = `${result.failed} of ${result.completed + result.failed} servers failed: ${result.failures[0]}`;
    } else if (scheduling.length < result.completed) {
      result.status = "failed";
      result.error = `nimbus logged ${scheduling.length} placements for ${result.completed} servers`;
    }
    return result;
  } finally {
    http.close();
    await nimbus.stop();
  }
}
