import type { Transaction } from "kysely";
import { InstancePortRepository } from "../../store/instance-port-repository.js";
import type { Database, NetworkRow } from "../../store/schema.js";
import type { Vif } from "../../virt/driver.js";
import type { DriverRegistry } from "../../virt/registry.js";
import type { AuthContext } from "../context.js";
import { Conflict, Forbidden, InvalidInput, NotFound, QuotaExceeded, ServiceError } from "../errors.js";
import { IpAddressAlreadyAllocated, IpAddressGenerationFailure, OverQuota } from "./errors.js";
import type { NeutronService } from "./neutron-service.js";
import { NovaFloatingIps } from "./nova-floating-ips.js";
import { NovaSecurityGroups } from "./nova-security-groups.js";
import type { PortRecord } from "./ports.js";
import { DEFAULT_ZONE } from "./standard-attributes.js";

/**
 * What a server create asked for: nova's `networks` ("auto", "none" or a list), or
 * "default" when the request had none (before 2.37), which is "auto" without the
 * auto-allocation.
 */
export type RequestedNetworks =
  | "default"
  | "auto"
  | "none"
  | Array<{ uuid?: string; fixed_ip?: string; port?: string; tag?: string }>;

/** One NIC each server of a create gets: a new port on a network, or the port the user brought. */
export type NicPlan =
  | { networkId: string; fixedIp?: string; tag?: string }
  | { portId: string; tag?: string };

/** nova's NoMoreFixedIps: a server create answers it with 409, os-interface with 400. */
class NoMoreFixedIps extends Conflict {
  constructor(networkId: string) {
    super(`No fixed IP addresses available for network: ${networkId}`);
  }
}

/** nova's FixedIpAlreadyInUse, lost in a race: a server create answers it with 400, os-interface with 409. */
class FixedIpTaken extends InvalidInput {}

/** A port taken off a server, and the host it was plugged in on ("" when never bound). */
interface Unplugged {
  portId: string;
  host: string;
}

/** What `POST /servers/{id}/os-interface` asks for. */
export interface InterfaceRequest {
  netId?: string;
  portId?: string;
  fixedIp?: string;
  tag?: string;
}

/** A server's port as os-interface shows it, with the tag it was attached with. */
export interface Interface {
  port: PortRecord;
  tag: string | null;
}

/** Where a server is plugged: for the ports' device_owner (`compute:<zone>`) and binding. */
export interface Device {
  instanceUuid: string;
  zone: string | null;
}

/**
 * Nova's side of Neutron (nova/network/neutron.py): checks a create's requested networks
 * as nova's validate_networks does, makes or claims the server's ports in the create's own
 * transaction, binds them when the server is built and deletes or unbinds them when it goes.
 */
export class InstanceNetworking {
  readonly instancePorts: InstancePortRepository;
  /** nova's security group proxy and the groups of servers' ports. */
  readonly securityGroups: NovaSecurityGroups;
  /** nova's floating IP proxy and the add/removeFloatingIp actions. */
  readonly floatingIps: NovaFloatingIps;

  /**
   * `drivers`: the hosts whose drivers plug and unplug the ports (nova's plug_vifs), once
   * the port changes are committed.
   */
  constructor(
    private readonly neutron: NeutronService,
    private readonly drivers?: DriverRegistry,
  ) {
    this.instancePorts = new InstancePortRepository(neutron.ports.repo.db);
    this.securityGroups = new NovaSecurityGroups(neutron, this.instancePorts);
    this.floatingIps = new NovaFloatingIps(neutron);
  }

