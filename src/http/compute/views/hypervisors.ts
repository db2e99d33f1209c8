import type { Hypervisor } from "../../../services/compute/hypervisor-service.js";
import type { ApiVersion } from "../microversion.js";

/** Where a hypervisor is shown: lists, search and uptime answers ("summary"), detail and show ("detail"). */
export type HypervisorViewKind = "summary" | "detail";

export interface HypervisorViewContext {
  version: ApiVersion;
  kind: HypervisorViewKind;
  /** The request asked for servers (2.53 `with_servers`, or the pre-2.53 servers route). */
  withServers?: boolean;
  /** The host's uptime line, for the 2.88 detail view. */
  uptime?: string | null;
}

interface Field {
  key: string;
  min?: string;
  max?: string;
  /** Only in the detail view. */
  detail?: boolean;
  value: (h: Hypervisor, c: HypervisorViewContext) => unknown;
}

/** From 2.75 a request for servers always gets the key, an empty list for a host with none. */
const EMPTY_SERVERS_FROM = "2.75";

/** The cpu_info object from 2.28 ({} when the driver gave none); a JSON string before. */
function cpuInfoObject(h: Hypervisor): unknown {
  return h.cpuInfo ? JSON.parse(h.cpuInfo) : {};
}

/**
 * nova's _view_hypervisor: uuids for ids from 2.53, cpu_info as an object from 2.28, the
 * capacity and usage fields gone from 2.88 (which adds uptime instead).
 */
const FIELDS: Field[] = [
  { key: "id", max: "2.52", value: (h) => h.id },
  { key: "id", min: "2.53", value: (h) => h.uuid },
  { key: "hypervisor_hostname", value: (h) => h.hypervisorHostname },
  { key: "state", value: (h) => (h.service.up ? "up" : "down") },
  { key: "status", value: (h) => (h.service.disabled ? "disabled" : "enabled") },
  { key: "hypervisor_type", detail: true, value: (h) => h.hypervisorType },
  { key: "hypervisor_version", detail: true, value: (h) => h.hypervisorVersion },
  { key: "host_ip", detail: true, value: (h) => h.hostIp },
  {
    key: "service",
    detail: true,
    value: (h, c) => ({
      id: c.version.atLeast("2.53") ? h.service.uuid : h.service.id,
      host: h.host,
      disabled_reason: h.service.disabledReason,
    }),
  },
  { key: "vcpus", detail: true, max: "2.87", value: (h) => h.vcpus },
  { key: "memory_mb", detail: true, max: "2.87", value: (h) => h.memoryMb },
  { key: "local_gb", detail: true, max: "2.87", value: (h) => h.localGb },
  { key: "vcpus_used", detail: true, max: "2.87", value: (h) => h.vcpusUsed },
  { key: "memory_mb_used", detail: true, max: "2.87", value: (h) => h.memoryMbUsed },
  { key: "local_gb_used", detail: true, max: "2.87", value: (h) => h.localGbUsed },
  { key: "free_ram_mb", detail: true, max: "2.87", value: (h) => h.freeRamMb },
  { key: "free_disk_gb", detail: true, max: "2.87", value: (h) => h.freeDiskGb },
  { key: "current_workload", detail: true, max: "2.87", value: (h) => h.currentWorkload },
  { key: "running_vms", detail: true, max: "2.87", value: (h) => h.runningVms },
  { key: "disk_available_least", detail: true, max: "2.87", value: (h) => h.diskAvailableLeast },
  { key: "cpu_info", detail: true, max: "2.27", value: (h) => h.cpuInfo },
  { key: "cpu_info", detail: true, min: "2.28", max: "2.87", value: cpuInfoObject },
  { key: "uptime", detail: true, min: "2.88", value: (_h, c) => c.uptime ?? null },
];

/** One hypervisor at the request's microversion. */
export function hypervisorView(h: Hypervisor, c: HypervisorViewContext): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    if (field.detail && c.kind !== "detail") continue;
    if (!c.version.within(field.min, field.max) && !(c.version.isLegacyV2 && !field.min)) continue;
    out[field.key] = field.value(h, c);
  }
  // servers when the host has some; from 2.75 an empty list when they were asked for
  if (h.servers.length > 0) out.servers = h.servers.map((s) => ({ name: s.name, uuid: s.uuid }));
  else if (c.withServers && c.version.atLeast(EMPTY_SERVERS_FROM)) out.servers = [];
  return out;
}
