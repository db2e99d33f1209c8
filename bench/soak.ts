/**
 * The memory soak: a mixed load against a real `nimbus serve` for a bounded time, sampling
 * the process's RSS and its retained heap, to tell a leak (memory that grows while the data
 * does not) from the garbage collector's swings.
 *
 *   node --import tsx bench/soak.ts                 # 3 minutes
 *   node --import tsx bench/soak.ts --minutes 30    # the full soak
 *
 * Workers loop until the time is up: images (create, upload, download, list, delete),
 * servers (boot, wait ACTIVE, list, delete, wait gone), reads (lists of servers, images and
 * flavors) and sign-ins (a new token each round). Every image and server they make they
 * also delete, so the data stays flat and any lasting growth is the process's own.
 * The heap figures come from a probe preloaded into nimbus (soak-probe.mjs), which collects
 * garbage before each sample. Not part of `npm run bench`: it runs for minutes by design.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Command, InvalidArgumentError } from "commander";
import { spawnNimbus } from "../test/nimbus-child.js";
import { OpenStackError, Session } from "./client.js";
import { loadCloud } from "./cloud-config.js";
import { HttpClient } from "./http.js";
import { procStatusBytes } from "./nimbus-process.js";
import {
  bootServer,
  deleteServer,
  listAllServers,
  type PollPolicy,
  resolveBootSpec,
  waitActive,
  waitGone,
} from "./servers.js";

const MiB = 1024 * 1024;
const POLL: PollPolicy = { firstMs: 5, maxMs: 100, timeoutMs: 60_000 };

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

/** One sample of the nimbus under load. */
interface Sample {
  /** Seconds since the load started. */
  t: number;
  rss: number | null;
  /** Retained heap and external memory (after a collection), from the probe. */
  heapUsed: number | null;
  heapTotal: number | null;
  external: number | null;
  arrayBuffers: number | null;
}

/** What each kind of worker did. */
type Counts = Record<"images" | "servers" | "reads" | "signIns" | "errors", number>;

/** The probe's last line: the retained heap at its last sample. */
function lastProbe(file: string): Partial<Record<keyof NodeJS.MemoryUsage, number>> {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8").trimEnd() : "";
  const line = text.slice(text.lastIndexOf("\n") + 1);
  return line ? (JSON.parse(line) as Partial<Record<keyof NodeJS.MemoryUsage, number>>) : {};
}

/** Least-squares slope of y over t, per minute. */
function slopePerMinute(points: Array<{ t: number; y: number }>): number | null {
  if (points.length < 2) return null;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.y - my);
    den += (p.t - mt) ** 2;
  }
  return den === 0 ? null : (num / den) * 60;
}

const mb = (bytes: number | null | undefined) => (bytes == null ? "n/a" : `${(bytes / MiB).toFixed(1)} MB`);

async function imageRound(user: Session, http: HttpClient, tag: string, bytes: number): Promise<void> {
  const url = user.endpoint("image");
  const headers = { "X-Auth-Token": user.token };
  const expect = async (method: string, target: string, status: number, options = {}) => {
    const res = await http.request(method, target, { headers, ...options });
    if (res.status !== status) throw new OpenStackError(method, target, res.status, res.text);
    return res;
  };
  const created = await expect("POST", `${url}/v2/images`, 201, {
    json: { name: tag, disk_format: "raw", container_format: "bare" },
  });
  const id = (JSON.parse(created.text) as { id: string }).id;
  try {
    await http
      .request("PUT", `${url}/v2/images/${id}/file`, {
        headers: { ...headers, "Content-Type": "application/octet-stream" },
        body: randomBytes(bytes / 2).toString("hex"),
      })
      .then((res) => {
        if (res.status !== 204)
          throw new OpenStackError("PUT", `${url}/v2/images/${id}/file`, res.status, res.text);
      });
    await expect("GET", `${url}/v2/images/${id}/file`, 200);
    await expect("GET", `${url}/v2/images?limit=20`, 200);
  } finally {
    await expect("DELETE", `${url}/v2/images/${id}`, 204);
  }
}

async function serverRound(user: Session, boot: Awaited<ReturnType<typeof resolveBootSpec>>, tag: string) {
  const { id } = await bootServer(user, boot, tag);
  try {
    await waitActive(user, id, POLL);
    await user.compute("GET", "/servers/detail?limit=20");
  } finally {
    await deleteServer(user, id);
    await waitGone(user, id, POLL);
  }
}

async function readRound(user: Session): Promise<void> {
  await user.compute("GET", "/servers/detail");
  await user.compute("GET", "/flavors/detail");
  await user.service("image", "GET", "/v2/images");
}

