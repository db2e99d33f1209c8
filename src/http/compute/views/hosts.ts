import type { PlacedServer } from "../../../services/compute/aggregate-service.js";

/** One `resource` row of GET /os-hosts/{host}. */
interface Resource {
  host: string;
  project: string;
  cpu: number;
  memory_mb: number;
  disk_gb: number;
}

/** A hypervisor's capacity and what its resource tracker counts as used. */
export interface NodeResources {
  vcpus: number;
  memoryMb: number;
  localGb: number;
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
}

/**
 * nova's os-hosts show: the host's capacity `(total)`, its tracked usage `(used_now)`, the
 * sum of its servers' flavors `(used_max)`, then one row per project with servers there
 * (in the order their first server was placed).
 */
export function hostResourcesView(host: string, node: NodeResources, servers: PlacedServer[]) {
  const row = (project: string, cpu: number, memory_mb: number, disk_gb: number): Resource => ({
    host,
    project,
    cpu,
    memory_mb,
    disk_gb,
  });
  const usedMax = row("(used_max)", 0, 0, 0);
  const byProject = new Map<string, Resource>();
  for (const server of servers) {
    let project = byProject.get(server.projectId);
    if (!project) {
      project = row(server.projectId, 0, 0, 0);
      byProject.set(server.projectId, project);
    }
    for (const sum of [usedMax, project]) {
      sum.cpu += server.vcpus;
      sum.memory_mb += server.memoryMb;
      sum.disk_gb += server.diskGb;
    }
  }
  const rows = [
    row("(total)", node.vcpus, node.memoryMb, node.localGb),
    row("(used_now)", node.vcpusUsed, node.memoryMbUsed, node.localGbUsed),
    usedMax,
    ...byProject.values(),
  ];
  return { host: rows.map((resource) => ({ resource })) };
}
