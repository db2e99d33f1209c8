import { randomUUID } from "node:crypto";
import type { Executor, NeutronRepository } from "../../store/neutron-repository.js";
import type { SubnetRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { InvalidInput } from "../errors.js";
import { invalidInput, NetworkNotFound, PolicyNotAuthorized, SubnetInUse, SubnetNotFound } from "./errors.js";
import {
  type Cidr,
  contains,
  formatCidr,
  formatIp,
  type Ip,
  overlaps,
  parseCidr,
  parseIp,
  usableRange,
} from "./ip.js";
import { type AllocationPool, defaultPools, validatePools } from "./ipam.js";
import { Networks } from "./networks.js";
import type { NetworkQuotas } from "./quotas.js";
import { checkRevision, neutronTime, ownsOrAdmin, type StandardAttributes } from "./standard-attributes.js";

/** Neutron's defaults for [DEFAULT] max_dns_nameservers and max_subnet_host_routes. */
const MAX_DNS_NAMESERVERS = 5;
const MAX_HOST_ROUTES = 20;
const IPV6_MODES = ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"] as const;
export type Ipv6Mode = (typeof IPV6_MODES)[number];

export interface HostRoute {
  destination: string;
  nexthop: string;
}

export interface SubnetRecord extends StandardAttributes {
  network_id: string;
  name: string;
  ip_version: 4 | 6;
  cidr: string;
  gateway_ip: string | null;
  enable_dhcp: boolean;
  ipv6_ra_mode: Ipv6Mode | null;
  ipv6_address_mode: Ipv6Mode | null;
  allocation_pools: AllocationPool[];
  dns_nameservers: string[];
  host_routes: HostRoute[];
}

export type SubnetChanges = Partial<
  Pick<
    SubnetRecord,
    | "network_id"
    | "project_id"
    | "name"
    | "description"
    | "ip_version"
    | "cidr"
    | "gateway_ip"
    | "enable_dhcp"
    | "ipv6_ra_mode"
    | "ipv6_address_mode"
    | "allocation_pools"
    | "dns_nameservers"
    | "host_routes"
  >
>;

export function subnetRecord(row: SubnetRow, tags: string[]): SubnetRecord {
  return {
    id: row.id,
    network_id: row.network_id,
    project_id: row.project_id,
    name: row.name,
    description: row.description,
    ip_version: row.ip_version === 6 ? 6 : 4,
    cidr: row.cidr,
    gateway_ip: row.gateway_ip,
    enable_dhcp: row.enable_dhcp === 1,
    ipv6_ra_mode: row.ipv6_ra_mode as Ipv6Mode | null,
    ipv6_address_mode: row.ipv6_address_mode as Ipv6Mode | null,
    allocation_pools: JSON.parse(row.allocation_pools) as AllocationPool[],
    dns_nameservers: JSON.parse(row.dns_nameservers) as string[],
    host_routes: JSON.parse(row.host_routes) as HostRoute[],
    tags,
    revision_number: row.revision_number,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function parseIpOf(version: 4 | 6, text: string, attribute: string): Ip {
  const ip = parseIp(text);
  if (!ip || ip.version !== version)
    throw new InvalidInput(
      `Invalid input for ${attribute}. Reason: '${text}' is not a valid IPv${version} address.`,
    );
  return ip;
}

function checkDns(version: 4 | 6, servers: readonly string[]): string[] {
  if (servers.length > MAX_DNS_NAMESERVERS)
    throw new InvalidInput(
      `Unable to complete operation for subnet. The number of DNS nameservers exceeds the limit ${MAX_DNS_NAMESERVERS}.`,
    );
  const out = servers.map((s) => formatIp(parseIpOf(version, s, "dns_nameservers")));
  if (new Set(out).size !== out.length)
    throw new InvalidInput(
      `Invalid input for dns_nameservers. Reason: Duplicate nameserver in ${servers.join(", ")}.`,
    );
  return out;
}

function checkRoutes(version: 4 | 6, routes: readonly HostRoute[]): HostRoute[] {
  if (routes.length > MAX_HOST_ROUTES)
    throw new InvalidInput(
      `Unable to complete operation for subnet. The number of host routes exceeds the limit ${MAX_HOST_ROUTES}.`,
    );
  return routes.map((route) => {
    const destination = parseCidr(route.destination);
    if (!destination || destination.version !== version)
      throw new InvalidInput(
        `Invalid input for host_routes. Reason: '${route.destination}' is not a valid IPv${version} subnet.`,
      );
    return {
      destination: formatCidr(destination),
      nexthop: formatIp(parseIpOf(version, route.nexthop, "host_routes")),
    };
  });
}

/** A gateway must be a usable address of the cidr (Neutron's force_gateway_on_subnet). */
function checkGateway(cidr: Cidr, gateway: Ip): void {
  const range = usableRange(cidr);
  if (!contains(cidr, gateway) || !range || gateway.value < range.first || gateway.value > range.last)
    throw invalidInput(`Gateway is not valid on subnet`);
}

function checkIpv6Modes(
  version: 4 | 6,
  ra: Ipv6Mode | null | undefined,
  address: Ipv6Mode | null | undefined,
): void {
  for (const [name, mode] of [
    ["ipv6_ra_mode", ra],
    ["ipv6_address_mode", address],
  ] as const) {
    if (mode && version !== 6)
      throw invalidInput(
        `${name} set to '${mode}' with ip_version set to '4' is not valid. Modes are only valid for IPv6`,
      );
  }
  if (ra && address && ra !== address)
    throw invalidInput(
      `ipv6_ra_mode set to '${ra}' with ipv6_address_mode set to '${address}' is not valid. If both attributes are set, they must be the same value`,
    );
}

/** Subnets: their validation (cidr, gateway, pools, routes, modes), visibility and lifetime. */
export class Subnets {
  constructor(
    readonly repo: NeutronRepository,
    readonly quotas: NetworkQuotas,
  ) {}

  /** Whether the caller sees a subnet: an admin, its project, or its network is shared. */
  async #visible(caller: AuthContext, row: SubnetRow, ex?: Executor): Promise<boolean> {
    if (ownsOrAdmin(caller, row.project_id)) return true;
    const network = await this.repo.findNetwork(row.network_id, ex);
    return network?.shared === 1;
  }

  async #records(rows: SubnetRow[]): Promise<SubnetRecord[]> {
    const tags = await this.repo.tagsOf(rows.map((r) => r.id));
    return rows.map((row) => subnetRecord(row, tags.get(row.id) ?? []));
  }

  /** The subnet row if the caller sees it, else SubnetNotFound. Pass the transaction when in one. */
  async visibleRow(caller: AuthContext, id: string, ex?: Executor): Promise<SubnetRow> {
    const row = await this.repo.findSubnet(id, ex);
    if (!row || !(await this.#visible(caller, row, ex))) throw new SubnetNotFound(id);
    return row;
  }

  async list(caller: AuthContext): Promise<SubnetRecord[]> {
    return this.#records(await this.repo.listSubnets(caller.isAdmin ? undefined : (caller.projectId ?? "")));
  }

  async show(caller: AuthContext, id: string): Promise<SubnetRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  /**
   * Creates a subnet on a network the caller owns (or any, for an admin): the gateway
   * defaults to the first host, the pools to the rest of the usable range, and the cidr
   * must not overlap another subnet of the network.
   */
  async create(caller: AuthContext, changes: SubnetChanges): Promise<SubnetRecord> {
    const networkId = changes.network_id ?? "";
    const version = changes.ip_version ?? 4;
    const cidr = parseCidr(changes.cidr ?? "");
    if (!cidr)
      throw new InvalidInput(`Invalid input for cidr. Reason: '${changes.cidr}' is not a valid IP subnet.`);
    if (cidr.version !== version)
      throw invalidInput(`Cidr ${changes.cidr} does not match ip_version ${version}`);
    let gateway: Ip | undefined;
    if (changes.gateway_ip === undefined) {
      const range = usableRange(cidr);
      gateway = range ? { version, value: range.first } : undefined;
    } else if (changes.gateway_ip !== null) {
      gateway = parseIpOf(version, changes.gateway_ip, "gateway_ip");
      checkGateway(cidr, gateway);
    }
    const pools =
      changes.allocation_pools === undefined
        ? defaultPools(cidr, gateway)
        : validatePools(cidr, changes.allocation_pools, gateway);
    const dns = checkDns(version, changes.dns_nameservers ?? []);
    const routes = checkRoutes(version, changes.host_routes ?? []);
    checkIpv6Modes(version, changes.ipv6_ra_mode, changes.ipv6_address_mode);

    const id = randomUUID();
    await this.repo.transaction(async (trx) => {
      // the network's lock makes two concurrent creates see each other's cidr
      const network = await this.repo.lockNetwork(trx, networkId);
      if (!network || !Networks.visibleTo(caller, network)) throw new NetworkNotFound(networkId);
      if (!ownsOrAdmin(caller, network.project_id)) throw new PolicyNotAuthorized("create_subnet");
      for (const other of await this.repo.subnetsOf([networkId], trx)) {
        const theirs = parseCidr(other.cidr);
        if (theirs && overlaps(theirs, cidr))
          throw invalidInput(
            `Requested subnet with cidr: ${formatCidr(cidr)} for network: ${networkId} overlaps with another subnet`,
          );
      }
      // a subnet belongs to its network's project unless an admin says otherwise
      const projectId = caller.isAdmin && changes.project_id ? changes.project_id : network.project_id;
      await this.quotas.check(trx, projectId, "subnet");
      const now = neutronTime();
      await this.repo.insertSubnet(
        {
          id,
          network_id: networkId,
          project_id: projectId,
          name: changes.name ?? "",
          description: changes.description ?? "",
          ip_version: version,
          cidr: formatCidr(cidr),
          gateway_ip: gateway ? formatIp(gateway) : null,
          enable_dhcp: changes.enable_dhcp === false ? 0 : 1,
          ipv6_ra_mode: changes.ipv6_ra_mode ?? null,
          ipv6_address_mode: changes.ipv6_address_mode ?? null,
          allocation_pools: JSON.stringify(pools),
          dns_nameservers: JSON.stringify(dns),
          host_routes: JSON.stringify(routes),
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  async update(
    caller: AuthContext,
    id: string,
    changes: SubnetChanges,
    expectedRevision?: number,
  ): Promise<SubnetRecord> {
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      if (!ownsOrAdmin(caller, row.project_id)) throw new PolicyNotAuthorized("update_subnet");
      await this.repo.lockSubnet(trx, id);
      const current = subnetRecord((await this.repo.findSubnet(id, trx))!, []);
      checkRevision(expectedRevision, current.revision_number);
      const cidr = parseCidr(current.cidr)!;
      const version = current.ip_version;
      const gatewayText = changes.gateway_ip === undefined ? current.gateway_ip : changes.gateway_ip;
      const gateway = gatewayText === null ? undefined : parseIpOf(version, gatewayText, "gateway_ip");
      if (gateway) checkGateway(cidr, gateway);
      const pools = validatePools(cidr, changes.allocation_pools ?? current.allocation_pools, gateway);
      await this.repo.updateSubnet(
        id,
        {
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.enable_dhcp !== undefined && { enable_dhcp: changes.enable_dhcp ? 1 : 0 }),
          ...(changes.dns_nameservers !== undefined && {
            dns_nameservers: JSON.stringify(checkDns(version, changes.dns_nameservers)),
          }),
          ...(changes.host_routes !== undefined && {
            host_routes: JSON.stringify(checkRoutes(version, changes.host_routes)),
          }),
          gateway_ip: gateway ? formatIp(gateway) : null,
          allocation_pools: JSON.stringify(pools),
          revision_number: current.revision_number + 1,
          updated_at: neutronTime(),
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  /** Deletes a subnet no port holds an address of (SubnetInUse otherwise). */
  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      if (!ownsOrAdmin(caller, row.project_id)) throw new PolicyNotAuthorized("delete_subnet");
      await this.repo.lockSubnet(trx, id);
      checkRevision(expectedRevision, row.revision_number);
      if ((await this.repo.allocationsOfSubnet(id, trx)).length > 0) throw new SubnetInUse(id);
      await this.repo.replaceTags(id, [], trx);
      await this.repo.deleteSubnet(id, trx);
    });
  }
}
