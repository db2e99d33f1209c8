import type { Micros, ServerUsage, TenantUsage } from "../../../services/compute/tenant-usage.js";

/**
 * nova's serialisation of its naive UTC datetimes: `2012-10-08T20:10:44.587336`, always
 * with six fractional digits and no zone (oslo's PERFECT_TIME_FORMAT).
 */
export function perfectTime(us: Micros): string {
  const ms = Math.floor(us / 1000);
  const fraction = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return `${new Date(ms).toISOString().slice(0, 19)}.${String(fraction).padStart(6, "0")}`;
}

function serverUsageView(s: ServerUsage) {
  return {
    hours: s.hours,
    flavor: s.flavor,
    instance_id: s.instanceId,
    name: s.name,
    tenant_id: s.tenantId,
    memory_mb: s.memoryMb,
    local_gb: s.localGb,
    vcpus: s.vcpus,
    started_at: perfectTime(s.startedAt),
    ended_at: s.endedAt === null ? null : perfectTime(s.endedAt),
    state: s.state,
    uptime: s.uptime,
  };
}

/** A project's usage; its server usages only when `detailed` (always in the single-project answer). */
export function tenantUsageView(t: TenantUsage, detailed: boolean): Record<string, unknown> {
  return {
    tenant_id: t.tenantId,
    ...(detailed ? { server_usages: t.serverUsages.map(serverUsageView) } : {}),
    total_local_gb_usage: t.totalLocalGbUsage,
    total_vcpus_usage: t.totalVcpusUsage,
    total_memory_mb_usage: t.totalMemoryMbUsage,
    total_hours: t.totalHours,
    start: perfectTime(t.start),
    stop: perfectTime(t.stop),
  };
}
