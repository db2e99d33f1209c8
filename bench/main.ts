import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import { Command, InvalidArgumentError } from "commander";
import { loadCloud } from "./cloud-config.js";
import { type BenchContext, errorText, type Mode, NEEDS_NIMBUS, SIZES, type Sizes } from "./context.js";
import { Population } from "./population.js";
import { Progress } from "./progress.js";
import {
  failures,
  type Machine,
  type RunReport,
  renderMarkdown,
  SCENARIOS,
  type ScenarioName,
} from "./report.js";
import { bootAndDelete } from "./scenarios/boot-delete.js";
import { ceiling } from "./scenarios/ceiling.js";
import { footprintResult, measureStartups } from "./scenarios/footprint.js";
import { scaleHosts } from "./scenarios/scale-hosts.js";
import { throughput } from "./scenarios/throughput.js";
import { populationSweep } from "./sweep.js";
import { type Setup, setUpCloud, setUpNimbus } from "./targets.js";

interface Flags {
  quick?: boolean;
  scenario?: ScenarioName[];
  out?: string;
  osCloud?: string;
  flavor?: string;
  image?: string;
  network?: string;
  duration?: number;
  budget?: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number");
  return n;
}

function scenarioList(value: string, previous: ScenarioName[] = []): ScenarioName[] {
  const names = value.split(",").map((s) => s.trim());
  for (const name of names)
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`unknown scenario '${name}' (known: ${SCENARIOS.join(", ")})`);
  return [...previous, ...(names as ScenarioName[])];
}

