import type { Mode, ScenarioOutcome, Sizes, Skip } from "./context.js";
import type { LoadResult } from "./load.js";
import type { SeedRecord } from "./population.js";
import type { BootDeleteResult } from "./scenarios/boot-delete.js";
import type { BootListResult } from "./scenarios/boot-list.js";
import type { CeilingResult } from "./scenarios/ceiling.js";
import type { FootprintResult } from "./scenarios/footprint.js";
import type { ScaleHostsResult } from "./scenarios/scale-hosts.js";
import type { ThroughputResult } from "./scenarios/throughput.js";

export const SCENARIOS = [
  "boot-delete",
  "boot-list",
  "throughput",
  "footprint",
  "ceiling",
  "scale-hosts",
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  node: string;
  /** 1-minute load average at the start and at the end of the run: how busy the machine was besides. */
  loadAverage: { start: number; end: number | null };
}

export interface TargetInfo {
  kind: "nimbus" | "cloud";
  /** "nimbus (local)" or the clouds.yaml cloud name. */
  name: string;
  computeUrl: string;
  microversion: string;
  image: string;
  flavor: string;
  networks: string;
  /** nimbus only: how it was started. */
  nimbus?: { fakeStepMs: number; firstOkMs: number; idleRssBytes: number | null };
}

/** The whole run, as written to `--out`. */
export interface RunReport {
  schema: "nimbus-bench/1";
  command: string;
  mode: Mode;
  startedAt: string;
  finishedAt: string;
  durationS: number;
  machine: Machine;
  target: TargetInfo | null;
  sizes: Sizes;
  scenarios: {
    "boot-delete"?: BootDeleteResult;
    "boot-list"?: BootListResult;
    throughput?: ThroughputResult;
    footprint?: FootprintResult;
    ceiling?: CeilingResult;
    "scale-hosts"?: ScaleHostsResult;
  };
  seeding: SeedRecord[];
  /** Why the run could not start, when it could not. */
  error?: string;
}

const DASH = "—";

