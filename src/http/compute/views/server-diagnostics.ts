import type { GuestDiagnostics } from "../../../virt/driver.js";
import type { ApiVersion } from "../microversion.js";

/** From 2.48 diagnostics have nova's one format for every driver; before, the driver's own. */
const STANDARD_FROM = "2.48";

export type ServerDiagnostics = GuestDiagnostics & { config_drive: boolean };

/** nova's instance_diagnostics view (2.48): every field, missing values null. */
function standard(d: ServerDiagnostics): Record<string, unknown> {
  return {
    state: d.state,
    driver: d.driver,
    hypervisor: d.hypervisor,
    hypervisor_os: d.hypervisor_os,
    uptime: d.uptime,
    config_drive: d.config_drive,
    num_cpus: d.cpu_details.length,
    num_nics: d.nic_details.length,
    num_disks: d.disk_details.length,
    disk_details: d.disk_details,
    cpu_details: d.cpu_details,
    nic_details: d.nic_details,
    memory_details: d.memory_details,
  };
}

/**
 * Before 2.48 nova passes on its driver's own dictionary; libvirt's (the format nimbus's
 * drivers follow) names a counter per vCPU (`cpu0_time`) and the memory in KiB, and leaves
 * out what it cannot read. Per-device disk and interface counters are named after the
 * devices, which the diagnostics here do not carry.
 */
function legacy(d: ServerDiagnostics): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const cpu of d.cpu_details) {
    if (cpu.id !== null && cpu.time !== null) out[`cpu${cpu.id}_time`] = cpu.time;
  }
  if (d.memory_details.maximum !== null) out.memory = d.memory_details.maximum * 1024;
  return out;
}

export function diagnosticsView(d: ServerDiagnostics, version: ApiVersion): Record<string, unknown> {
  return version.atLeast(STANDARD_FROM) ? standard(d) : legacy(d);
}