const program = new Command()
  .name("npm run bench --")
  .description(
    "Rally-shaped benchmarks of nimbus (started fresh for the run) or of any OpenStack cloud named in clouds.yaml.\n" +
      `Scenarios: ${SCENARIOS.join(", ")}. A Markdown table goes to stdout, progress to stderr.`,
  )
  .option("--quick", "small sizes that finish in under a minute (what CI runs)")
  .option(
    "--scenario <names>",
    `run only these scenarios (comma-separated or repeated): ${SCENARIOS.join(", ")}`,
    scenarioList,
  )
  .option("--out <file>", "write the full figures as JSON to this file")
  .option("--os-cloud <name>", "measure this cloud from clouds.yaml instead of a fresh nimbus")
  .option(
    "--flavor <id-or-name>",
    "flavor to boot (default: nimbus's 1, or the cloud's smallest that fits the image)",
  )
  .option("--image <id-or-name>", "image to boot (default: the smallest active image)")
  .option("--network <id-or-name>", "network to attach servers to (default: none)")
  .option("--duration <seconds>", "seconds per autocannon run (overrides the mode's)", positive)
  .option(
    "--budget <seconds>",
    "time the run may take; server populations whose seeding would not fit are skipped (default: 570, quick 57)",
    positive,
  )
  .showHelpAfterError();

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release().split(".").slice(0, 2).join(".")} ${os.arch()}`,
    node: process.version,
    loadAverage: { start: os.loadavg()[0]!, end: null },
  };
}

const isoSeconds = (date: Date) => date.toISOString().replace(/\.\d+Z$/, "Z");

/** What must be undone however the run ends: the nimbus we started, the servers we left on a cloud. */
const cleanUps: Array<() => Promise<void>> = [];

async function runCleanUps(): Promise<void> {
  while (cleanUps.length > 0) await cleanUps.pop()!().catch(() => {});
}

async function main(): Promise<number> {
  program.parse();
  const flags = program.opts<Flags>();
  const mode: Mode = flags.quick ? "quick" : "full";
  const sizes: Sizes = structuredClone(SIZES[mode]);
  if (flags.duration) sizes.throughput.durationS = flags.duration;
  if (flags.budget) sizes.budgetS = flags.budget;
  const selected = new Set<ScenarioName>(flags.scenario ?? SCENARIOS);
  // Throughput is reported as a share of the ceiling, so the ceiling is measured with it.
  if (selected.has("throughput")) selected.add("ceiling");
  const args = process.argv.slice(2);

  const startedAt = new Date();
  const started = performance.now();
  const deadline = started + sizes.budgetS * 1000;
  const progress = new Progress();
  const report: RunReport = {
    schema: "nimbus-bench/1",
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`,
    mode,
    startedAt: isoSeconds(startedAt),
    finishedAt: "",
    durationS: 0,
    machine: machine(),
    target: null,
    sizes,
    scenarios: {},
    seeding: [],
  };

  // Set up the target, unless only the ceiling (which needs none) was asked for.
  let ctx: BenchContext | null = null;
  if ([...selected].some((s) => s !== "ceiling")) {
    try {
      const namePrefix = `bench-${randomBytes(3).toString("hex")}`;
      let setup: Setup;
      if (flags.osCloud) {
        setup = await setUpCloud(loadCloud(flags.osCloud), flags, progress, namePrefix);
        cleanUps.push(setup.cleanUp);
      } else {
        setup = await setUpNimbus(flags, progress, (nimbus) => cleanUps.push(() => nimbus.stop()));
        cleanUps.push(setup.cleanUp);
      }
      report.target = setup.info;
      const population = new Population({
        session: setup.user,
        boot: setup.boot,
        progress,
        namePrefix,
        poll: setup.poll,
        // A cloud we do not own gets small requests, one at a time.
        batch: setup.target.kind === "nimbus" ? sizes.seed.batch : 10,
        inFlight: setup.target.kind === "nimbus" ? sizes.seed.inFlight : 1,
        checkQuota: setup.target.kind === "cloud",
      });
      ctx = { mode, sizes, ...setup, progress, population, namePrefix, deadline };
      if (selected.has("boot-list") || selected.has("throughput") || selected.has("footprint")) {
        progress.step("counting servers and booting one to look up");
        await population.init();
      }
    } catch (error) {
      report.error = errorText(error);
    }
  }

  /** Runs one scenario; an exception becomes its failure, and what it measured before stays. */
  const run = async <K extends keyof RunReport["scenarios"]>(
    name: K,
    body: () => Promise<NonNullable<RunReport["scenarios"][K]>>,
  ) => {
    progress.scenario(name);
    try {
      report.scenarios[name] = await body();
    } catch (error) {
      const message = errorText(error);
      const partial = report.scenarios[name] ?? { notes: [], skipped: [] };
      report.scenarios[name] = { ...partial, status: "failed", error: message } as never;
      progress.note(`${name} failed: ${message}`);
    }
  };

  if (!report.error) {
    // Scenario order: start-up first (a quiet machine), population growth last (it only grows).
    const c = ctx;
    if (c && selected.has("footprint"))
      await run("footprint", async () => {
        const result = footprintResult();
        report.scenarios.footprint = result;
        if (c.target.kind === "cloud")
          result.skipped.push({
            what: "start-up time and RSS",
            why: `${NEEDS_NIMBUS} (the process runs elsewhere)`,
          });
        else await measureStartups(c, result);
        return result;
      });
    if (c && selected.has("boot-delete")) await run("boot-delete", () => bootAndDelete(c));
    if (selected.has("ceiling")) await run("ceiling", () => ceiling({ sizes, progress }));
    if (c && selected.has("throughput")) await run("throughput", () => throughput(c));
    if (c && selected.has("boot-list"))
      report.scenarios["boot-list"] = { status: "ok", notes: [], skipped: [], levels: [] };
    if (c && (selected.has("boot-list") || selected.has("footprint"))) {
      try {
        await populationSweep(c, report.scenarios["boot-list"], report.scenarios.footprint);
      } catch (error) {
        for (const result of [report.scenarios["boot-list"], report.scenarios.footprint])
          if (result) {
            result.status = "failed";
            result.error = `growing the population: ${errorText(error)}`;
          }
        progress.note(`population sweep failed: ${errorText(error)}`);
      }
      report.seeding = c.population.records;
    }
    // its own nimbus, many hosts: last, so that it leaves the other scenarios' machine quiet
    if (c && selected.has("scale-hosts")) await run("scale-hosts", () => scaleHosts(c));
    const fp = report.scenarios.footprint;
    if (fp && c?.target.kind === "nimbus") fp.peakRssBytes = c.target.nimbus.peakRssBytes();
  }

  progress.scenario("finishing");
  await runCleanUps();
  progress.done();
  report.finishedAt = isoSeconds(new Date());
  report.durationS = (performance.now() - started) / 1000;
  report.machine.loadAverage.end = os.loadavg()[0]!;
  process.stdout.write(renderMarkdown(report));
  if (flags.out) fs.writeFileSync(flags.out, `${JSON.stringify(report, null, 2)}\n`);
  const failed = failures(report);
  for (const f of failed) process.stderr.write(`bench: FAILED ${f}\n`);
  return failed.length > 0 ? 1 : 0;
}

for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
    void runCleanUps().finally(() => process.exit(130));
  });

process.exitCode = await main();
