import { ComputeHostRepository, type HostedInstanceRow } from "../../store/compute-host-repository.js";
import type { Db } from "../../store/database.js";
import type { ProviderUsage } from "../../store/placement-repository.js";
import type { ComputeNodeRow } from "../../store/schema.js";
import type { DriverRegistry } from "../../virt/registry.js";
import { InvalidInput } from "../errors.js";
import { Binary, type HostService, type Service } from "./host-service.js";
import { type Placement, ResourceClass } from "./placement.js";
import { VmState } from "./vm-states.js";

/** A server on a hypervisor, as `with_servers` lists it. */
export interface HostedServer {
  uuid: string;
  /** nova's instance name (its template name, not the display name). */
  name: string;
}

/** What a hypervisor's servers take, counted as nova's resource tracker counts. */
export interface HypervisorUsage {
  vcpusUsed: number;
  memoryMbUsed: number;
  localGbUsed: number;
  freeRamMb: number;
  freeDiskGb: number;
  /** Servers with an operation under way. */
  currentWorkload: number;
  runningVms: number;
  diskAvailableLeast: number;
}

/** A hypervisor (nova's compute node) with its compute service and what its servers use. */
export interface Hypervisor extends HypervisorUsage {
  id: number;
  uuid: string;
  hypervisorHostname: string;
  host: string;
  hypervisorType: string;
  hypervisorVersion: number;
  hostIp: string | null;
  /** The driver's CPU description as JSON text. */
  cpuInfo: string;
  vcpus: number;
  memoryMb: number;
  localGb: number;
  service: Service;
  servers: HostedServer[];
}

/** nova's hypervisor statistics: sums over the hypervisors of enabled compute services. */
export interface HypervisorStatistics {
  count: number;
  current_workload: number;
  disk_available_least: number;
  free_disk_gb: number;
  free_ram_mb: number;
  local_gb: number;
  local_gb_used: number;
  memory_mb: number;
  memory_mb_used: number;
  running_vms: number;
  vcpus: number;
  vcpus_used: number;
}

export type NodeKey = { id: number } | { uuid: string };

/** nova's ComputeServiceUnavailable: a host that is down (or not driven here) cannot be asked anything. */
export class ComputeServiceUnavailable extends InvalidInput {
  constructor(readonly host: string) {
    super(`Compute service of ${host} is unavailable at this time.`);
  }
}

/** The name nova gives an instance on its host (the server view's OS-EXT-SRV-ATTR:instance_name). */
const instanceName = (uuid: string) => `instance-${uuid.slice(0, 8)}`;

/** nova's vm_states.allow_resource_removal: a deleted or offloaded server holds nothing on its host. */
const holdsResources = (row: HostedInstanceRow) =>
  row.vm_state !== VmState.DELETED &&
  !(row.vm_state === VmState.SHELVED_OFFLOADED && row.task_state !== "spawning");

/**
 * Usage of a node as nova's resource tracker reports it: what placement has allocated on
 * its provider (servers, and the migrations that hold a moving server's other flavor),
 * plus the memory and disk reserved for the host itself; the servers on it for the
 * counts of servers and of those with an operation under way.
 */
export function usageOf(
  node: ComputeNodeRow,
  provider: ProviderUsage | undefined,
  servers: HostedInstanceRow[],
): HypervisorUsage {
  const used = (resourceClass: string) =>
    (provider?.used.get(resourceClass) ?? 0) + (provider?.inventories.get(resourceClass)?.reserved ?? 0);
  const held = servers.filter(holdsResources);
  const memoryMbUsed = used(ResourceClass.MEMORY_MB);
  const localGbUsed = used(ResourceClass.DISK_GB);
  const freeDiskGb = node.local_gb - localGbUsed;
  return {
    vcpusUsed: used(ResourceClass.VCPU),
    memoryMbUsed,
    localGbUsed,
    freeRamMb: node.memory_mb - memoryMbUsed,
    freeDiskGb,
    currentWorkload: held.filter((row) => row.task_state !== null).length,
    runningVms: held.length,
    // simulated disks take exactly what their flavors say: nothing is over-committed
    diskAvailableLeast: freeDiskGb,
  };
}

