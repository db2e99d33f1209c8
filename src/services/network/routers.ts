import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import { isUniqueViolation } from "../../store/identity-repository.js";
import type { L3Repository, RouterPortRow } from "../../store/l3-repository.js";
import type { Executor, NeutronRepository } from "../../store/neutron-repository.js";
import type { Database, PortRow, RouterRow, SubnetRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import {
  IpAddressAlreadyAllocated,
  NetworkNotFound,
  PolicyNotAuthorized,
  PortNotFound,
  SubnetNotFound,
} from "./errors.js";
import { contains, formatCidr, formatIp, overlaps, parseCidr, parseIp } from "./ip.js";
import {
  BadRequest,
  InvalidRoutes,
  PortInUse,
  RouterExternalGatewayInUseByFloatingIp,
  RouterInterfaceInUseByFloatingIP,
  RouterInterfaceInUseByRoute,
  RouterInterfaceNotFound,
  RouterInterfaceNotFoundForSubnet,
  RouterInUse,
  RouterNotFound,
  ServicePortInUse,
  SubnetMismatchForPort,
} from "./l3-errors.js";
import { Networks } from "./networks.js";
import type { FixedIp, FixedIpRequest, Ports } from "./ports.js";
import type { NetworkQuotas } from "./quotas.js";
import {
  checkRevision,
  neutronTime,
  ownerOf,
  ownsOrAdmin,
  type StandardAttributes,
} from "./standard-attributes.js";
import type { Subnets } from "./subnets.js";

export const ROUTER_GATEWAY = "network:router_gateway";
export const ROUTER_INTERFACE = "network:router_interface";

/** Neutron's default [DEFAULT] max_routes (extraroute). */
const MAX_ROUTES = 30;

export interface Route {
  destination: string;
  nexthop: string;
}

export interface GatewayInfo {
  network_id: string;
  enable_snat: boolean;
  external_fixed_ips: FixedIp[];
}

export interface RouterRecord extends StandardAttributes {
  name: string;
  admin_state_up: boolean;
  status: "ACTIVE";
  external_gateway_info: GatewayInfo | null;
  routes: Route[];
}

/** external_gateway_info in a request: null or {} clear it. */
export interface GatewayRequest {
  network_id?: string;
  enable_snat?: boolean;
  external_fixed_ips?: FixedIpRequest[];
}

export type RouterChanges = Partial<
  Pick<RouterRecord, "name" | "description" | "admin_state_up" | "project_id" | "routes"> & {
    external_gateway_info: GatewayRequest | null;
  }
>;

/** The body of add_router_interface and remove_router_interface. */
export interface InterfaceRequest {
  subnet_id?: unknown;
  port_id?: unknown;
}

export interface InterfaceInfo {
  id: string;
  tenant_id: string;
  project_id: string;
  port_id: string;
  subnet_id: string;
  subnet_ids: string[];
  network_id: string;
}

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The context the L3 code makes its ports in: Neutron's elevated context, which may put a
 * port on any network, for any project (gateway and floating IP ports belong to none).
 */
export function elevated(caller: AuthContext): AuthContext {
  return { ...caller, projectId: "", isAdmin: true };
}

/** A python-style rendering of a list of routes, as Neutron's InvalidRoutes prints it. */
function pythonRoutes(routes: readonly Route[]): string {
  return `[${routes.map((r) => `{'destination': '${r.destination}', 'nexthop': '${r.nexthop}'}`).join(", ")}]`;
}

/**
 * Routers (Neutron's router, ext-gw-mode and extraroute extensions): a gateway port on an
 * external network, interface ports on internal subnets, static routes. Changes of one
 * router run under its row lock; the ports are made through Ports, with its IPAM.
 */
export class Routers {
  constructor(
    readonly repo: NeutronRepository,
    readonly l3: L3Repository,
    readonly ports: Ports,
    readonly subnets: Subnets,
    readonly quotas: NetworkQuotas,
  ) {
    ports.deleteGuards.push((trx, port) => this.#guardPortDelete(trx, port));
  }

  /** Neutron's prevent_l3_port_deletion: a router's ports go with the router, not through the port API. */
  async #guardPortDelete(trx: Transaction<Database>, port: PortRow): Promise<void> {
    if (port.device_owner !== ROUTER_GATEWAY && port.device_owner !== ROUTER_INTERFACE) return;
    if (await this.l3.findRouter(port.device_id, trx))
      throw new ServicePortInUse(port.id, `has device owner ${port.device_owner}`);
  }

  async visibleRow(caller: AuthContext, id: string, ex?: Executor): Promise<RouterRow> {
    const row = await this.l3.findRouter(id, ex);
    if (!row || !ownsOrAdmin(caller, row.project_id)) throw new RouterNotFound(id);
    return row;
  }

  async #records(rows: RouterRow[], ex?: Executor): Promise<RouterRecord[]> {
    const gwIds = rows.flatMap((r) => (r.gw_port_id ? [r.gw_port_id] : []));
    const gwIps = await this.repo.allocationsOfPorts(gwIds, ex);
    const gwPorts = new Map<string, PortRow>();
    for (const id of gwIds) {
      const port = await this.repo.findPort(id, ex);
      if (port) gwPorts.set(id, port);
    }
    const tags = await this.repo.tagsOf(
      rows.map((r) => r.id),
      ex,
    );
    return rows.map((row) => {
      const gw = row.gw_port_id ? gwPorts.get(row.gw_port_id) : undefined;
      return {
        id: row.id,
        project_id: row.project_id,
        name: row.name,
        description: row.description,
        admin_state_up: row.admin_state_up === 1,
        status: "ACTIVE",
        external_gateway_info: gw
          ? {
              network_id: gw.network_id,
              enable_snat: row.enable_snat === 1,
              external_fixed_ips: gwIps
                .filter((a) => a.port_id === gw.id)
                .map((a) => ({ subnet_id: a.subnet_id, ip_address: a.ip_address })),
            }
          : null,
        routes: JSON.parse(row.routes) as Route[],
        tags: tags.get(row.id) ?? [],
        revision_number: row.revision_number,
        created_at: row.created_at,
        updated_at: row.updated_at,
      };
    });
  }

  async list(caller: AuthContext): Promise<RouterRecord[]> {
    return this.#records(await this.l3.listRouters(caller.isAdmin ? undefined : (caller.projectId ?? "")));
  }

  async show(caller: AuthContext, id: string): Promise<RouterRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  #checkPolicy(caller: AuthContext, action: "create" | "update", changes: RouterChanges): void {
    const gw = changes.external_gateway_info;
    if (caller.isAdmin || !gw) return;
    // Neutron's defaults: a member sets the network, only an admin the addresses or SNAT
    if (gw.external_fixed_ips !== undefined)
      throw new PolicyNotAuthorized(`${action}_router:external_gateway_info:external_fixed_ips`);
    if (gw.enable_snat !== undefined)
      throw new PolicyNotAuthorized(`${action}_router:external_gateway_info:enable_snat`);
  }

  async create(caller: AuthContext, changes: RouterChanges): Promise<RouterRecord> {
    this.#checkPolicy(caller, "create", changes);
    const id = randomUUID();
    const now = neutronTime();
    const projectId = ownerOf(caller, changes.project_id);
    await this.repo.transaction(async (trx) => {
      await this.quotas.check(trx, projectId, "router");
      await this.l3.insertRouter(
        {
          id,
          project_id: projectId,
          name: changes.name ?? "",
          description: changes.description ?? "",
          admin_state_up: changes.admin_state_up === false ? 0 : 1,
          status: "ACTIVE",
          gw_port_id: null,
          enable_snat: 1,
          routes: "[]",
          revision_number: 1,
          created_at: now,
          updated_at: now,
        },
        trx,
      );
      const row = (await this.l3.findRouter(id, trx))!;
      if (changes.external_gateway_info !== undefined)
        await this.#setGateway(trx, caller, row, changes.external_gateway_info);
    });
    return this.show(caller, id);
  }

  async update(
    caller: AuthContext,
    id: string,
    changes: RouterChanges,
    expectedRevision?: number,
  ): Promise<RouterRecord> {
    this.#checkPolicy(caller, "update", changes);
    await this.repo.transaction(async (trx) => {
      const row = await this.#lockedRow(trx, caller, id);
      checkRevision(expectedRevision, row.revision_number);
      if (changes.external_gateway_info !== undefined)
        await this.#setGateway(trx, caller, row, changes.external_gateway_info);
      const routes =
        changes.routes === undefined ? undefined : await this.#checkRoutes(trx, id, changes.routes);
      await this.l3.updateRouter(
        id,
        {
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.description !== undefined && { description: changes.description }),
          ...(changes.admin_state_up !== undefined && { admin_state_up: changes.admin_state_up ? 1 : 0 }),
          ...(routes !== undefined && { routes: JSON.stringify(routes) }),
          revision_number: row.revision_number + 1,
          updated_at: neutronTime(),
        },
        trx,
      );
    });
    return this.show(caller, id);
  }

  /** Deletes a router without interfaces (RouterInUse otherwise), and its gateway port. */
  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.#lockedRow(trx, caller, id);
      checkRevision(expectedRevision, row.revision_number);
      if ((await this.l3.routerPortsOf([id], trx)).length > 0) throw new RouterInUse(id);
      await this.#setGateway(trx, caller, row, null);
      await this.repo.replaceTags(id, [], trx);
      await this.l3.deleteRouter(id, trx);
    });
  }

  async #lockedRow(trx: Transaction<Database>, caller: AuthContext, id: string): Promise<RouterRow> {
    const row = await this.l3.lockRouter(trx, id);
    if (!row || !ownsOrAdmin(caller, row.project_id)) throw new RouterNotFound(id);
    return row;
  }

  async #deletePort(trx: Transaction<Database>, portId: string): Promise<void> {
    await this.l3.deleteRouterPort(portId, trx);
    await this.repo.replaceTags(portId, [], trx);
    await this.repo.deletePort(portId, trx);
  }

  /**
   * Sets, changes or clears (null, or no network_id) a router's gateway, as Neutron's
   * _update_router_gw_info: a new network or new addresses replace the gateway port; a
   * gateway floating IPs reach the router through stays (RouterExternalGatewayInUseByFloatingIp).
   */
  async #setGateway(
    trx: Transaction<Database>,
    caller: AuthContext,
    router: RouterRow,
    info: GatewayRequest | null,
  ): Promise<void> {
    const current = router.gw_port_id ? await this.repo.findPort(router.gw_port_id, trx) : undefined;
    const networkId = info?.network_id;
    let network: Awaited<ReturnType<NeutronRepository["findNetwork"]>>;
    if (networkId !== undefined) {
      network = await this.repo.findNetwork(networkId, trx);
      if (!network || !Networks.visibleTo(caller, network)) throw new NetworkNotFound(networkId);
      if (network.external !== 1)
        throw new BadRequest("router", `Network ${networkId} is not an external network`);
    }
    const snat = info?.enable_snat === undefined ? router.enable_snat : info.enable_snat ? 1 : 0;
    const keep = current !== undefined && current.network_id === networkId && !info?.external_fixed_ips;
    if (current && !keep) {
      if (current.network_id !== networkId) {
        const users = await this.l3.floatingIpsOfRouter(router.id, trx);
        if (users.some((f) => f.floating_network_id === current.network_id))
          throw new RouterExternalGatewayInUseByFloatingIp(router.id, current.network_id);
      }
      await this.l3.updateRouter(router.id, { gw_port_id: null }, trx);
      await this.#deletePort(trx, current.id);
    }
    let gwPortId = keep ? current.id : null;
    if (networkId !== undefined && !keep) {
      gwPortId = await this.ports.createIn(
        trx,
        elevated(caller),
        {
          network_id: networkId,
          name: "",
          admin_state_up: true,
          device_id: router.id,
          device_owner: ROUTER_GATEWAY,
          ...(info?.external_fixed_ips !== undefined && { fixed_ips: info.external_fixed_ips }),
        },
        { internal: true },
      );
    }
    await this.l3.updateRouter(router.id, { gw_port_id: gwPortId, enable_snat: snat }, trx);
  }

  /** The subnets a router reaches: those of its interfaces and of its gateway. */
  async #connectedSubnets(trx: Transaction<Database>, routerId: string): Promise<SubnetRow[]> {
    const router = (await this.l3.findRouter(routerId, trx))!;
    const portIds = (await this.l3.routerPortsOf([routerId], trx)).map((p) => p.port_id);
    if (router.gw_port_id) portIds.push(router.gw_port_id);
    const out: SubnetRow[] = [];
    for (const a of await this.repo.allocationsOfPorts(portIds, trx)) {
      const subnet = await this.repo.findSubnet(a.subnet_id, trx);
      if (subnet && !out.some((s) => s.id === subnet.id)) out.push(subnet);
    }
    return out;
  }

  /** extraroute: each nexthop on a subnet the router is connected to, and not one of its own addresses. */
  async #checkRoutes(
    trx: Transaction<Database>,
    routerId: string,
    routes: readonly Route[],
  ): Promise<Route[]> {
    if (routes.length > MAX_ROUTES)
      throw new InvalidRoutes(pythonRoutes(routes), `number of routes exceeds the maximum ${MAX_ROUTES}`);
    const subnets = await this.#connectedSubnets(trx, routerId);
    const router = (await this.l3.findRouter(routerId, trx))!;
    const portIds = (await this.l3.routerPortsOf([routerId], trx)).map((p) => p.port_id);
    if (router.gw_port_id) portIds.push(router.gw_port_id);
    const own = new Set((await this.repo.allocationsOfPorts(portIds, trx)).map((a) => a.ip_address));
    const out: Route[] = [];
    for (const route of routes) {
      const destination = parseCidr(route.destination);
      const nexthop = parseIp(route.nexthop);
      if (!destination || !nexthop || destination.version !== nexthop.version)
        throw new InvalidRoutes(pythonRoutes(routes), "the route is not valid");
      const connected = subnets.some((s) => {
        const cidr = parseCidr(s.cidr);
        return cidr !== undefined && contains(cidr, nexthop);
      });
      if (!connected)
        throw new InvalidRoutes(pythonRoutes(routes), "the nexthop is not connected with router");
      if (own.has(formatIp(nexthop)))
        throw new InvalidRoutes(pythonRoutes(routes), "the nexthop is used by router");
      const normal = { destination: formatCidr(destination), nexthop: formatIp(nexthop) };
      if (!out.some((r) => r.destination === normal.destination && r.nexthop === normal.nexthop))
        out.push(normal);
    }
    return out;
  }

  #interfaceRequest(request: InterfaceRequest, removal: boolean): { subnetId?: string; portId?: string } {
    const has = (key: "subnet_id" | "port_id") => request[key] !== undefined;
    if (!has("subnet_id") && !has("port_id"))
      throw new BadRequest("router", "Either subnet_id or port_id must be specified");
    for (const key of ["port_id", "subnet_id"] as const) {
      const value = request[key];
      if (value !== undefined && (typeof value !== "string" || !UUID.test(value)))
        throw new BadRequest("router", `'${String(value)}' is not a valid UUID`);
    }
    if (!removal && has("subnet_id") && has("port_id"))
      throw new BadRequest("router", "Cannot specify both subnet-id and port-id");
    return {
      subnetId: request.subnet_id as string | undefined,
      portId: request.port_id as string | undefined,
    };
  }

  /** Refuses a subnet a router is already on, or one overlapping a subnet it is on. */
  async #checkDuplicateSubnets(
    trx: Transaction<Database>,
    routerId: string,
    added: SubnetRow[],
  ): Promise<void> {
    const interfaces = (await this.l3.routerPortsOf([routerId], trx)).map((p) => p.port_id);
    const existing: SubnetRow[] = [];
    for (const a of await this.repo.allocationsOfPorts(interfaces, trx)) {
      const subnet = await this.repo.findSubnet(a.subnet_id, trx);
      if (subnet) existing.push(subnet);
    }
    for (const subnet of added) {
      for (const other of existing) {
        if (other.id === subnet.id)
          throw new BadRequest("router", `Router already has a port on subnet ${subnet.id}`);
        const a = parseCidr(subnet.cidr);
        const b = parseCidr(other.cidr);
        if (a && b && overlaps(a, b))
          throw new BadRequest(
            "router",
            `Cidr ${subnet.cidr} of subnet ${subnet.id} overlaps with cidr ${other.cidr} of subnet ${other.id}`,
          );
      }
    }
  }

  async #info(trx: Transaction<Database>, router: RouterRow, port: PortRow): Promise<InterfaceInfo> {
    const subnetIds = (await this.repo.allocationsOfPorts([port.id], trx)).map((a) => a.subnet_id);
    return this.#infoOf(router, port, [...new Set(subnetIds)]);
  }

  #infoOf(router: RouterRow, port: PortRow, subnetIds: string[]): InterfaceInfo {
    return {
      id: router.id,
      tenant_id: router.project_id,
      project_id: router.project_id,
      port_id: port.id,
      subnet_id: subnetIds[0] ?? "",
      subnet_ids: subnetIds,
      network_id: port.network_id,
    };
  }

  /**
   * add_router_interface: by subnet, a new port holding the subnet's gateway address; by
   * port, an unattached port of the caller's with one IPv4 subnet.
   */
  async addInterface(caller: AuthContext, id: string, request: InterfaceRequest): Promise<InterfaceInfo> {
    const { subnetId, portId } = this.#interfaceRequest(request, false);
    return this.repo.transaction(async (trx) => {
      const router = await this.#lockedRow(trx, caller, id);
      let port: PortRow;
      if (subnetId !== undefined) {
        const subnet = await this.subnets.visibleRow(caller, subnetId, trx);
        if (!subnet.gateway_ip)
          throw new BadRequest("router", "Subnet for router interface must have a gateway IP");
        if (!ownsOrAdmin(caller, subnet.project_id))
          throw new BadRequest(
            "router",
            `Cannot add interface to router because subnet ${subnetId} is not owned by project making the request`,
          );
        await this.#checkDuplicateSubnets(trx, id, [subnet]);
        // counted against the router's project, but made without the API's quota check
        const newPortId = await this.ports.createIn(
          trx,
          elevated(caller),
          {
            network_id: subnet.network_id,
            project_id: router.project_id,
            name: "",
            admin_state_up: true,
            device_id: router.id,
            device_owner: ROUTER_INTERFACE,
            fixed_ips: [],
          },
          { internal: true },
        );
        // the gateway address is outside the pools IPAM hands out; it is the router's to hold
        await this.repo.lockSubnet(trx, subnet.id);
        const holders = await this.repo.allocationsOfSubnet(subnet.id, trx);
        if (holders.some((a) => a.ip_address === subnet.gateway_ip))
          throw new IpAddressAlreadyAllocated(subnet.gateway_ip, subnet.id);
        try {
          await this.repo.insertAllocation(
            { port_id: newPortId, subnet_id: subnet.id, ip_address: subnet.gateway_ip },
            trx,
          );
        } catch (error) {
          if (isUniqueViolation(error)) throw new IpAddressAlreadyAllocated(subnet.gateway_ip, subnet.id);
          throw error;
        }
        port = (await this.repo.findPort(newPortId, trx))!;
      } else {
        port = await this.ports.visibleRow(caller, portId!, trx);
        if (port.device_id !== "") throw new PortInUse(port.id, port.network_id, port.device_id);
        const ips = await this.repo.allocationsOfPorts([port.id], trx);
        if (ips.length === 0) throw new BadRequest("router", "Router port must have at least one fixed IP");
        const subnets: SubnetRow[] = [];
        for (const a of ips) {
          const subnet = await this.repo.findSubnet(a.subnet_id, trx);
          if (!subnet) throw new SubnetNotFound(a.subnet_id);
          if (!subnets.some((s) => s.id === subnet.id)) subnets.push(subnet);
        }
        await this.#checkDuplicateSubnets(trx, id, subnets);
        if (subnets.filter((s) => s.ip_version === 4).length > 1)
          throw new BadRequest("router", "Cannot have multiple IPv4 subnets on router port");
        await this.repo.updatePort(
          port.id,
          {
            device_id: router.id,
            device_owner: ROUTER_INTERFACE,
            revision_number: port.revision_number + 1,
            updated_at: neutronTime(),
          },
          trx,
        );
      }
      await this.l3.insertRouterPort({ port_id: port.id, router_id: id, port_type: ROUTER_INTERFACE }, trx);
      await this.l3.updateRouter(
        id,
        { revision_number: router.revision_number + 1, updated_at: neutronTime() },
        trx,
      );
      return this.#info(trx, router, port);
    });
  }

  /** Refuses to take a subnet from a router while a floating IP reaches a fixed IP of it through the router. */
  async #checkNotInUse(trx: Transaction<Database>, router: RouterRow, subnet: SubnetRow): Promise<void> {
    const cidr = parseCidr(subnet.cidr);
    for (const route of JSON.parse(router.routes) as Route[]) {
      const nexthop = parseIp(route.nexthop);
      if (cidr && nexthop && contains(cidr, nexthop))
        throw new RouterInterfaceInUseByRoute(router.id, subnet.id);
    }
    for (const fip of await this.l3.floatingIpsOfRouter(router.id, trx)) {
      const ip = fip.fixed_ip_address ? parseIp(fip.fixed_ip_address) : undefined;
      if (cidr && ip && contains(cidr, ip)) throw new RouterInterfaceInUseByFloatingIP(router.id, subnet.id);
    }
  }

  /** remove_router_interface: by port (and optionally the subnet it must be on), or by subnet. */
  async removeInterface(caller: AuthContext, id: string, request: InterfaceRequest): Promise<InterfaceInfo> {
    const { subnetId, portId } = this.#interfaceRequest(request, true);
    return this.repo.transaction(async (trx) => {
      const router = await this.#lockedRow(trx, caller, id);
      let routerPort: RouterPortRow | undefined;
      if (portId !== undefined) {
        routerPort = await this.l3.findRouterPort(portId, trx);
        if (routerPort?.router_id !== id || routerPort.port_type !== ROUTER_INTERFACE)
          throw new RouterInterfaceNotFound(id, portId);
      } else {
        const subnet = await this.repo.findSubnet(subnetId!, trx);
        if (!subnet) throw new SubnetNotFound(subnetId!);
        routerPort = (await this.l3.routerPortsOnSubnet(subnetId!, trx)).find(
          (p) => p.router_id === id && p.port_type === ROUTER_INTERFACE,
        );
        if (!routerPort) throw new RouterInterfaceNotFoundForSubnet(id, subnetId!);
      }
      const port = await this.repo.findPort(routerPort.port_id, trx);
      if (!port) throw new PortNotFound(routerPort.port_id);
      const ips = await this.repo.allocationsOfPorts([port.id], trx);
      const subnetIds = [...new Set(ips.map((a) => a.subnet_id))];
      if (portId !== undefined && subnetId !== undefined && !subnetIds.includes(subnetId))
        throw new SubnetMismatchForPort(portId, subnetId);
      // by subnet, a port on more subnets (IPv6 prefixes) only loses that subnet's address
      const removed = portId === undefined && subnetIds.length > 1 ? [subnetId!] : subnetIds;
      for (const sid of removed) {
        const subnet = await this.repo.findSubnet(sid, trx);
        if (subnet) await this.#checkNotInUse(trx, router, subnet);
      }
      const info = this.#infoOf(router, port, removed);
      if (removed.length === subnetIds.length) await this.#deletePort(trx, port.id);
      else
        for (const a of ips.filter((x) => removed.includes(x.subnet_id)))
          await this.repo.deleteAllocation(a, trx);
      await this.l3.updateRouter(
        id,
        { revision_number: router.revision_number + 1, updated_at: neutronTime() },
        trx,
      );
      return info;
    });
  }
}