  /** The networks a project may boot on without naming one: its own unshared ones and the shared ones. */
  async #available(ctx: AuthContext): Promise<NetworkRow[]> {
    const rows = await this.neutron.ports.repo.listNetworks(ctx.projectId ?? "");
    return rows.filter((n) => (n.project_id === ctx.projectId && n.shared === 0) || n.shared === 1);
  }

  /** Only admins attach servers to an external network that is not shared (nova's network:attach_external_network). */
  #checkExternalAttach(ctx: AuthContext, networks: readonly NetworkRow[]): void {
    if (ctx.isAdmin) return;
    const external = networks.find((n) => n.external === 1 && n.shared === 0);
    if (external)
      throw new Forbidden(`It is not allowed to create an interface on external network ${external.id}`);
  }

  async #requireSubnet(networks: readonly NetworkRow[]): Promise<void> {
    const subnets = await this.neutron.ports.repo.subnetsOf(networks.map((n) => n.id));
    const bare = networks.find((n) => !subnets.some((s) => s.network_id === n.id));
    if (bare) throw new InvalidInput(`Network ${bare.id} requires a subnet in order to boot instances on.`);
  }

  /**
   * Checks what a create asked for and answers the NICs each server gets, with nova's
   * errors: an unknown network or port, a port in use or without an address, a fixed IP
   * already taken, several networks to choose from, or one port for many servers.
   */
  async plan(ctx: AuthContext, requested: RequestedNetworks, maxCount: number): Promise<NicPlan[]> {
    if (requested === "none") return [];
    if (requested === "default" || requested === "auto") {
      const networks = await this.#available(ctx);
      if (networks.length > 1)
        throw new Conflict("Multiple possible networks found, use a Network ID to be more specific.");
      if (networks.length === 0) {
        if (requested === "default") return [];
        // nova asks Neutron for the project's auto-allocated topology, made on first use
        try {
          return [{ networkId: await this.neutron.autoAllocation.ensure(ctx) }];
        } catch (error) {
          if (!(error instanceof ServiceError)) throw error;
          throw new InvalidInput(`Unable to automatically allocate a network for project ${ctx.projectId}`);
        }
      }
      this.#checkExternalAttach(ctx, networks);
      await this.#requireSubnet(networks);
      return [{ networkId: networks[0]!.id }];
    }

    const repo = this.neutron.ports.repo;
    const seenPorts = new Set<string>();
    const plan: NicPlan[] = [];
    for (const entry of requested) {
      if (entry.port !== undefined) {
        if (seenPorts.has(entry.port))
          throw new InvalidInput(
            `Port ID '${entry.port}' was specified twice: you cannot attach a port multiple times.`,
          );
        if (entry.fixed_ip !== undefined)
          throw new InvalidInput(
            `Specified Fixed IP '${entry.fixed_ip}' cannot be used with port '${entry.port}': the two cannot be specified together.`,
          );
        seenPorts.add(entry.port);
        plan.push({ portId: entry.port, ...(entry.tag !== undefined && { tag: entry.tag }) });
      } else {
        plan.push({
          networkId: entry.uuid ?? "",
          ...(entry.fixed_ip !== undefined && { fixedIp: entry.fixed_ip }),
          ...(entry.tag !== undefined && { tag: entry.tag }),
        });
      }
    }
    if (maxCount > 1 && plan.some((nic) => "portId" in nic))
      throw new InvalidInput(
        "Failed to launch instances: Unable to launch multiple instances with a single configured port ID. Please launch your instance one by one with different ports.",
      );
    if (maxCount > 1 && plan.some((nic) => "fixedIp" in nic && nic.fixedIp !== undefined))
      throw new InvalidInput(
        "Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.",
      );

    // the networks of the ports brought and the networks named, which need a subnet
    const networks: NetworkRow[] = [];
    const named: NetworkRow[] = [];
    for (const nic of plan) {
      if ("portId" in nic) {
        const port = await this.#visiblePort(ctx, nic.portId);
        if (port.device_id !== "") throw new Conflict(`Port ${nic.portId} is still in use.`);
        if ((await repo.allocationsOfPorts([port.id])).length === 0)
          throw new InvalidInput(`Port ${nic.portId} requires a FixedIP in order to be used.`);
        const network = await repo.findNetwork(port.network_id);
        if (network) networks.push(network);
        continue;
      }
      const network = await repo.findNetwork(nic.networkId);
      if (!network || !this.#visibleNetwork(ctx, network))
        throw new InvalidInput(`Network ${nic.networkId} could not be found.`);
      named.push(network);
      if (nic.fixedIp !== undefined) {
        const taken = await this.#holderOf(network.id, nic.fixedIp);
        if (taken !== undefined)
          throw new InvalidInput(`Fixed IP address ${nic.fixedIp} is already in use on instance ${taken}.`);
      }
      networks.push(network);
    }
    await this.#requireSubnet(named);
    this.#checkExternalAttach(ctx, networks);
    return plan;
  }

  #visibleNetwork(ctx: AuthContext, network: NetworkRow): boolean {
    return (
      ctx.isAdmin || network.project_id === ctx.projectId || network.shared === 1 || network.external === 1
    );
  }

  async #visiblePort(ctx: AuthContext, portId: string) {
    try {
      return await this.neutron.ports.visibleRow(ctx, portId);
    } catch (error) {
      if (error instanceof ServiceError && error.category === "not_found")
        throw new InvalidInput(`Port id ${portId} could not be found.`);
      throw error;
    }
  }

  /** The device holding an address on a network (an empty string for an unplugged port), if any. */
  async #holderOf(networkId: string, address: string): Promise<string | undefined> {
    const repo = this.neutron.ports.repo;
    const ports = await repo.portsOn(networkId);
    const allocations = await repo.allocationsOfPorts(ports.map((p) => p.id));
    const held = allocations.find((a) => a.ip_address === address);
    return held ? (ports.find((p) => p.id === held.port_id)?.device_id ?? "") : undefined;
  }

  /**
   * Gives a new server its NICs inside the create's transaction: a port made on each
   * requested network (deleted with the server) in the security groups asked for (none:
   * Neutron's default), or the user's port claimed as it is (kept, only unbound, when the
   * server goes). A race lost for an address or a full subnet is nova's error, and the
   * whole create is undone with it.
   */
  async allocate(
    trx: Transaction<Database>,
    ctx: AuthContext,
    device: Device,
    plan: readonly NicPlan[],
    {
      firstPosition = 0,
      securityGroups = [],
    }: { firstPosition?: number; securityGroups?: readonly string[] } = {},
  ): Promise<void> {
    const owner = `compute:${device.zone ?? DEFAULT_ZONE}`;
    for (const [i, nic] of plan.entries()) {
      const position = firstPosition + i;
      let portId: string;
      if ("portId" in nic) {
        const port = await this.neutron.ports.repo.findPort(nic.portId, trx);
        if (port?.device_id !== "") throw new Conflict(`Port ${nic.portId} is still in use.`);
        portId = nic.portId;
        await this.neutron.ports.setDevice(trx, portId, {
          deviceId: device.instanceUuid,
          deviceOwner: owner,
          hostId: "",
          active: false,
        });
      } else {
        portId = await this.#createPort(trx, ctx, nic, device.instanceUuid, owner, securityGroups);
      }
      await this.instancePorts.insert(
        {
          port_id: portId,
          instance_uuid: device.instanceUuid,
          preserve_on_delete: "portId" in nic ? 1 : 0,
          tag: nic.tag ?? null,
          position,
          plugged: 0,
        },
        trx,
      );
    }
  }

  async #createPort(
    trx: Transaction<Database>,
    ctx: AuthContext,
    nic: { networkId: string; fixedIp?: string },
    instanceUuid: string,
    owner: string,
    securityGroups: readonly string[],
  ): Promise<string> {
    try {
      return await this.neutron.ports.createIn(trx, ctx, {
        network_id: nic.networkId,
        device_id: instanceUuid,
        device_owner: owner,
        ...(securityGroups.length > 0 && { security_groups: [...securityGroups] }),
        ...(nic.fixedIp !== undefined && { fixed_ips: [{ ip_address: nic.fixedIp }] }),
      });
    } catch (error) {
      if (error instanceof IpAddressAlreadyAllocated)
        throw new FixedIpTaken(`Fixed IP address ${error.ip} is already in use on instance.`);
      if (error instanceof IpAddressGenerationFailure) throw new NoMoreFixedIps(nic.networkId);
      // nova's PortLimitExceeded
      if (error instanceof OverQuota) throw new QuotaExceeded("Maximum number of ports exceeded");
      // a fixed IP outside the network's subnets, and the like: nova passes Neutron's word on
      if (error instanceof ServiceError && error.category !== "invalid")
        throw new InvalidInput(error.message);
      throw error;
    }
  }

  /** Binds a built server's ports to its host and plugs them in there: they are ACTIVE while it exists. */
  async bind(instanceUuid: string, host: string): Promise<void> {
    const vifs: Vif[] = [];
    await this.neutron.ports.repo.transaction(async (trx) => {
      for (const nic of await this.instancePorts.portsOf(instanceUuid, trx)) {
        const port = await this.neutron.ports.repo.findPort(nic.port_id, trx);
        if (!port) continue;
        await this.neutron.ports.setDevice(trx, nic.port_id, {
          deviceId: instanceUuid,
          deviceOwner: port.device_owner,
          hostId: host,
          active: true,
        });
        vifs.push({ portId: port.id, mac: port.mac_address, networkId: port.network_id });
      }
      await this.instancePorts.plug(instanceUuid, trx);
    });
    await this.drivers?.get(host)?.plugVifs(instanceUuid, vifs);
  }

  /** Plugs a bound server's ports in on its host again (a host restarted), changing nothing in Neutron. */
  async replug(instanceUuid: string, host: string): Promise<void> {
    const vifs: Vif[] = [];
    for (const nic of await this.instancePorts.portsOf(instanceUuid)) {
      const port = await this.neutron.ports.repo.findPort(nic.port_id);
      if (nic.plugged === 1 && port?.binding_host_id === host)
        vifs.push({ portId: port.id, mac: port.mac_address, networkId: port.network_id });
    }
    if (vifs.length > 0) await this.drivers?.get(host)?.plugVifs(instanceUuid, vifs);
  }

  /** A deleted server's ports: those nimbus made are deleted, the user's unbound and kept. */
  async release(instanceUuid: string): Promise<void> {
    const unplugged = await this.neutron.ports.repo.transaction(async (trx) => {
      const out: Unplugged[] = [];
      for (const nic of await this.instancePorts.portsOf(instanceUuid, trx))
        out.push(await this.#unplug(trx, nic));
      return out;
    });
    await this.#unplugVifs(instanceUuid, unplugged);
  }

  /** A server's ports, in NIC order (os-interface's list). */
  async interfaces(ctx: AuthContext, instanceUuid: string): Promise<Interface[]> {
    const out: Interface[] = [];
    for (const nic of await this.instancePorts.portsOf(instanceUuid)) {
      const port = await this.neutron.ports.show(ctx, nic.port_id).catch(() => undefined);
      if (port) out.push({ port, tag: nic.tag });
    }
    return out;
  }

  /** One port of a server, or nova's 404 when the server has no such port. */
  async interface(ctx: AuthContext, instanceUuid: string, portId: string): Promise<Interface> {
    const nic = await this.instancePorts.findByPort(portId);
    const port = await this.neutron.ports.show(ctx, portId).catch(() => undefined);
    if (!port) throw new NotFound(`Port id ${portId} could not be found.`);
    if (nic?.instance_uuid !== instanceUuid || port.device_id !== instanceUuid)
      throw new NotFound(`Instance ${instanceUuid} does not have a port with id ${portId}`);
    return { port, tag: nic.tag };
  }

  /**
   * Attaches a NIC to a built server (nova's attach_interface, which the API waits for):
   * the port named, a new port on the network named, or on the project's one network.
   * Answers the port's id.
   */
  async attach(
    ctx: AuthContext,
    device: Device & { host: string | null },
    request: InterfaceRequest,
  ): Promise<string> {
    const repo = this.neutron.ports.repo;
    let nic: NicPlan;
    if (request.portId !== undefined) {
      const port = await repo.findPort(request.portId);
      if (!port || !(await this.neutron.ports.show(ctx, request.portId).catch(() => undefined)))
        throw new NotFound(`Port id ${request.portId} could not be found.`);
      if (port.device_id !== "") throw new Conflict(`Port ${request.portId} is still in use.`);
      nic = { portId: request.portId };
    } else {
      let network: NetworkRow | undefined;
      if (request.netId !== undefined) {
        network = await repo.findNetwork(request.netId);
        if (!network || !this.#visibleNetwork(ctx, network))
          throw new NotFound(`Network ${request.netId} could not be found.`);
      } else {
        const networks = await this.#available(ctx);
        if (networks.length === 0)
          throw new InvalidInput(
            `No specific network was requested and none are available for project '${ctx.projectId}'.`,
          );
        if (networks.length > 1)
          throw new InvalidInput("Multiple possible networks found, use a Network ID to be more specific.");
        network = networks[0]!;
      }
      this.#checkExternalAttach(ctx, [network]);
      if (request.fixedIp !== undefined) {
        const holder = await this.#holderOf(network.id, request.fixedIp);
        if (holder !== undefined)
          throw new Conflict(`Fixed IP address ${request.fixedIp} is already in use on instance ${holder}.`);
      }
      nic = { networkId: network.id, ...(request.fixedIp !== undefined && { fixedIp: request.fixedIp }) };
    }
    if (request.tag !== undefined) nic.tag = request.tag;
    const position = await this.instancePorts.nextPosition(device.instanceUuid);
    try {
      await repo.transaction((trx) => this.allocate(trx, ctx, device, [nic], { firstPosition: position }));
    } catch (error) {
      // os-interface answers a full network with 400, a lost race for an address with 409
      if (error instanceof NoMoreFixedIps) throw new InvalidInput(error.message);
      if (error instanceof FixedIpTaken) throw new Conflict(error.message);
      throw error;
    }
    if (device.host) await this.bind(device.instanceUuid, device.host);
    const [attached] = (await this.instancePorts.portsOf(device.instanceUuid)).filter(
      (p) => p.position === position,
    );
    return attached!.port_id;
  }

  /** Detaches one NIC: a port nimbus made is deleted, the user's unbound and kept. */
  async detach(instanceUuid: string, portId: string): Promise<void> {
    const unplugged = await this.neutron.ports.repo.transaction(async (trx) => {
      const nic = await this.instancePorts.findByPort(portId, trx);
      if (nic?.instance_uuid !== instanceUuid) return [];
      return [await this.#unplug(trx, nic)];
    });
    await this.#unplugVifs(instanceUuid, unplugged);
  }

  /** Unbinds or deletes a NIC's port; answers where it was plugged in. */
  async #unplug(
    trx: Transaction<Database>,
    nic: { port_id: string; preserve_on_delete: number },
  ): Promise<Unplugged> {
    const host = (await this.neutron.ports.repo.findPort(nic.port_id, trx))?.binding_host_id ?? "";
    if (nic.preserve_on_delete === 1) {
      await this.neutron.ports.setDevice(trx, nic.port_id, {
        deviceId: "",
        deviceOwner: "",
        hostId: "",
        active: false,
      });
      await this.instancePorts.remove(nic.port_id, trx);
    } else {
      await this.neutron.ports.deleteIn(trx, nic.port_id);
    }
    return { portId: nic.port_id, host };
  }

  /** Tells each host the ports it no longer has. */
  async #unplugVifs(instanceUuid: string, unplugged: readonly Unplugged[]): Promise<void> {
    for (const host of new Set(unplugged.map((u) => u.host))) {
      const ports = unplugged.filter((u) => u.host === host).map((u) => u.portId);
      await this.drivers?.get(host)?.unplugVifs(instanceUuid, ports);
    }
  }
}