/** Turns a hostname pattern into nova's `LIKE '%pattern%'` (case-insensitive, % and _ wildcards). */
function likeMatcher(pattern: string): RegExp {
  const source = [...pattern]
    .map((ch) => (ch === "%" ? ".*" : ch === "_" ? "." : ch.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")))
    .join("");
  return new RegExp(source, "is");
}

/**
 * nova's hypervisors: the compute nodes hosts registered, each with the compute service of
 * its host (a node whose service was deleted is left out, as nova leaves it out) and the
 * usage of the servers placed on it.
 */
export class HypervisorService {
  readonly #repo: ComputeHostRepository;

  constructor(
    db: Db,
    private readonly hosts: HostService,
    private readonly drivers: DriverRegistry,
    private readonly placement: Placement,
  ) {
    this.#repo = new ComputeHostRepository(db);
  }

  /** Whether a node exists (a paging marker must name one). */
  async exists(key: NodeKey): Promise<boolean> {
    return (await this.#repo.node(key)) !== undefined;
  }

  /**
   * A page of hypervisors in id order after the node `after`, or all those whose hostname
   * matches `pattern`; with their servers when asked.
   */
  async list(
    options: { after?: NodeKey; limit?: number; pattern?: string; withServers?: boolean } = {},
  ): Promise<Hypervisor[]> {
    let nodes: ComputeNodeRow[];
    if (options.pattern !== undefined) {
      const like = likeMatcher(options.pattern);
      nodes = (await this.#repo.nodes()).filter((n) => like.test(n.hypervisor_hostname));
    } else {
      const after = options.after && (await this.#repo.node(options.after));
      nodes = await this.#repo.nodes({ afterId: after?.id, limit: options.limit });
    }
    return this.#build(nodes, options.withServers ?? false);
  }

  /** A hypervisor by id or uuid; undefined when there is none (or its service is gone). */
  async find(key: NodeKey, options: { withServers?: boolean } = {}): Promise<Hypervisor | undefined> {
    const node = await this.#repo.node(key);
    if (!node) return undefined;
    return (await this.#build([node], options.withServers ?? false))[0];
  }

  /** Sums over the hypervisors whose compute service is enabled (nova's compute_node_statistics). */
  async statistics(): Promise<HypervisorStatistics> {
    const all = (await this.#build(await this.#repo.nodes(), false)).filter((h) => !h.service.disabled);
    const sum = (f: (h: Hypervisor) => number) => all.reduce((total, h) => total + f(h), 0);
    return {
      count: all.length,
      current_workload: sum((h) => h.currentWorkload),
      disk_available_least: sum((h) => h.diskAvailableLeast),
      free_disk_gb: sum((h) => h.freeDiskGb),
      free_ram_mb: sum((h) => h.freeRamMb),
      local_gb: sum((h) => h.localGb),
      local_gb_used: sum((h) => h.localGbUsed),
      memory_mb: sum((h) => h.memoryMb),
      memory_mb_used: sum((h) => h.memoryMbUsed),
      running_vms: sum((h) => h.runningVms),
      vcpus: sum((h) => h.vcpus),
      vcpus_used: sum((h) => h.vcpusUsed),
    };
  }

  /**
   * The host's `uptime` line, asked of its driver; null when the driver cannot tell. A
   * host that is down, or not driven by this process, cannot be asked (nova's
   * ComputeServiceUnavailable).
   */
  async uptime(hypervisor: Hypervisor): Promise<string | null> {
    const driver = this.drivers.get(hypervisor.host);
    if (!driver || !hypervisor.service.up) {
      throw new ComputeServiceUnavailable(hypervisor.host);
    }
    return driver.uptime();
  }

  async #build(nodes: ComputeNodeRow[], withServers: boolean): Promise<Hypervisor[]> {
    const hostNames = [...new Set(nodes.map((n) => n.host))];
    const [services, hosted, providers] = await Promise.all([
      this.hosts.list({ binary: Binary.COMPUTE }),
      this.#repo.instancesOn(hostNames),
      this.placement.usages(hostNames),
    ]);
    const serviceOf = new Map(services.map((s) => [s.host, s]));
    // a node's resource provider is named for it, as nova-compute's resource tracker names it
    const providerOf = new Map(providers.map((p) => [p.name, p]));
    const out: Hypervisor[] = [];
    for (const node of nodes) {
      const service = serviceOf.get(node.host);
      if (!service) continue;
      const servers = hosted.filter((row) => row.host === node.host);
      out.push({
        id: node.id,
        uuid: node.uuid,
        hypervisorHostname: node.hypervisor_hostname,
        host: node.host,
        hypervisorType: node.hypervisor_type,
        hypervisorVersion: node.hypervisor_version,
        hostIp: node.host_ip,
        cpuInfo: node.cpu_info,
        vcpus: node.vcpus,
        memoryMb: node.memory_mb,
        localGb: node.local_gb,
        ...usageOf(node, providerOf.get(node.hypervisor_hostname), servers),
        service,
        servers: withServers ? servers.map((row) => ({ uuid: row.uuid, name: instanceName(row.uuid) })) : [],
      });
    }
    return out;
  }
}
