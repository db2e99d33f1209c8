import { randomUUID } from "node:crypto";
import { ComputeHostRepository, type NodeCapacity } from "../../store/compute-host-repository.js";
import type { Db } from "../../store/database.js";
import type { ServiceRow } from "../../store/schema.js";
import type { DriverRegistry } from "../../virt/registry.js";
import { Conflict, InvalidInput, NotFound } from "../errors.js";
import { DEFAULT_AZ } from "./aggregate-service.js";
import type { Placement } from "./placement.js";

/** The nova services an all-in-one runs: the conductor and scheduler on the control host, a compute per host. */
export const Binary = {
  CONDUCTOR: "nova-conductor",
  SCHEDULER: "nova-scheduler",
  COMPUTE: "nova-compute",
} as const;

/** nova's internal_service_availability_zone: where services that run no servers are listed. */
export const INTERNAL_AZ = "internal";

/** nova's report_interval: how often a running service records that it is alive. */
export const REPORT_INTERVAL_MS = 10_000;
/** nova's service_down_time: a service whose last report is older than this is down. */
export const SERVICE_DOWN_TIME_MS = 60_000;

/** The scheduler's reason when every enabled host was filtered out (nova's ComputeFilter drops down hosts). */
export const NOT_ENOUGH_HOSTS = "There are not enough hosts available.";

/** A nova service as the API shows it. */
export interface Service {
  id: number;
  uuid: string;
  host: string;
  binary: string;
  /** A nova-compute service is in its host's zone; the others in the internal one. */
  zone: string;
  disabled: boolean;
  disabledReason: string | null;
  forcedDown: boolean;
  /** Not forced down, and its last report is recent (nova's servicegroup DB driver). */
  up: boolean;
  updatedAt: string | null;
}

/** An availability zone: available while at least one of its services is enabled. */
export interface Zone {
  name: string;
  available: boolean;
  /** The zone's enabled services (none for an unavailable zone). */
  services: Service[];
}

/** The hosts that pass the compute filter, and when none does, why (nova's NoValidHost reason). */
export interface HostChoice {
  hosts: string[];
  reason: string;
}

/** What the API may change on a nova-compute service. */
export interface ServiceChanges {
  disabled?: boolean;
  disabledReason?: string | null;
  forcedDown?: boolean;
}

/**
 * The availability zone of each compute host (nova's set_availability_zones: the zone of
 * the host's aggregates, else the default zone). Services that run no servers are internal.
 */
export type ComputeZones = (computeHosts: string[]) => Promise<Map<string, string>>;

const defaultZones: ComputeZones = async (hosts) => new Map(hosts.map((h) => [h, DEFAULT_AZ]));

/** nova's servicegroup DB driver: up while not forced down and its last report is recent. */
export function isUp(row: ServiceRow, now: Date): boolean {
  return row.forced_down !== 1 && reportedRecently(row.last_seen_up ?? row.created_at, now);
}

/** Whether a service whose last report was at `lastReport` counts as alive at `now`. */
export function reportedRecently(lastReport: string, now: Date): boolean {
  return Math.abs(now.getTime() - Date.parse(lastReport)) <= SERVICE_DOWN_TIME_MS;
}

/**
 * The hosts a new server may go to (nova's scheduler before the weighers): candidate hosts
 * (those this process drives, in the zone asked for) whose nova-compute service exists and
 * is enabled (placement leaves the others out, and nova then has no reason to give), and
 * which are up (nova's ComputeFilter drops the others). `requested` narrows the candidates
 * to one host (2.74 `host`).
 */
export async function filterHosts(
  db: Db,
  candidates: readonly string[],
  requested: string | null,
  now = new Date(),
): Promise<HostChoice> {
  const wanted = candidates.filter((h) => requested === null || h === requested);
  // the candidates' own rows, by (host, binary): the work follows the candidates, not the cloud
  const services = await new ComputeHostRepository(db).servicesOn(wanted, Binary.COMPUTE);
  const enabled = services.filter((s) => s.disabled === 0);
  if (enabled.length === 0) return { hosts: [], reason: "" };
  const up = enabled.filter((s) => isUp(s, now)).map((s) => s.host);
  return { hosts: up, reason: up.length === 0 ? NOT_ENOUGH_HOSTS : "" };
}

/**
 * nova's services, run for real: each process registers the services it runs and reports
 * them alive every REPORT_INTERVAL_MS; a service is up while its last report is recent and
 * no operator forced it down. Disabling a nova-compute service takes its host out of
 * scheduling (see selectHost), as nova's scheduler does.
 */
