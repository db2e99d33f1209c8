import { channel } from "node:diagnostics_channel";
import { sql, type Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import { type CandidateCursor, SchedulerRepository } from "../../store/scheduler-repository.js";
import type { Database } from "../../store/schema.js";
import type { DriverRegistry } from "../../virt/registry.js";
import { DEFAULT_AZ } from "./aggregate-service.js";
import { NOT_ENOUGH_HOSTS, reportedRecently } from "./host-service.js";
import { computeProperties, type HostCapabilities, imageSupported } from "./image-properties-filter.js";
import type { Resources } from "./placement.js";

/** nova's max_placement_results, scaled to one request: how many candidates a page holds. */
export const CANDIDATE_PAGE = 16;

interface HostKinds {
  /** How many hosts the drivers had when this was read. */
  hosts: number;
  ofHost: Map<string, string>;
  capabilities: Map<string, HostCapabilities>;
}

/** One placement as the scheduler timed it. */
export interface ScheduledEvent {
  /** The host whose claim succeeded; null when none did. */
  host: string | null;
  /** From the first candidate query to the claim's commit (or the NoValidHost answer). */
  ms: number;
  /** Candidate pages read. */
  pages: number;
  /** Claims tried. */
  claims: number;
}

/**
 * Each placement's timing, published for whoever subscribes (nimbus logs it at debug level,
 * which the benchmark reads); nothing is built when no one listens.
 */
export const scheduledChannel = channel("nimbus:scheduler:scheduled");

/** What a server needs of its host. */
export interface HostRequest {
  resources: Resources;
  /** Only hosts of this availability zone. */
  zone: string | null;
  /** Only this host (2.74 `host`, a move's named destination). */
  requested: string | null;
  /** Never this host (a move's source). */
  exclude?: string | null;
  /** Only a host of one of these servers (the `same_host` hint, nova's SameHostFilter). */
  sameHost?: readonly string[];
  /** Never a host of one of these servers (the `different_host` hint, nova's DifferentHostFilter). */
  differentHost?: readonly string[];
  /** The server's image properties, for nova's ImagePropertiesFilter. */
  imageProperties?: Record<string, unknown>;
}

/** A server's `same_host` and `different_host` scheduler hints (a uuid or a list of them), as a request's. */
export function hostHints(hints: Record<string, unknown>): Pick<HostRequest, "sameHost" | "differentHost"> {
  const uuids = (value: unknown): string[] =>
    (Array.isArray(value) ? value : value === undefined || value === null ? [] : [value]).filter(
      (v): v is string => typeof v === "string",
    );
  return { sameHost: uuids(hints.same_host), differentHost: uuids(hints.different_host) };
}

/** The candidate query of a request, before its hints. */
const queryOf = (request: HostRequest) => ({
  resources: request.resources,
  zone: request.zone,
  defaultZone: DEFAULT_AZ,
  host: request.requested,
  exclude: request.exclude ?? null,
});

/** The host whose claim succeeded, or, when none did, nova's NoValidHost reason. */
export type Selection = { host: string } | { host: null; reason: string };

/**
 * nova's scheduler over placement's bounded allocation candidates: a page of the hosts with
 * room for the request (most free RAM first, names breaking ties; enabled, in its zone, the
 * host named), of those the ones this process drives and whose compute service is up
 * (nova's ComputeFilter), then `claim` on each in that order until one succeeds; the next
 * page only when a whole page was filtered out or lost its room to other claims. The work
 * of a request grows with the candidates it passes over, not with the hosts of the cloud.
 */
export class Scheduler {
  readonly #db: Db;
  readonly #repo: SchedulerRepository;
  readonly #drivers: DriverRegistry;
  readonly #now: () => Date;
  #kinds: HostKinds | undefined;

  constructor(db: Db, drivers: DriverRegistry, options: { now?: () => Date } = {}) {
    this.#db = db;
    this.#repo = new SchedulerRepository(db);
    this.#drivers = drivers;
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * The first candidate whose `claim` succeeds: given the scheduler's transaction, the host
   * and its zone, it takes the room there and answers false when it does not fit (another
   * claim took it first), and what it did is undone. When none does: the reason
   * "" if no enabled compute service could take the request at all (placement leaves
   * disabled hosts out and nova then has no reason to give), else "There are not enough
   * hosts available."
   */
  async select(
    request: HostRequest,
    claim: (trx: Transaction<Database>, host: string, zone: string) => Promise<boolean>,
  ): Promise<Selection> {
    const supports = await this.#imageFilter(request.imageProperties ?? {});
    const query = queryOf(request);
    const started = performance.now();
    const counts = { pages: 0, claims: 0 };
    const done = (selection: Selection): Selection => {
      if (scheduledChannel.hasSubscribers) {
        const ms = performance.now() - started;
        scheduledChannel.publish({ host: selection.host, ms, ...counts } satisfies ScheduledEvent);
      }
      return selection;
    };
    // one transaction for the pages and the claims (one wait for SQLite's connection, not
    // one per step); none when no kind of host this process runs can take the image
    const host =
      supports === false
        ? null
        : await this.#db.transaction().execute((trx) => this.#walk(trx, request, supports, claim, counts));
    if (host !== null) return done({ host });
    return done({ host: null, reason: (await this.#anyHost(query)) ? NOT_ENOUGH_HOSTS : "" });
  }

  /**
   * The candidates a page at a time, each that the filters pass claimed in a savepoint (so a
   * claim that fails leaves nothing held) until one succeeds; null when none did.
   */
  async #walk(
    trx: Transaction<Database>,
    request: HostRequest,
    supports: true | ((host: string) => boolean),
    claim: (trx: Transaction<Database>, host: string, zone: string) => Promise<boolean>,
    counts: { pages: number; claims: number },
  ): Promise<string | null> {
    // nova's SameHostFilter and DifferentHostFilter, as the hosts of the servers they name
    const same = request.sameHost ?? [];
    const query = {
      ...queryOf(request),
      within: same.length > 0 ? await this.#repo.hostsOf(same, trx) : null,
      without: await this.#repo.hostsOf(request.differentHost ?? [], trx),
    };
    let after: CandidateCursor | undefined;
    for (;;) {
      const page = await this.#repo.candidates(query, { limit: CANDIDATE_PAGE, after }, trx);
      counts.pages++;
      const now = this.#now();
      for (const candidate of page) {
        // nova's ComputeFilter: a host this process drives, whose service reports
        if (this.#drivers.get(candidate.name) === undefined) continue;
        if (!reportedRecently(candidate.reportedAt, now)) continue;
        if (supports !== true && !supports(candidate.name)) continue;
        counts.claims++;
        await sql`savepoint scheduler_claim`.execute(trx);
        if (await claim(trx, candidate.name, candidate.zone ?? DEFAULT_AZ)) {
          await sql`release savepoint scheduler_claim`.execute(trx);
          return candidate.name;
        }
        await sql`rollback to savepoint scheduler_claim`.execute(trx);
      }
      if (page.length < CANDIDATE_PAGE) return null;
      after = page[page.length - 1];
    }
  }

  /**
   * nova's ImagePropertiesFilter over the kinds of host this process runs (few, however many
   * hosts): true when every kind can take the image, false when none can, else the test of one host.
   */
  async #imageFilter(properties: Record<string, unknown>): Promise<boolean | ((host: string) => boolean)> {
    const wanted = computeProperties(properties);
    if (wanted === null) return true;
    const kinds = await this.#hostKinds();
    const able = new Set(
      [...kinds.capabilities].filter(([, c]) => imageSupported(wanted, c)).map(([k]) => k),
    );
    if (able.size === kinds.capabilities.size) return true;
    if (able.size === 0) return false;
    return (host) => able.has(kinds.ofHost.get(host) ?? "");
  }

  /** The hosts this process drives grouped by what they advertise, read once from their drivers. */
  async #hostKinds(): Promise<HostKinds> {
    const hosts = this.#drivers.hosts;
    if (this.#kinds?.hosts === hosts.length) return this.#kinds;
    const kinds: HostKinds = { hosts: hosts.length, ofHost: new Map(), capabilities: new Map() };
    for (const host of hosts) {
      const c = await this.#drivers.get(host)!.capacity();
      const arch = typeof c.cpuInfo.arch === "string" ? c.cpuInfo.arch.toLowerCase() : "";
      // what nova's drivers report as supported_instances: their architecture and hypervisor, hvm guests
      const supportedInstances = arch ? [[arch, c.hypervisorType.toLowerCase(), "hvm"] as const] : [];
      const key = JSON.stringify([supportedInstances, c.hypervisorVersion]);
      kinds.ofHost.set(host, key);
      kinds.capabilities.set(key, { supportedInstances, hypervisorVersion: c.hypervisorVersion });
    }
    this.#kinds = kinds;
    return kinds;
  }

  /** Whether an enabled compute service this process drives could have taken the request. */
  async #anyHost(query: Parameters<SchedulerRepository["enabledComputes"]>[0]): Promise<boolean> {
    let afterId: number | undefined;
    for (;;) {
      const page = await this.#repo.enabledComputes(query, { limit: CANDIDATE_PAGE, afterId });
      if (page.some((s) => this.#drivers.get(s.host) !== undefined)) return true;
      if (page.length < CANDIDATE_PAGE) return false;
      afterId = page[page.length - 1]!.id;
    }
  }
}
