import type { Db } from "../../store/database.js";
import type { FlavorSnapshot } from "../../store/instance-record.js";
import { type UsageInstanceRow, UsageRepository } from "../../store/usage-repository.js";
import { InvalidInput } from "../errors.js";

/** Microseconds since the epoch, UTC: nova's usage periods keep microseconds. */
export type Micros = number;

export const microsOf = (iso: string): Micros => Date.parse(iso) * 1000;

/** One server's share of a period (nova's server_usages entry). */
export interface ServerUsage {
  instanceId: string;
  name: string;
  tenantId: string;
  /** The flavor's name. */
  flavor: string;
  memoryMb: number;
  /** Root and ephemeral disk. */
  localGb: number;
  vcpus: number;
  /** Hours the server lived within the period. */
  hours: number;
  startedAt: Micros;
  endedAt: Micros | null;
  /** "terminated" once it ended, else its vm_state. */
  state: string;
  /** Whole seconds from launch to its end, or to now. */
  uptime: number;
}

/** A project's usage of a period: totals weighted by hours, and its servers. */
export interface TenantUsage {
  tenantId: string;
  start: Micros;
  stop: Micros;
  totalHours: number;
  totalLocalGbUsage: number;
  totalMemoryMbUsage: number;
  totalVcpusUsage: number;
  serverUsages: ServerUsage[];
}

export interface UsageQuery {
  start: Micros;
  stop: Micros;
  /** One project's usage; all projects when absent. */
  projectId?: string;
  /** A page of at most `limit` servers after the server `marker` (in project, uuid order). */
  limit: number;
  marker?: string;
}

/** nova's _hours_for: the part of [start, stop] the server was launched and not yet terminated. */
export function hoursWithin(
  launchedAt: Micros,
  terminatedAt: Micros | null,
  start: Micros,
  stop: Micros,
): number {
  if (terminatedAt !== null && terminatedAt < start) return 0;
  if (launchedAt > stop) return 0;
  const from = Math.max(launchedAt, start);
  const to = terminatedAt !== null ? Math.min(stop, terminatedAt) : stop;
  return (to - from) / 1e6 / 3600;
}

/**
 * nova's simple tenant usage: for a period, every server that lived in it (deleted ones
 * too) with its hours and flavor size, summed per project. The period ends at the latest
 * now: the future has no usage yet.
 */
export class TenantUsageService {
  readonly #repo: UsageRepository;

  constructor(
    db: Db,
    private readonly now: () => Micros = () => Date.now() * 1000,
  ) {
    this.#repo = new UsageRepository(db);
  }

  /** The usage per project (in project order) and the page of server usages it was summed from. */
  async usage(query: UsageQuery): Promise<{ tenants: TenantUsage[]; servers: ServerUsage[] }> {
    const now = this.now();
    const start = query.start;
    const stop = Math.min(query.stop, now);
    let marker: Awaited<ReturnType<UsageRepository["marker"]>>;
    if (query.marker !== undefined) {
      marker = await this.#repo.marker(query.marker);
      if (!marker) throw new InvalidInput(`Marker ${query.marker} could not be found.`);
    }
    // the store keeps milliseconds: rounding the bounds outwards keeps the comparisons exact
    const rows = await this.#repo.activeInWindow({
      begin: new Date(Math.floor(start / 1000)).toISOString(),
      end: new Date(Math.ceil(stop / 1000)).toISOString(),
      projectId: query.projectId,
      marker,
      limit: query.limit,
    });
    const tenants = new Map<string, TenantUsage>();
    const servers: ServerUsage[] = [];
    for (const row of rows) {
      const usage = serverUsage(row, start, stop, now);
      let tenant = tenants.get(usage.tenantId);
      if (!tenant) {
        tenant = {
          tenantId: usage.tenantId,
          start,
          stop,
          totalHours: 0,
          totalLocalGbUsage: 0,
          totalMemoryMbUsage: 0,
          totalVcpusUsage: 0,
          serverUsages: [],
        };
        tenants.set(usage.tenantId, tenant);
      }
      tenant.totalLocalGbUsage += usage.localGb * usage.hours;
      tenant.totalVcpusUsage += usage.vcpus * usage.hours;
      tenant.totalMemoryMbUsage += usage.memoryMb * usage.hours;
      tenant.totalHours += usage.hours;
      tenant.serverUsages.push(usage);
      servers.push(usage);
    }
    return { tenants: [...tenants.values()], servers };
  }
}

function serverUsage(row: UsageInstanceRow, start: Micros, stop: Micros, now: Micros): ServerUsage {
  const flavor = JSON.parse(row.flavor) as FlavorSnapshot;
  const startedAt = microsOf(row.launched_at);
  const endedAt = row.terminated_at === null ? null : microsOf(row.terminated_at);
  return {
    instanceId: row.uuid,
    name: row.display_name,
    tenantId: row.project_id,
    flavor: flavor.name,
    memoryMb: flavor.memory_mb,
    localGb: flavor.root_gb + flavor.ephemeral_gb,
    vcpus: flavor.vcpus,
    hours: hoursWithin(startedAt, endedAt, start, stop),
    startedAt,
    endedAt,
    state: endedAt !== null ? "terminated" : row.vm_state,
    uptime: Math.trunc(((endedAt ?? now) - startedAt) / 1e6),
  };
}
