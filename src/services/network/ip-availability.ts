import type { NeutronRepository } from "../../store/neutron-repository.js";
import type { SubnetRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { NetworkNotFound, ResourceNotFound } from "./errors.js";
import { lastOf, parseCidr, parseIp } from "./ip.js";
import type { AllocationPool } from "./ipam.js";

export interface SubnetIpAvailability {
  subnet_id: string;
  subnet_name: string;
  cidr: string;
  ip_version: number;
  total_ips: number;
  used_ips: number;
}

export interface NetworkIpAvailability {
  network_id: string;
  network_name: string;
  project_id: string;
  tenant_id: string;
  total_ips: number;
  used_ips: number;
  subnet_ip_availability: SubnetIpAvailability[];
}

/** The filters Neutron's IpAvailabilityMixin applies (each: any of the values). */
export interface IpAvailabilityFilters {
  network_id?: readonly string[];
  network_name?: readonly string[];
  project_id?: readonly string[];
  ip_version?: readonly string[];
}

/**
 * A subnet's size as Neutron counts it: the addresses of its allocation pools, or of its
 * whole cidr when it has none. (A number: an IPv6 /64's 2^64 is not exact in JSON anyway.)
 */
function totalOf(subnet: SubnetRow): number {
  const pools = JSON.parse(subnet.allocation_pools) as AllocationPool[];
  if (pools.length === 0) {
    const cidr = parseCidr(subnet.cidr);
    return cidr ? Number(lastOf(cidr) - cidr.network + 1n) : 0;
  }
  let total = 0n;
  for (const pool of pools) {
    const first = parseIp(pool.start);
    const last = parseIp(pool.end);
    if (first && last) total += last.value - first.value + 1n;
  }
  return Number(total);
}

/**
 * Neutron's network-ip-availability extension: per network and subnet, how many
 * addresses there are and how many ports hold. Neutron's default policy shows it to
 * admins only: a list shows others nothing, a show answers them 404.
 */
export class IpAvailability {
  constructor(readonly repo: NeutronRepository) {}

  async list(caller: AuthContext, filters: IpAvailabilityFilters = {}): Promise<NetworkIpAvailability[]> {
    return caller.isAdmin ? this.#availabilities(filters) : [];
  }

  async show(caller: AuthContext, networkId: string): Promise<NetworkIpAvailability> {
    const [found] = await this.#availabilities({ network_id: [networkId] });
    if (!found) throw new NetworkNotFound(networkId);
    if (!caller.isAdmin) throw new ResourceNotFound();
    return found;
  }

  async #availabilities(filters: IpAvailabilityFilters): Promise<NetworkIpAvailability[]> {
    const wanted = (values: readonly string[] | undefined, value: string) =>
      values === undefined || values.includes(value);
    const networks = (await this.repo.listNetworks(undefined)).filter(
      (n) =>
        wanted(filters.network_id, n.id) &&
        wanted(filters.network_name, n.name) &&
        wanted(filters.project_id, n.project_id),
    );
    const subnets = await this.repo.subnetsOf(networks.map((n) => n.id));
    const used = await this.repo.allocationCounts();
    const out: NetworkIpAvailability[] = [];
    for (const network of networks) {
      const own = subnets.filter(
        (s) => s.network_id === network.id && wanted(filters.ip_version, String(s.ip_version)),
      );
      // an ip_version filter drops the networks without a subnet of that version
      if (filters.ip_version !== undefined && own.length === 0) continue;
      const subnetIps = own.map((s) => ({
        subnet_id: s.id,
        subnet_name: s.name,
        cidr: s.cidr,
        ip_version: s.ip_version,
        total_ips: totalOf(s),
        used_ips: used.get(s.id) ?? 0,
      }));
      out.push({
        network_id: network.id,
        network_name: network.name,
        project_id: network.project_id,
        tenant_id: network.project_id,
        total_ips: subnetIps.reduce((sum, s) => sum + s.total_ips, 0),
        used_ips: subnetIps.reduce((sum, s) => sum + s.used_ips, 0),
        subnet_ip_availability: subnetIps,
      });
    }
    return out;
  }
}
