import { setTimeout as sleep } from "node:timers/promises";
import type { Session } from "./client.js";
import type { Progress } from "./progress.js";
import { type BootSpec, bootServer, listAllServers, type PollPolicy, waitActive } from "./servers.js";

/** One growth of the population: how fast servers were accepted and became ACTIVE. */
export interface SeedRecord {
  from: number;
  to: number;
  /** Seconds until the last `POST /servers` was accepted. */
  acceptS: number;
  /** Seconds until no server was left in BUILD. */
  activeS: number;
  /** Servers per second, POST to ACTIVE. */
  rate: number;
}

/**
 * `broken`: the cloud misbehaved (servers in ERROR, stuck in BUILD) and the scenario fails;
 * otherwise the population could not grow for want of quota or time, which is a skip.
 */
export type EnsureResult = { ok: true } | { ok: false; reason: string; broken: boolean };

export interface PopulationOptions {
  session: Session;
  boot: BootSpec;
  progress: Progress;
  namePrefix: string;
  poll: PollPolicy;
  /** Servers per POST and POSTs in flight. */
  batch: number;
  inFlight: number;
  /** Check the project's quota (`GET /limits`) before seeding: on a cloud we do not own. */
  checkQuota: boolean;
}

interface AbsoluteLimits {
  maxTotalInstances: number;
  totalInstancesUsed: number;
  maxTotalCores: number;
  totalCoresUsed: number;
  maxTotalRAMSize: number;
  totalRAMUsed: number;
}

/**
 * The servers present in the benchmark project, grown on demand with multi-create
 * requests. Counts only ever go up: scenarios that boot also delete what they boot.
 */
export class Population {
  readonly #o: PopulationOptions;
  #count = 0;
  #needle: { id: string; name: string } | null = null;
  readonly records: SeedRecord[] = [];

  constructor(options: PopulationOptions) {
    this.#o = options;
  }

  get count(): number {
    return this.#count;
  }

  /** One ACTIVE server with a name no other has: the target of `GET /servers/{id}` and `?name=`. */
  get needle(): { id: string; name: string } {
    if (!this.#needle) throw new Error("population not initialized");
    return this.#needle;
  }

  /** Counts the servers already there and boots the needle server. */
  async init(): Promise<void> {
    this.#count = (await listAllServers(this.#o.session)).length;
    const name = `${this.#o.namePrefix}-needle`;
    const { id } = await bootServer(this.#o.session, this.#o.boot, name);
    await waitActive(this.#o.session, id, this.#o.poll);
    this.#needle = { id, name };
    this.#count += 1;
  }

  /** Servers per second of the latest seeding, if any. */
  get rate(): number | null {
    return this.records.at(-1)?.rate ?? null;
  }

  /** Seconds growing to `n` servers is expected to take, from the last seeding rate (null when unknown). */
  estimateS(n: number): number | null {
    const rate = this.rate;
    if (n <= this.#count) return 0;
    return rate ? (n - this.#count) / rate : null;
  }

  async #quotaRoom(): Promise<number> {
    const { body } = await this.#o.session.compute<{ limits: { absolute: AbsoluteLimits } }>(
      "GET",
      "/limits",
    );
    const a = body.limits.absolute;
    const room = (max: number, used: number, each: number) =>
      max < 0 || each === 0 ? Number.POSITIVE_INFINITY : Math.floor((max - used) / each);
    return Math.min(
      room(a.maxTotalInstances, a.totalInstancesUsed, 1),
      room(a.maxTotalCores, a.totalCoresUsed, this.#o.boot.flavor.vcpus),
      room(a.maxTotalRAMSize, a.totalRAMUsed, this.#o.boot.flavor.ram),
    );
  }

  /**
   * Grows the project to `n` servers, all ACTIVE, before `deadline` (a `performance.now()`
   * value). Stops issuing requests at the deadline and says so.
   */
  async ensure(n: number, deadline: number): Promise<EnsureResult> {
    const need = n - this.#count;
    if (need <= 0) return { ok: true };
    if (this.#o.checkQuota) {
      const room = await this.#quotaRoom();
      if (room < need)
        return {
          ok: false,
          broken: false,
          reason: `the project's quota leaves room for ${room} more servers, ${need} needed`,
        };
    }
    const { session, progress } = this.#o;
    const from = this.#count;
    const started = performance.now();
    let requested = 0;
    let accepted = 0;
    let batchNo = this.records.length * 100_000;
    // Set by a worker; an object so that the type checker does not assume it is still null.
    const halt: { reason: string | null } = { reason: null };

    const worker = async () => {
      while (requested < need && halt.reason === null) {
        if (performance.now() > deadline) {
          halt.reason = `time budget reached after ${accepted} of ${need} servers`;
          return;
        }
        const size = Math.min(this.#o.batch, need - requested);
        requested += size;
        await bootServer(session, this.#o.boot, `${this.#o.namePrefix}-seed-${batchNo++}`, size);
        accepted += size;
        this.#count += size;
        progress.update(`seeding ${from + accepted}/${n} servers (${accepted} accepted)`);
      }
    };
    await Promise.all(Array.from({ length: this.#o.inFlight }, worker));
    const acceptS = (performance.now() - started) / 1000;

    // All accepted; wait for the builds to finish. Bounded by the deadline plus a grace
    // period, so a cloud that leaves servers in BUILD ends the wait instead of the run.
    const waitUntil = Math.max(deadline, performance.now()) + 60_000;
    for (let interval = 100; ; interval = Math.min(1000, interval * 1.5)) {
      const { body } = await session.compute<{ servers: unknown[] }>("GET", "/servers?status=BUILD&limit=1");
      if (body.servers.length === 0) break;
      if (performance.now() > waitUntil) {
        return {
          ok: false,
          broken: true,
          reason: `servers still in BUILD ${Math.round((performance.now() - started) / 1000)} s after seeding began`,
        };
      }
      progress.update(`seeding ${this.#count}/${n}: all accepted, waiting for BUILD to end`);
      await sleep(interval);
    }
    const activeS = (performance.now() - started) / 1000;
    const { body: errors } = await session.compute<{ servers: unknown[] }>(
      "GET",
      "/servers?status=ERROR&limit=1",
    );
    if (errors.servers.length > 0)
      return { ok: false, broken: true, reason: "some seeded servers went to ERROR" };
    this.records.push({ from, to: this.#count, acceptS, activeS, rate: accepted / activeS });
    if (halt.reason !== null) return { ok: false, broken: false, reason: halt.reason };
    return { ok: true };
  }
}
