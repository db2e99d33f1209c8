import { randomBytes, randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import { isUniqueViolation } from "../../store/identity-repository.js";
import type { AllocationRow, NeutronRepository } from "../../store/neutron-repository.js";
import type { Database, NetworkRow, PortRow, SubnetRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { Conflict, InvalidInput } from "../errors.js";
import {
  InvalidIpForNetwork,
  InvalidIpForSubnet,
  IpAddressAlreadyAllocated,
  IpAddressGenerationFailure,
  invalidInput,
  MacAddressInUse,
  NetworkNotFound,
  PolicyNotAuthorized,
  PortNotFound,
} from "./errors.js";
import { canonicalIp, contains, eui64, formatCidr, formatIp, parseCidr, parseIp } from "./ip.js";
import { firstFree, isAssignable } from "./ipam.js";
import { Networks } from "./networks.js";
import type { NetworkQuotas } from "./quotas.js";
import { SecurityGroups } from "./security-groups.js";
import { checkRevision, neutronTime, ownsOrAdmin, type StandardAttributes } from "./standard-attributes.js";
import { subnetRecord } from "./subnets.js";

/** Neutron's default [DEFAULT] max_allowed_address_pair. */
const MAX_ADDRESS_PAIRS = 10;

export interface FixedIp {
  subnet_id: string;
  ip_address: string;
}

/** One fixed_ips entry of a request: a subnet, an address, or both. */
export interface FixedIpRequest {
  subnet_id?: string;
  ip_address?: string;
}

export interface AddressPair {
  ip_address: string;
  mac_address: string;
}

export interface PortRecord extends StandardAttributes {
  network_id: string;
  name: string;
  mac_address: string;
  admin_state_up: boolean;
  /** ACTIVE once the server it is plugged into runs (nimbus has no agent to wait for). */
  status: "DOWN" | "ACTIVE";
  device_id: string;
  device_owner: string;
  fixed_ips: FixedIp[];
  port_security_enabled: boolean;
  allowed_address_pairs: AddressPair[];
  /** The ids of its security groups (port_security_groups). */
  security_groups: string[];
  /** binding:host_id, binding:vnic_type, binding:vif_type */
  binding_host_id: string;
  binding_vnic_type: string;
  binding_vif_type: string;
}

export type PortChanges = Partial<
  Pick<
    PortRecord,
    | "network_id"
    | "project_id"
    | "name"
    | "description"
    | "mac_address"
    | "admin_state_up"
    | "device_id"
    | "device_owner"
    | "port_security_enabled"
    | "binding_host_id"
    | "binding_vnic_type"
  > & {
    fixed_ips: FixedIpRequest[];
    allowed_address_pairs: Array<{ ip_address: string; mac_address?: string }>;
    security_groups: string[];
  }
>;

function newMac(): string {
  return `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
}

/**
 * The vif type a port reports: unbound until a host is set, then "ovs", the type of the
 * simulated switch every nimbus host plugs into (there is no mechanism driver to ask).
 */
function vifType(hostId: string): string {
  return hostId === "" ? "unbound" : "ovs";
}

function toRecord(row: PortRow, ips: AllocationRow[], tags: string[], groups: string[] = []): PortRecord {
  return {
    id: row.id,
    network_id: row.network_id,
    project_id: row.project_id,
    name: row.name,
    description: row.description,
    mac_address: row.mac_address,
    admin_state_up: row.admin_state_up === 1,
    status: row.status === "ACTIVE" ? "ACTIVE" : "DOWN",
    device_id: row.device_id,
    device_owner: row.device_owner,
    fixed_ips: ips.map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address })),
    port_security_enabled: row.port_security_enabled === 1,
    allowed_address_pairs: JSON.parse(row.allowed_address_pairs) as AddressPair[],
    security_groups: groups,
    binding_host_id: row.binding_host_id,
    binding_vnic_type: row.binding_vnic_type,
    binding_vif_type: row.binding_vif_type,
    tags,
    revision_number: row.revision_number,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function checkAddressPairs(
  pairs: ReadonlyArray<{ ip_address: string; mac_address?: string }>,
  portMac: string,
  portSecurity: boolean,
): AddressPair[] {
  if (pairs.length > 0 && !portSecurity)
    throw new Conflict("Port Security must be enabled in order to have allowed address pairs on a port.");
  if (pairs.length > MAX_ADDRESS_PAIRS)
    throw new InvalidInput(`The number of allowed address pair exceeds the maximum ${MAX_ADDRESS_PAIRS}.`);
  const out = pairs.map((pair) => {
    const address = pair.ip_address.includes("/")
      ? parseCidr(pair.ip_address) && formatCidr(parseCidr(pair.ip_address)!)
      : canonicalIp(pair.ip_address);
    if (!address)
      throw new InvalidInput(
        `Invalid input for allowed_address_pairs. Reason: '${pair.ip_address}' is not a valid IP address.`,
      );
    return { ip_address: address, mac_address: (pair.mac_address ?? portMac).toLowerCase() };
  });
  const keys = out.map((p) => `${p.ip_address} ${p.mac_address}`);
  if (new Set(keys).size !== keys.length)
    throw new InvalidInput(
      `Request contains duplicate address pair: ${keys.find((k, i) => keys.indexOf(k) !== i)}`,
    );
  return out;
}

/**
 * Ports and their addresses. IPAM runs inside the port's transaction with the row lock of
 * each subnet it allocates from, so two requests never pick one address; the database's
 * UNIQUE (subnet_id, ip_address) backs that up.
 */
export class Ports {
  constructor(
    readonly repo: NeutronRepository,
    readonly quotas: NetworkQuotas,
  ) {}

  /** The security-group extension's part of a port, when the service has it. */
  securityGroups: SecurityGroups | undefined;

  /** Checks other resources make before a port is deleted through the API (a router's ports go with it). */
  readonly deleteGuards: Array<(trx: Transaction<Database>, port: PortRow) => Promise<void>> = [];

  /** Whether the caller sees a port: an admin, its project, or the owner of its network. */
  static visibleTo(caller: AuthContext, port: PortRow, network: NetworkRow | undefined): boolean {
    return (
      ownsOrAdmin(caller, port.project_id) ||
      (network !== undefined && ownsOrAdmin(caller, network.project_id))
    );
  }

  async #records(rows: PortRow[]): Promise<PortRecord[]> {
    const ids = rows.map((r) => r.id);
    const ips = await this.repo.allocationsOfPorts(ids);
    const tags = await this.repo.tagsOf(ids);
    const groups = await this.securityGroups?.groupsOfPorts(ids);
    return rows.map((row) =>
      toRecord(
        row,
        ips.filter((a) => a.port_id === row.id),
        tags.get(row.id) ?? [],
        groups?.get(row.id),
      ),
    );
  }

  async visibleRow(caller: AuthContext, id: string, trx?: Transaction<Database>): Promise<PortRow> {
    const row = await this.repo.findPort(id, trx);
    if (!row || !Ports.visibleTo(caller, row, await this.repo.findNetwork(row.network_id, trx)))
      throw new PortNotFound(id);
    return row;
  }

  async list(caller: AuthContext): Promise<PortRecord[]> {
    return this.#records(await this.repo.listPorts(caller.isAdmin ? undefined : (caller.projectId ?? "")));
  }

  async show(caller: AuthContext, id: string): Promise<PortRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  /** Policies that depend on owning the network (Neutron's rule:network_owner). */
  #checkPolicy(
    caller: AuthContext,
    action: "create" | "update",
    network: NetworkRow,
    changes: PortChanges,
  ): void {
    if (caller.isAdmin) return;
    if (changes.binding_host_id !== undefined)
      throw new PolicyNotAuthorized(`${action}_port:binding:host_id`);
    if (caller.projectId === network.project_id) return;
    if (changes.mac_address !== undefined) throw new PolicyNotAuthorized(`${action}_port:mac_address`);
    if (changes.fixed_ips?.some((ip) => ip.ip_address !== undefined))
      throw new PolicyNotAuthorized(`${action}_port:fixed_ips:ip_address`);
  }

  /**
   * Gives the port its addresses. Without requests: one address of each IP version the
   * network has subnets of, from the first subnet with a free one. With requests: each
   * names a subnet, an address, or both.
   */
  async #allocate(
    trx: Transaction<Database>,
    network: NetworkRow,
    portId: string,
    mac: string,
    requests: readonly FixedIpRequest[] | undefined,
  ): Promise<void> {
    const subnets = await this.repo.subnetsOf([network.id], trx);
    const taken = new Map<string, Set<string>>();
    // locks the subnet for the rest of the transaction and reads what it has handed out
    const takenOf = async (subnet: SubnetRow): Promise<Set<string>> => {
      let set = taken.get(subnet.id);
      if (!set) {
        await this.repo.lockSubnet(trx, subnet.id);
        set = new Set((await this.repo.allocationsOfSubnet(subnet.id, trx)).map((a) => a.ip_address));
        if (subnet.gateway_ip) set.add(subnet.gateway_ip);
        taken.set(subnet.id, set);
      }
      return set;
    };
    const give = async (subnet: SubnetRow, ip: string): Promise<void> => {
      (await takenOf(subnet)).add(ip);
      try {
        await this.repo.insertAllocation({ port_id: portId, subnet_id: subnet.id, ip_address: ip }, trx);
      } catch (error) {
        if (isUniqueViolation(error)) throw new IpAddressAlreadyAllocated(ip, subnet.id);
        throw error;
      }
    };
    const giveFree = async (subnet: SubnetRow): Promise<boolean> => {
      const ip = firstFree(
        {
          id: subnet.id,
          cidr: subnet.cidr,
          gatewayIp: subnet.gateway_ip,
          allocationPools: subnetRecord(subnet, []).allocation_pools,
        },
        await takenOf(subnet),
      );
      if (ip === undefined) return false;
      await give(subnet, ip);
      return true;
    };

    // SLAAC and stateless DHCPv6 subnets: the port's address follows from its MAC
    const autoAddress = (s: SubnetRow) =>
      s.ipv6_address_mode === "slaac" || s.ipv6_address_mode === "dhcpv6-stateless";
    const giveAuto = async (subnet: SubnetRow): Promise<void> => {
      const ip = formatIp(eui64(parseCidr(subnet.cidr)!, mac));
      if ((await takenOf(subnet)).has(ip)) throw new IpAddressAlreadyAllocated(ip, subnet.id);
      await give(subnet, ip);
    };

    if (requests === undefined) {
      // every auto-address subnet gives the port an address, as Neutron's IPAM does
      for (const subnet of subnets.filter(autoAddress)) await giveAuto(subnet);
      for (const version of [4, 6]) {
        const candidates = subnets.filter((s) => s.ip_version === version && !autoAddress(s));
        if (candidates.length === 0) continue;
        let done = false;
        for (const subnet of candidates) if (!done) done = await giveFree(subnet);
        if (!done) throw new IpAddressGenerationFailure(network.id);
      }
      return;
    }
    for (const request of requests) {
      let subnet: SubnetRow | undefined;
      const ip = request.ip_address === undefined ? undefined : parseIp(request.ip_address);
      if (request.ip_address !== undefined && !ip)
        throw new InvalidInput(
          `Invalid input for fixed_ips. Reason: '${request.ip_address}' is not a valid IP address.`,
        );
      if (request.subnet_id !== undefined) {
        subnet = subnets.find((s) => s.id === request.subnet_id);
        if (!subnet)
          throw invalidInput(
            `Failed to create port on network ${network.id}, because fixed_ips included invalid subnet ${request.subnet_id}`,
          );
        if (ip && !isAssignable(subnet.cidr, ip)) throw new InvalidIpForSubnet(request.ip_address!);
      } else if (ip) {
        subnet = subnets.find((s) => {
          const cidr = parseCidr(s.cidr);
          return cidr !== undefined && contains(cidr, ip) && isAssignable(s.cidr, ip);
        });
        if (!subnet) throw new InvalidIpForNetwork(request.ip_address!);
      } else {
        throw invalidInput("fixed_ips entries need a subnet_id or an ip_address");
      }
      if (ip) {
        const text = canonicalIp(request.ip_address!)!;
        if ((await takenOf(subnet)).has(text)) throw new IpAddressAlreadyAllocated(text, subnet.id);
        await give(subnet, text);
      } else if (autoAddress(subnet)) {
        await giveAuto(subnet);
      } else if (!(await giveFree(subnet))) {
        throw new IpAddressGenerationFailure(network.id);
      }
    }
  }

  async create(caller: AuthContext, changes: PortChanges): Promise<PortRecord> {
    const id = await this.repo.transaction((trx) => this.createIn(trx, caller, changes));
    return this.show(caller, id);
  }

  /**
   * Creates a port inside the caller's transaction (a server create makes its ports so);
   * returns its id. The port counts against its project's port quota, except a port the
   * network service makes for itself (`internal`: a router's or a floating IP's), which
   * Neutron's plugin makes without the API's quota check.
   */
  async createIn(
    trx: Transaction<Database>,
    caller: AuthContext,
    changes: PortChanges,
    options: { internal?: boolean } = {},
  ): Promise<string> {
    const networkId = changes.network_id ?? "";
    const id = randomUUID();
    // the network's lock keeps a concurrent network delete from passing its in-use check
    const network = await this.repo.lockNetwork(trx, networkId);
    if (!network || !Networks.visibleTo(caller, network)) throw new NetworkNotFound(networkId);
    if (!ownsOrAdmin(caller, network.project_id) && network.shared !== 1)
      throw new PolicyNotAuthorized("create_port:network");
    this.#checkPolicy(caller, "create", network, changes);
    const mac = (changes.mac_address ?? newMac()).toLowerCase();
    const portSecurity = changes.port_security_enabled ?? true;
    const pairs = checkAddressPairs(changes.allowed_address_pairs ?? [], mac, portSecurity);
    const macTaken = (await this.repo.portsOn(networkId, trx)).some((p) => p.mac_address === mac);
    if (macTaken) throw new MacAddressInUse(networkId, mac);
    const projectId = caller.isAdmin && changes.project_id ? changes.project_id : (caller.projectId ?? "");
    if (!options.internal) await this.quotas.check(trx, projectId, "port");
    const now = neutronTime();
    const hostId = changes.binding_host_id ?? "";
    try {
      await this.repo.insertPort(
        {
          id,
          network_id: networkId,
          project_id: projectId,
          name: changes.name ?? "",
          description: changes.description ?? "",
          mac_address: mac,
          admin_state_up: changes.admin_state_up === false ? 0 : 1,
          status: "DOWN",
          device_id: changes.device_id ?? "",
          device_owner: changes.device_owner ?? "",
          port_security_enabled: portSecurity ? 1 : 0,
          allowed_address_pairs: JSON.stringify(pairs),
          binding_host_id: hostId,
          binding_vnic_type: changes.binding_vnic_type ?? "normal",
          binding_vif_type: vifType(hostId),
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new MacAddressInUse(networkId, mac);
      throw error;
    }
    await this.#allocate(trx, network, id, mac, changes.fixed_ips);
    await this.#bindGroups(trx, caller, id, changes.security_groups, "create");
    return id;
  }

  async update(
    caller: AuthContext,
    id: string,
    changes: PortChanges,
    expectedRevision?: number,
  ): Promise<PortRecord> {
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      const network = (await this.repo.findNetwork(row.network_id, trx))!;
      this.#checkPolicy(caller, "update", network, changes);
      checkRevision(expectedRevision, row.revision_number);
      const portSecurity = changes.port_security_enabled ?? row.port_security_enabled === 1;
      const pairs = checkAddressPairs(
        changes.allowed_address_pairs ?? (JSON.parse(row.allowed_address_pairs) as AddressPair[]),
        row.mac_address,
        portSecurity,
      );
      const hostId = changes.binding_host_id ?? row.binding_host_id;
      await this.repo.updatePort(
        id,
        {
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.admin_state_up !== undefined && { admin_state_up: changes.admin_state_up ? 1 : 0 }),
          ...(changes.device_id !== undefined && { device_id: changes.device_id }),
          ...(changes.device_owner !== undefined && { device_owner: changes.device_owner }),
          ...(changes.binding_vnic_type !== undefined && { binding_vnic_type: changes.binding_vnic_type }),
          port_security_enabled: portSecurity ? 1 : 0,
          allowed_address_pairs: JSON.stringify(pairs),
          binding_host_id: hostId,
          binding_vif_type: vifType(hostId),
          revision_number: row.revision_number + 1,
          updated_at: neutronTime(),
        },
        trx,
      );
      if (changes.fixed_ips !== undefined) {
        // the new list replaces the old: addresses kept are simply asked for again
        for (const old of await this.repo.allocationsOfPorts([id], trx))
          await this.repo.deleteAllocation(old, trx);
        await this.#allocate(trx, network, id, row.mac_address, changes.fixed_ips);
      }
      await this.#bindGroups(trx, caller, id, changes.security_groups, "update");
    });
    return this.show(caller, id);
  }

  /** Sets the port's security groups after a create or an update (security-group extension). */
  async #bindGroups(
    trx: Transaction<Database>,
    caller: AuthContext,
    id: string,
    requested: string[] | undefined,
    action: "create" | "update",
  ): Promise<void> {
    if (!this.securityGroups) return;
    const row = (await this.repo.findPort(id, trx))!;
    const port = SecurityGroups.portOf(row, (await this.repo.allocationsOfPorts([id], trx)).length > 0);
    if (action === "create") await this.securityGroups.bindNewPort(trx, caller, port, requested);
    else await this.securityGroups.updatePort(trx, caller, port, requested);
  }

  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      if (!ownsOrAdmin(caller, row.project_id) && !caller.isAdmin) {
        const network = await this.repo.findNetwork(row.network_id, trx);
        if (!network || !ownsOrAdmin(caller, network.project_id))
          throw new PolicyNotAuthorized("delete_port");
      }
      checkRevision(expectedRevision, row.revision_number);
      for (const guard of this.deleteGuards) await guard(trx, row);
      await this.deleteIn(trx, id);
    });
  }

  /** Deletes a port and what hangs off it, inside the caller's transaction (no policy: the caller checked). */
  async deleteIn(trx: Transaction<Database>, id: string): Promise<void> {
    await this.repo.replaceTags(id, [], trx);
    await this.repo.deletePort(id, trx);
  }

  /**
   * Plugs a port into a device or unplugs it (all empty), as Nova updates the ports of a
   * server: device_id, device_owner and the binding. A bound port of a running server is
   * ACTIVE; nimbus has no agent whose report it must wait for.
   */
  async setDevice(
    trx: Transaction<Database>,
    id: string,
    device: { deviceId: string; deviceOwner: string; hostId: string; active: boolean },
  ): Promise<void> {
    const row = await this.repo.findPort(id, trx);
    if (!row) throw new PortNotFound(id);
    await this.repo.updatePort(
      id,
      {
        device_id: device.deviceId,
        device_owner: device.deviceOwner,
        binding_host_id: device.hostId,
        binding_vif_type: vifType(device.hostId),
        status: device.active ? "ACTIVE" : "DOWN",
        revision_number: row.revision_number + 1,
        updated_at: neutronTime(),
      },
      trx,
    );
  }
}