export class HostService {
  readonly #db: Db;
  readonly #repo: ComputeHostRepository;
  readonly #drivers: DriverRegistry;
  readonly #controlHost: string;
  readonly #now: () => Date;
  readonly #zones: ComputeZones;
  readonly #placement: Placement;
  readonly #computeBack?: (host: string) => Promise<unknown>;
  /** The ids of the services this process runs and reports for. */
  #mine: number[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    db: Db,
    drivers: DriverRegistry,
    options: {
      controlHost: string;
      placement: Placement;
      now?: () => Date;
      zones?: ComputeZones;
      /** Told when an operator lifts a compute host's forced down (it comes back). */
      computeBack?: (host: string) => Promise<unknown>;
    },
  ) {
    this.#computeBack = options.computeBack;
    this.#db = db;
    this.#placement = options.placement;
    this.#repo = new ComputeHostRepository(db);
    this.#drivers = drivers;
    this.#controlHost = options.controlHost;
    this.#now = options.now ?? (() => new Date());
    this.#zones = options.zones ?? defaultZones;
  }

  /** Registers this process's services and hypervisors, then reports them alive until stop(). */
  async start(): Promise<void> {
    await this.register();
    this.#timer = setInterval(() => {
      this.heartbeat().catch(() => {
        // a missed report only ages the service towards "down", which is the truth
      });
    }, REPORT_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * What a starting nova service does: find its record (host, binary) or create one, and
   * for a compute host record its hypervisor's capacity. Disabled and forced-down flags of
   * an existing record survive the restart, as in nova.
   */
  async register(): Promise<void> {
    const now = this.#now().toISOString();
    const wanted: Array<[string, string]> = [
      [this.#controlHost, Binary.CONDUCTOR],
      [this.#controlHost, Binary.SCHEDULER],
      ...this.#drivers.hosts.map((host): [string, string] => [host, Binary.COMPUTE]),
    ];
    const capacities = new Map<string, NodeCapacity>();
    for (const host of this.#drivers.hosts) {
      const c = await this.#drivers.get(host)!.capacity();
      capacities.set(host, {
        hypervisor_type: c.hypervisorType,
        hypervisor_version: c.hypervisorVersion,
        vcpus: c.vcpus,
        memory_mb: c.memoryMb,
        local_gb: c.localGb,
        cpu_info: JSON.stringify(c.cpuInfo),
        host_ip: c.hostIp,
      });
    }
    const ids = await this.#db.transaction().execute(async (trx) => {
      // a few statements per 500 hosts, not a few per host: 10,000 hosts register in seconds
      const hosts = [...new Set(wanted.map(([host]) => host))];
      const find = async () => {
        const found = new Map<string, number>();
        for (const binary of new Set(wanted.map(([, b]) => b))) {
          for (const row of await this.#repo.servicesOn(hosts, binary, trx)) {
            const key = `${row.host}\n${row.binary}`;
            if (!found.has(key)) found.set(key, row.id);
          }
        }
        return found;
      };
      let found = await find();
      const missing = wanted.filter(([host, binary]) => !found.has(`${host}\n${binary}`));
      if (missing.length > 0) {
        await this.#repo.insertServices(
          trx,
          missing.map(([host, binary]) => ({ uuid: randomUUID(), host, binary, now })),
        );
        found = await find();
      }
      const nodes = [...capacities].map(([host, capacity]) => ({
        uuid: randomUUID(),
        host,
        hypervisorHostname: host,
        now,
        ...capacity,
      }));
      await this.#repo.saveNodes(trx, nodes);
      // each node's resource provider, as nova-compute's resource tracker reports it
      const uuids = await this.#repo.nodeUuids(
        trx,
        nodes.map((n) => n.hypervisorHostname),
      );
      await this.#placement.registerAll(
        trx,
        [...capacities].map(([host, capacity]) => ({
          uuid: uuids.get(host)!,
          name: host,
          vcpus: capacity.vcpus,
          memoryMb: capacity.memory_mb,
          localGb: capacity.local_gb,
        })),
        now,
      );
      return wanted.map(([host, binary]) => found.get(`${host}\n${binary}`)!);
    });
    this.#mine = ids;
    await this.heartbeat();
  }

  /** nova's report_state for every service this process runs (a deleted one stays deleted). */
  async heartbeat(): Promise<void> {
    await this.#repo.heartbeat(this.#mine, this.#now().toISOString());
  }

  // ---- reading ------------------------------------------------------------------

  /** Every service, in id order, optionally only those on `host` and of `binary`. */
  async list(filter: { host?: string; binary?: string } = {}): Promise<Service[]> {
    const rows = (await this.#repo.services()).filter(
      (r) => (!filter.host || r.host === filter.host) && (!filter.binary || r.binary === filter.binary),
    );
    return this.#views(rows);
  }

  /** A service by nova's integer id or its uuid; undefined when there is none. */
  async find(key: { id: number } | { uuid: string }): Promise<Service | undefined> {
    const row = await this.#repo.service(key);
    return row && (await this.#views([row]))[0];
  }

  /**
   * nova's host_status of each host, as admins see it on servers (2.16): DOWN when its
   * nova-compute is forced down, MAINTENANCE when disabled, UP while it reports, UNKNOWN
   * when it has gone silent, and "" for a host with no nova-compute service.
   */
  async hostStatuses(hosts: readonly string[]): Promise<Map<string, string>> {
    const now = this.#now();
    const out = new Map<string, string>();
    for (const host of new Set(hosts)) {
      const row = await this.#repo.serviceOn(host, Binary.COMPUTE);
      let status = "";
      if (row?.forced_down === 1) status = "DOWN";
      else if (row?.disabled === 1) status = "MAINTENANCE";
      else if (row) status = isUp(row, now) ? "UP" : "UNKNOWN";
      out.set(host, status);
    }
    return out;
  }

  /** The nova-compute service of `host`, if it has one. */
  async computeOn(host: string): Promise<Service | undefined> {
    const row = await this.#repo.serviceOn(host, Binary.COMPUTE);
    return row && (await this.#views([row]))[0];
  }

  /**
   * nova's availability zones as its services place them (compute services in their
   * hosts' zones, the others in "internal"): zones with an enabled service first, then the
   * others, each group sorted by name.
   */
  async zones(): Promise<Zone[]> {
    const services = await this.list();
    const enabled = new Map<string, Service[]>();
    const disabledOnly = new Set<string>();
    for (const s of services) {
      if (!s.disabled) enabled.set(s.zone, [...(enabled.get(s.zone) ?? []), s]);
    }
    for (const s of services) if (s.disabled && !enabled.has(s.zone)) disabledOnly.add(s.zone);
    return [
      ...[...enabled.keys()].sort().map((name) => ({ name, available: true, services: enabled.get(name)! })),
      ...[...disabledOnly].sort().map((name) => ({ name, available: false, services: [] })),
    ];
  }

  // ---- changing -------------------------------------------------------------------

  /** Changes a service's flags (2.53 and later); only nova-compute services can be changed. */
  async update(service: Service, changes: ServiceChanges): Promise<Service> {
    this.#assertCompute(service.binary);
    await this.#apply(service.id, changes);
    if (changes.forcedDown === false) await this.#computeBack?.(service.host);
    return (await this.find({ id: service.id })) ?? service;
  }

  /** The pre-2.53 form: the service named by host and binary. */
  async updateByHost(host: string, binary: string, changes: ServiceChanges): Promise<void> {
    this.#assertCompute(binary);
    const row = await this.#repo.serviceOn(host, binary);
    // nova looks the host up in its cell mappings first, which only compute hosts have
    if (!row) throw new NotFound(`Host '${host}' is not mapped to any cell`);
    await this.#apply(row.id, changes);
    if (changes.forcedDown === false) await this.#computeBack?.(host);
  }

  /**
   * Deletes a service record. A compute service that still hosts servers cannot go (its
   * servers would lose their host's accounting), as nova refuses it. The process keeps
   * running: a deleted service stays gone until the process starts again and registers anew.
   */
  async delete(service: Service): Promise<void> {
    if (service.binary === Binary.COMPUTE) {
      const hosted = await this.#repo.instancesOn([service.host]);
      if (hosted.length > 0) {
        throw new Conflict(
          "Unable to delete compute service that is hosting instances. Migrate or delete the instances first.",
        );
      }
    }
    await this.#repo.deleteService(service.id, this.#now().toISOString());
  }

  // ---- the parts ------------------------------------------------------------------

  #assertCompute(binary: string): void {
    if (binary !== Binary.COMPUTE) {
      throw new InvalidInput(
        `Updating a ${binary} service is not supported. Only nova-compute services can be updated.`,
      );
    }
  }

  async #apply(id: number, changes: ServiceChanges): Promise<void> {
    const set: Partial<Pick<ServiceRow, "disabled" | "disabled_reason" | "forced_down">> = {};
    if (changes.disabled !== undefined) set.disabled = changes.disabled ? 1 : 0;
    if (changes.disabledReason !== undefined) set.disabled_reason = changes.disabledReason;
    if (changes.forcedDown !== undefined) set.forced_down = changes.forcedDown ? 1 : 0;
    await this.#repo.updateService(id, set, this.#now().toISOString());
  }

  async #views(rows: ServiceRow[]): Promise<Service[]> {
    const computes = rows.filter((r) => r.binary === Binary.COMPUTE).map((r) => r.host);
    const zones = computes.length > 0 ? await this.#zones(computes) : new Map<string, string>();
    return rows.map((row) => this.#view(row, zones.get(row.host) ?? DEFAULT_AZ));
  }

  #view(row: ServiceRow, computeZone: string): Service {
    return {
      id: row.id,
      uuid: row.uuid,
      host: row.host,
      binary: row.binary,
      zone: row.binary === Binary.COMPUTE ? computeZone : INTERNAL_AZ,
      disabled: row.disabled === 1,
      disabledReason: row.disabled_reason,
      forcedDown: row.forced_down === 1,
      up: isUp(row, this.#now()),
      updatedAt: row.updated_at,
    };
  }
}