/** Milliseconds with the precision that matters at their size. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return DASH;
  if (ms < 1) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return Math.round(ms).toLocaleString("en-US");
}

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  return Math.round(n).toLocaleString("en-US");
}

export function fmtRate(n: number): string {
  return n < 10 ? n.toFixed(2) : fmtInt(n);
}

export function fmtMiB(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return DASH;
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

function fmtDuration(s: number): string {
  if (s < 10) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  return total < 60 ? `${total} s` : `${Math.floor(total / 60)} min ${total % 60} s`;
}

function table(header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return ["_Nothing was measured._"];
  const cellText = (cell: string) => cell.replaceAll("|", "\\|");
  return [
    `| ${header.map(cellText).join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`,
    ...rows.map((row) => `| ${row.map(cellText).join(" | ")} |`),
  ];
}

function outcomeLines(name: string, outcome: ScenarioOutcome | undefined): string[] {
  if (!outcome) return [];
  const lines: string[] = [];
  for (const note of outcome.notes) lines.push(`_Note: ${note}._`);
  for (const skip of outcome.skipped) lines.push(skipLine(skip));
  if (outcome.status === "failed")
    lines.push(`**FAILED** (${name}): ${outcome.error ?? "see the JSON output"}`);
  return lines.length > 0 ? ["", ...lines] : [];
}

function section(title: string, body: string[], outcome?: ScenarioOutcome, name = ""): string[] {
  return ["", `## ${title}`, "", ...body, ...outcomeLines(name, outcome)];
}

function bootDelete(r: BootDeleteResult): string[] {
  const rows = r.levels.map((l) => [
    String(l.concurrency),
    `${l.completed}/${l.planned}`,
    fmtMs(l.boot.p50),
    fmtMs(l.boot.p90),
    fmtMs(l.boot.p99),
    fmtMs(l.boot.max),
    fmtMs(l.delete.p50),
    fmtMs(l.delete.p90),
    fmtMs(l.delete.p99),
    fmtMs(l.delete.max),
    fmtRate(l.opsPerS),
    String(l.failed),
  ]);
  const cut = r.levels.filter((l) => l.cutShort).map((l) => `- Concurrency ${l.concurrency}: ${l.cutShort}.`);
  return [
    ...table(
      [
        "concurrency",
        "servers",
        "boot p50 ms",
        "p90",
        "p99",
        "max",
        "delete p50 ms",
        "p90",
        "p99",
        "max",
        "ops/s",
        "failed",
      ],
      rows,
    ),
    "",
    "Boot: `POST /servers` → ACTIVE. Delete: `DELETE` → 404. One op = one server booted and deleted.",
    ...(cut.length > 0 ? ["", ...cut] : []),
  ];
}

function bootList(r: BootListResult, seeding: SeedRecord[]): string[] {
  const rows = r.levels.flatMap((level) =>
    level.timings.map((t) => [
      fmtInt(level.servers),
      `\`${t.label}\``,
      fmtInt(t.returned),
      fmtMs(t.latency.p50),
      fmtMs(t.latency.p99),
      String(t.latency.count),
    ]),
  );
  const seeds = seeding.map(
    (s) =>
      `- Seeding ${fmtInt(s.from)} → ${fmtInt(s.to)} servers: ${fmtDuration(s.activeS)} to all ACTIVE ` +
      `(${fmtRate(s.rate)} servers/s; requests accepted in ${fmtDuration(s.acceptS)}).`,
  );
  return [
    ...table(["servers present", "request", "returned", "p50 ms", "p99 ms", "samples"], rows),
    ...(seeds.length > 0 ? ["", ...seeds] : []),
  ];
}

function ceilingFor(ceilingRuns: LoadResult[] | undefined, connections: number): LoadResult | undefined {
  return ceilingRuns?.find((c) => c.connections === connections);
}

function throughputTable(r: ThroughputResult, ceilingRuns: LoadResult[] | undefined): string[] {
  const rows = r.runs.map((run) => {
    const ceil = ceilingFor(ceilingRuns, run.connections);
    return [
      `\`${run.label}\``,
      String(run.connections),
      fmtInt(run.rps),
      fmtMs(run.latency.p50),
      fmtMs(run.latency.p99),
      fmtInt(run.errors),
      ceil && ceil.rps > 0 ? `${((run.rps / ceil.rps) * 100).toFixed(1)} %` : DASH,
    ];
  });
  const duration = r.runs[0]?.durationS;
  return [
    ...table(["request", "connections", "req/s", "p50 ms", "p99 ms", "errors", "of ceiling"], rows),
    "",
    `autocannon, keep-alive, one request in flight per connection, ${duration ?? DASH} s per row; ` +
      `servers in the project: ${fmtInt(r.servers)}. "Of ceiling": req/s as a share of the bare node:http server at the same connections.`,
  ];
}

function footprint(r: FootprintResult, target: TargetInfo | null): string[] {
  const rows: string[][] = [];
  if (r.startups.length > 0)
    rows.push([
      `time to first 200 on /compute/v2.1, fresh data dir (${r.startups.length} start${r.startups.length > 1 ? "s" : ""})`,
      `p50 ${fmtMs(r.firstOk.p50)} ms, max ${fmtMs(r.firstOk.max)} ms`,
    ]);
  if (target?.nimbus) {
    rows.push(["time to first 200, the nimbus under test", `${fmtMs(target.nimbus.firstOkMs)} ms`]);
    rows.push(["RSS at idle (1 s after the first 200)", fmtMiB(target.nimbus.idleRssBytes)]);
  }
  for (const s of r.startups.slice(0, 1))
    if (!target?.nimbus) rows.push(["RSS at idle (1 s after the first 200)", fmtMiB(s.idleRssBytes)]);
  for (const { servers, rssBytes } of r.rss)
    rows.push([`RSS with ${fmtInt(servers)} servers`, fmtMiB(rssBytes)]);
  if (r.peakRssBytes !== null)
    rows.push(["peak RSS of the nimbus under test (VmHWM)", fmtMiB(r.peakRssBytes)]);
  return table(["measure", "value"], rows);
}

function ceilingTable(r: CeilingResult): string[] {
  return [
    ...table(
      ["connections", "req/s", "p50 ms", "p99 ms", "errors"],
      r.runs.map((run) => [
        String(run.connections),
        fmtInt(run.rps),
        fmtMs(run.latency.p50),
        fmtMs(run.latency.p99),
        fmtInt(run.errors),
      ]),
    ),
    "",
    `A bare \`node:http\` server in its own process answering every request with the same ${r.bodyBytes}-byte JSON body: what Node can serve on this machine.`,
  ];
}

function scaleHostsTable(r: ScaleHostsResult): string[] {
  if (r.completed + r.failed === 0)
    return [...skippedOnly(r.skipped), ...(r.cutShort ? [`- ${r.cutShort}.`] : [])];
  return [
    ...table(
      [
        "hosts",
        "servers",
        "concurrency",
        "scheduling p50 ms",
        "p99",
        "max",
        "boot p50 ms",
        "p99",
        "boots/s",
        "RSS",
        "peak RSS",
        "start",
        "failed",
      ],
      [
        [
          fmtInt(r.hosts),
          `${fmtInt(r.completed)}/${fmtInt(r.planned)}`,
          String(r.concurrency),
          fmtMs(r.scheduling.p50),
          fmtMs(r.scheduling.p99),
          fmtMs(r.scheduling.max),
          fmtMs(r.boot.p50),
          fmtMs(r.boot.p99),
          fmtRate(r.bootsPerS),
          fmtMiB(r.rssBytes),
          fmtMiB(r.peakRssBytes),
          r.firstOkMs === null ? DASH : fmtDuration(r.firstOkMs / 1000),
          String(r.failed),
        ],
      ],
    ),
    "",
    "Scheduling: the scheduler's time per placement inside nimbus. Boot: `POST /servers` → ACTIVE. " +
      "Start: spawn → first 200, every host registered. RSS after the last boot.",
    ...(r.cutShort ? ["", `- ${r.cutShort}.`] : []),
  ];
}

function skipLine(skip: Skip): string {
  return `- ${skip.what}: ${skip.why.startsWith("skipped") ? "" : "skipped: "}${skip.why}`;
}

function skippedOnly(skips: Skip[]): string[] {
  return skips.map(skipLine);
}

/** The Markdown report printed on stdout. */
export function renderMarkdown(report: RunReport): string {
  const { machine, target, scenarios: s } = report;
  const lines: string[] = [`# nimbus bench (${report.mode})`, ""];
  if (target) {
    lines.push(
      `- Target: ${target.name}, compute ${target.computeUrl}, microversion ${target.microversion}; ` +
        `image ${target.image}, flavor ${target.flavor}, networks ${target.networks}`,
    );
  }
  lines.push(
    `- Machine: ${machine.cpus} × ${machine.cpuModel}, ${(machine.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, ${machine.os}, ` +
      `Node ${machine.node}; load average ${machine.loadAverage.start.toFixed(2)} at the start, ` +
      `${machine.loadAverage.end?.toFixed(2) ?? DASH} at the end`,
    `- Command: \`${report.command}\` at ${report.startedAt}, took ${fmtDuration(report.durationS)}`,
  );
  if (report.error) lines.push("", `**The run could not start:** ${report.error}`);

  if (s["boot-delete"])
    lines.push(
      ...section("1. Boot and delete", bootDelete(s["boot-delete"]), s["boot-delete"], "boot-delete"),
    );
  if (s["boot-list"])
    lines.push(
      ...section("2. Boot and list", bootList(s["boot-list"], report.seeding), s["boot-list"], "boot-list"),
    );
  if (s.throughput)
    lines.push(
      ...section(
        "3. API throughput",
        throughputTable(s.throughput, s.ceiling?.runs),
        s.throughput,
        "throughput",
      ),
    );
  if (s.footprint) {
    const body = target?.kind === "cloud" ? skippedOnly(s.footprint.skipped) : footprint(s.footprint, target);
    const shown = target?.kind === "cloud" ? { ...s.footprint, skipped: [] } : s.footprint;
    lines.push(...section("4. Footprint", body, shown, "footprint"));
  }
  if (s.ceiling)
    lines.push(...section("5. Ceiling: bare node:http", ceilingTable(s.ceiling), s.ceiling, "ceiling"));
  if (s["scale-hosts"]) {
    const shown =
      s["scale-hosts"].completed + s["scale-hosts"].failed === 0
        ? { ...s["scale-hosts"], skipped: [] }
        : s["scale-hosts"];
    lines.push(...section("6. Scheduling at scale", scaleHostsTable(s["scale-hosts"]), shown, "scale-hosts"));
  }
  return `${lines.join("\n")}\n`;
}

/** The scenarios that failed, for the exit status. */
export function failures(report: RunReport): string[] {
  const out: string[] = [];
  if (report.error) out.push(`run: ${report.error}`);
  for (const [name, result] of Object.entries(report.scenarios))
    if (result?.status === "failed") out.push(`${name}: ${result.error ?? "failed"}`);
  return out;
}