async function main(): Promise<void> {
  const program = new Command()
    .name("node --import tsx bench/soak.ts")
    .description("Memory soak of nimbus under a mixed load; samples RSS and retained heap.")
    .option("--minutes <n>", "how long the load runs", positive, 3)
    .option("--workers <n>", "workers of each kind (images, servers, reads)", positive, 2)
    .option("--image-kib <n>", "size of each uploaded image, KiB", positive, 512)
    .option("--sample-seconds <n>", "seconds between samples", positive, 5)
    .option("--no-collect", "sample without collecting garbage first (RSS as in production)")
    .option("--out <file>", "write the samples as JSON to this file")
    .parse();
  const flags = program.opts<{
    minutes: number;
    workers: number;
    imageKib: number;
    sampleSeconds: number;
    collect: boolean;
    out?: string;
  }>();

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-soak-"));
  const probeFile = path.join(dataDir, "memory.jsonl");
  const probe = path.join(import.meta.dirname, "soak-probe.mjs");
  const nimbus = await spawnNimbus({
    dataDir,
    fakeStepMs: 0,
    logLevel: "warn",
    readyTimeoutMs: 60_000,
    env: {
      NODE_OPTIONS: `--expose-gc --import=${probe}`,
      SOAK_MEMORY_FILE: probeFile,
      SOAK_PROBE_MS: String(flags.sampleSeconds * 1000),
      SOAK_COLLECT: flags.collect ? "1" : "0",
    },
  });
  const http = new HttpClient();
  try {
    const cloudsYaml = path.join(dataDir, "clouds.yaml");
    const auth = loadCloud("nimbus", [cloudsYaml]).auth;
    const user = await Session.login(http, auth);
    const admin = await Session.login(http, loadCloud("nimbus-admin", [cloudsYaml]).auth);
    await admin.compute("PUT", `/os-quota-sets/${user.projectId}`, {
      quota_set: { instances: -1, cores: -1, ram: -1 },
    });
    const boot = await resolveBootSpec(user, { flavor: "1" });
    const counts: Counts = { images: 0, servers: 0, reads: 0, signIns: 0, errors: 0 };
    const errors: string[] = [];
    const started = performance.now();
    const endAt = started + flags.minutes * 60_000;
    const running = () => performance.now() < endAt;
    const prefix = `soak-${randomBytes(3).toString("hex")}`;

    const worker = async (kind: keyof Omit<Counts, "errors">, round: (i: number) => Promise<void>) => {
      for (let i = 0; running(); i++) {
        try {
          await round(i);
          counts[kind]++;
        } catch (error) {
          counts.errors++;
          if (errors.length < 10) errors.push(error instanceof Error ? error.message : String(error));
          await sleep(100);
        }
      }
    };

    const samples: Sample[] = [];
    const sampler = (async () => {
      while (running()) {
        await sleep(flags.sampleSeconds * 1000);
        const heap = lastProbe(probeFile);
        samples.push({
          t: (performance.now() - started) / 1000,
          rss: procStatusBytes(nimbus.child.pid!, "VmRSS"),
          heapUsed: heap.heapUsed ?? null,
          heapTotal: heap.heapTotal ?? null,
          external: heap.external ?? null,
          arrayBuffers: heap.arrayBuffers ?? null,
        });
        const last = samples.at(-1)!;
        process.stderr.write(
          `soak ${(last.t / 60).toFixed(1)} min: rss ${mb(last.rss)}, heap ${mb(last.heapUsed)}, ` +
            `${counts.images} images, ${counts.servers} servers, ${counts.reads} reads, ${counts.errors} errors\n`,
        );
      }
    })();

    const bytes = flags.imageKib * 1024;
    await Promise.all([
      sampler,
      ...Array.from({ length: flags.workers }, (_, w) => [
        worker("images", (i) => imageRound(user, http, `${prefix}-i${w}-${i}`, bytes)),
        worker("servers", (i) => serverRound(user, boot, `${prefix}-s${w}-${i}`)),
        worker("reads", () => readRound(user)),
      ]).flat(),
      worker("signIns", async () => {
        await Session.login(http, auth);
        await sleep(1000);
      }),
    ]);

    // what is left: the load deletes all it makes, so this is the data the memory held
    const servers = (await listAllServers(user)).length;
    const images = (await user.service<{ images: unknown[] }>("image", "GET", "/v2/images?limit=1000")).images
      .length;
    report(samples, counts, errors, { servers, images }, flags);
    if (flags.out) fs.writeFileSync(flags.out, `${JSON.stringify({ flags, counts, samples }, null, 2)}\n`);
  } finally {
    http.close();
    await nimbus.stop(10_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(
  samples: Sample[],
  counts: Counts,
  errors: string[],
  left: { servers: number; images: number },
  { minutes, collect }: { minutes: number; collect: boolean },
): void {
  // the first fifth is warm-up: code compiled, caches and pools filled
  const steady = samples.filter((s) => s.t >= minutes * 12);
  const series = (pick: (s: Sample) => number | null) =>
    steady.flatMap((s) => (pick(s) === null ? [] : [{ t: s.t, y: pick(s)! }]));
  const rows: Array<[string, (s: Sample) => number | null]> = [
    ["RSS", (s) => s.rss],
    [collect ? "heap used (after GC)" : "heap used", (s) => s.heapUsed],
    ["external", (s) => s.external],
  ];
  const lines = [
    `# nimbus memory soak: ${minutes} min`,
    "",
    `Done: ${counts.images} image rounds, ${counts.servers} server rounds, ${counts.reads} read rounds, ` +
      `${counts.signIns} sign-ins, ${counts.errors} errors. Left at the end: ${left.servers} servers, ${left.images} images.`,
    "",
    "| measure | first | min | max | last | slope after warm-up |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  for (const [name, pick] of rows) {
    const values = samples.map(pick).filter((v): v is number => v !== null);
    const slope = slopePerMinute(series(pick));
    lines.push(
      `| ${name} | ${mb(values[0])} | ${mb(Math.min(...values))} | ${mb(Math.max(...values))} | ` +
        `${mb(values.at(-1))} | ${slope === null ? "n/a" : `${mb(slope)}/min`} |`,
    );
  }
  if (errors.length) lines.push("", "First errors:", ...errors.map((e) => `- ${e}`));
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
