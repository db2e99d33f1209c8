import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import { isUniqueViolation } from "../../store/identity-repository.js";
import type { L3Repository } from "../../store/l3-repository.js";
import type { Executor, NeutronRepository } from "../../store/neutron-repository.js";
import type { Database, FloatingIpRow, PortRow } from "../../store/schema.js";
import type { AuthContext } from "../context.js";
import { NetworkNotFound, PolicyNotAuthorized } from "./errors.js";
import { parseIp } from "./ip.js";
import {
  BadRequest,
  ExternalGatewayForFloatingIPNotFound,
  ExternalIpAddressExhausted,
  FloatingIPNotFound,
  FloatingIPPortAlreadyAssociated,
  ServicePortInUse,
} from "./l3-errors.js";
import { Networks } from "./networks.js";
import type { FixedIpRequest, Ports } from "./ports.js";
import type { NetworkQuotas } from "./quotas.js";
import { elevated, ROUTER_INTERFACE } from "./routers.js";
import {
  checkRevision,
  neutronTime,
  ownerOf,
  ownsOrAdmin,
  type StandardAttributes,
} from "./standard-attributes.js";

export const FLOATING_IP_OWNER = "network:floatingip";

/** fip-port-details: what a floating IP shows of the port it is associated with. */
export interface PortDetails {
  name: string;
  network_id: string;
  mac_address: string;
  admin_state_up: boolean;
  status: string;
  device_id: string;
  device_owner: string;
}

export interface FloatingIpRecord extends StandardAttributes {
  floating_ip_address: string;
  floating_network_id: string;
  router_id: string | null;
  port_id: string | null;
  fixed_ip_address: string | null;
  /** ACTIVE while associated: nimbus has no L3 agent whose report to wait for. */
  status: "ACTIVE" | "DOWN";
  port_details: PortDetails | null;
}

export type FloatingIpChanges = Partial<{
  project_id: string;
  description: string;
  floating_network_id: string;
  floating_ip_address: string;
  subnet_id: string;
  /** null disassociates. */
  port_id: string | null;
  fixed_ip_address: string | null;
}>;

interface Association {
  portId: string;
  fixedIp: string;
  routerId: string;
}

/**
 * Floating IPs (Neutron's router extension): an address of an external network, held by a
 * port of its own, and optionally associated with a fixed IP of a port that a router with
 * a gateway on that network reaches. One floating IP per fixed IP and external network:
 * associations through one router take its row lock in turn, and the database's unique
 * constraint refuses a second holder whatever the service got wrong.
 */
export class FloatingIps {
  constructor(
    readonly repo: NeutronRepository,
    readonly l3: L3Repository,
    readonly ports: Ports,
    readonly quotas: NetworkQuotas,
  ) {
    ports.deleteGuards.push(async (trx, port) => {
      if (port.device_owner === FLOATING_IP_OWNER && (await this.l3.findFloatingIp(port.device_id, trx)))
        throw new ServicePortInUse(port.id, `has device owner ${port.device_owner}`);
    });
  }

  async visibleRow(caller: AuthContext, id: string, ex?: Executor): Promise<FloatingIpRow> {
    const row = await this.l3.findFloatingIp(id, ex);
    if (!row || !ownsOrAdmin(caller, row.project_id)) throw new FloatingIPNotFound(id);
    return row;
  }

  async #records(rows: FloatingIpRow[]): Promise<FloatingIpRecord[]> {
    const tags = await this.repo.tagsOf(rows.map((r) => r.id));
    const out: FloatingIpRecord[] = [];
    for (const row of rows) {
      // a deleted fixed port left fixed_port_id NULL: the floating IP is free again
      const port = row.fixed_port_id ? await this.repo.findPort(row.fixed_port_id) : undefined;
      out.push({
        id: row.id,
        project_id: row.project_id,
        description: row.description,
        floating_ip_address: row.floating_ip_address,
        floating_network_id: row.floating_network_id,
        router_id: port ? row.router_id : null,
        port_id: port ? port.id : null,
        fixed_ip_address: port ? row.fixed_ip_address : null,
        status: port ? "ACTIVE" : "DOWN",
        port_details: port
          ? {
              name: port.name,
              network_id: port.network_id,
              mac_address: port.mac_address,
              admin_state_up: port.admin_state_up === 1,
              status: port.status,
              device_id: port.device_id,
              device_owner: port.device_owner,
            }
          : null,
        tags: tags.get(row.id) ?? [],
        revision_number: row.revision_number,
        created_at: row.created_at,
        updated_at: row.updated_at,
      });
    }
    return out;
  }

  async list(caller: AuthContext): Promise<FloatingIpRecord[]> {
    return this.#records(
      await this.l3.listFloatingIps(caller.isAdmin ? undefined : (caller.projectId ?? "")),
    );
  }

  async show(caller: AuthContext, id: string): Promise<FloatingIpRecord> {
    const [record] = await this.#records([await this.visibleRow(caller, id)]);
    return record!;
  }

  /**
   * What associating a floating IP of `projectId` on `networkId` with this port means, as
   * Neutron's _internal_fip_assoc_data and get_router_for_floatingip decide it.
   */
  async #association(
    trx: Transaction<Database>,
    caller: AuthContext,
    fip: { projectId: string; networkId: string },
    portId: string,
    fixedIp: string | null | undefined,
  ): Promise<Association> {
    const port: PortRow = await this.ports.visibleRow(caller, portId, trx);
    if (port.project_id !== fip.projectId && !caller.isAdmin)
      throw new BadRequest(
        "floatingip",
        `Cannot process floating IP association with Port ${portId}, since that port is owned by a different tenant`,
      );
    if (port.device_owner.startsWith("network:"))
      throw new BadRequest("floatingip", `Port ${portId} is unable to be assigned a floating IP`);
    const ips = await this.repo.allocationsOfPorts([portId], trx);
    let chosen: { subnet_id: string; ip_address: string } | undefined;
    if (fixedIp) {
      if (parseIp(fixedIp)?.version !== 4)
        throw new BadRequest(
          "floatingip",
          `Cannot process floating IP association with ${fixedIp}, since that is not an IPv4 address`,
        );
      chosen = ips.find((a) => a.ip_address === fixedIp);
      if (!chosen) throw new BadRequest("floatingip", `Port ${portId} does not have fixed ip ${fixedIp}`);
    } else {
      const v4 = ips.filter((a) => parseIp(a.ip_address)?.version === 4);
      if (v4.length === 0)
        throw new BadRequest(
          "floatingip",
          `Cannot add floating IP to port ${portId} that has no global IPv4 addresses`,
        );
      if (v4.length > 1)
        throw new BadRequest(
          "floatingip",
          `Port ${portId} has multiple fixed IPv4 addresses.  Must provide a specific IPv4 address when assigning a floating IP`,
        );
      chosen = v4[0]!;
    }
    const subnet = await this.repo.findSubnet(chosen.subnet_id, trx);
    if (!subnet?.gateway_ip)
      throw new BadRequest(
        "floatingip",
        `Cannot add floating IP to port on subnet ${chosen.subnet_id} which has no gateway_ip`,
      );
    // the router's lock orders this after a concurrent interface removal or gateway change
    // (both hold it), and the second look sees what that left
    let routerId = await this.#routerFor(trx, subnet.id, fip.networkId);
    if (routerId) {
      await this.l3.lockRouter(trx, routerId);
      routerId = await this.#routerFor(trx, subnet.id, fip.networkId);
    }
    if (!routerId) throw new ExternalGatewayForFloatingIPNotFound(fip.networkId, subnet.id, portId);
    return { portId, fixedIp: chosen.ip_address, routerId };
  }

  /** Refuses a fixed IP another floating IP of the network holds (FloatingIPPortAlreadyAssociated). */
  async #checkFree(
    trx: Transaction<Database>,
    fip: { id: string; networkId: string; address: string },
    association: Association,
  ): Promise<void> {
    const holder = await this.l3.floatingIpOfFixedIp(
      fip.networkId,
      association.portId,
      association.fixedIp,
      trx,
    );
    if (holder && holder.id !== fip.id)
      throw this.#alreadyAssociated(fip, association.portId, association.fixedIp);
  }

  /** The router with an interface on the subnet and its gateway on the external network, if any. */
  async #routerFor(
    trx: Transaction<Database>,
    subnetId: string,
    networkId: string,
  ): Promise<string | undefined> {
    for (const routerPort of await this.l3.routerPortsOnSubnet(subnetId, trx)) {
      if (routerPort.port_type !== ROUTER_INTERFACE) continue;
      const router = await this.l3.findRouter(routerPort.router_id, trx);
      const gw = router?.gw_port_id ? await this.repo.findPort(router.gw_port_id, trx) : undefined;
      if (router && gw?.network_id === networkId) return router.id;
    }
    return undefined;
  }

  #alreadyAssociated(
    fip: { id: string; networkId: string; address: string },
    portId: string,
    fixedIp: string,
  ): FloatingIPPortAlreadyAssociated {
    return new FloatingIPPortAlreadyAssociated({
      address: fip.address,
      fipId: fip.id,
      portId,
      fixedIp,
      networkId: fip.networkId,
    });
  }

  async create(caller: AuthContext, changes: FloatingIpChanges): Promise<FloatingIpRecord> {
    if (!caller.isAdmin && changes.floating_ip_address !== undefined)
      throw new PolicyNotAuthorized("create_floatingip:floating_ip_address");
    if (changes.fixed_ip_address && !changes.port_id)
      throw new BadRequest("floatingip", "fixed_ip_address cannot be specified without a port_id");
    const networkId = changes.floating_network_id ?? "";
    const projectId = ownerOf(caller, changes.project_id);
    const id = randomUUID();
    await this.repo.transaction(async (trx) => {
      const network = await this.repo.findNetwork(networkId, trx);
      if (!network || !Networks.visibleTo(caller, network)) throw new NetworkNotFound(networkId);
      if (network.external !== 1)
        throw new BadRequest("floatingip", `Network ${networkId} is not a valid external network`);
      // no other lock is ever taken before this one, so it can come first
      await this.quotas.check(trx, projectId, "floatingip");
      // the router's lock (in #association) before the external network's (in createIn),
      // the order a router's gateway change takes them in
      const association = changes.port_id
        ? await this.#association(
            trx,
            caller,
            { projectId, networkId },
            changes.port_id,
            changes.fixed_ip_address,
          )
        : undefined;
      const request: FixedIpRequest = {
        ...(changes.subnet_id !== undefined && { subnet_id: changes.subnet_id }),
        ...(changes.floating_ip_address !== undefined && { ip_address: changes.floating_ip_address }),
      };
      const portId = await this.ports.createIn(
        trx,
        elevated(caller),
        {
          network_id: networkId,
          name: "",
          admin_state_up: true,
          device_id: id,
          device_owner: FLOATING_IP_OWNER,
          ...(Object.keys(request).length > 0 && { fixed_ips: [request] }),
        },
        { internal: true },
      );
      const address = (await this.repo.allocationsOfPorts([portId], trx)).find(
        (a) => parseIp(a.ip_address)?.version === 4,
      )?.ip_address;
      if (!address) throw new ExternalIpAddressExhausted(networkId);
      const fip = { id, networkId, address };
      if (association) await this.#checkFree(trx, fip, association);
      const now = neutronTime();
      try {
        await this.l3.insertFloatingIp(
          {
            id,
            project_id: projectId,
            description: changes.description ?? "",
            floating_ip_address: address,
            floating_network_id: networkId,
            floating_port_id: portId,
            fixed_port_id: association?.portId ?? null,
            fixed_ip_address: association?.fixedIp ?? null,
            router_id: association?.routerId ?? null,
            status: association ? "ACTIVE" : "DOWN",
            revision_number: 1,
            created_at: now,
            updated_at: now,
          },
          trx,
        );
      } catch (error) {
        if (association && isUniqueViolation(error))
          throw this.#alreadyAssociated(fip, association.portId, association.fixedIp);
        throw error;
      }
    });
    return this.show(caller, id);
  }

  /** Associates (port_id), disassociates (port_id null) or describes a floating IP. */
  async update(
    caller: AuthContext,
    id: string,
    changes: FloatingIpChanges,
    expectedRevision?: number,
  ): Promise<FloatingIpRecord> {
    if (changes.fixed_ip_address && !changes.port_id)
      throw new BadRequest("floatingip", "fixed_ip_address cannot be specified without a port_id");
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      checkRevision(expectedRevision, row.revision_number);
      const fip = {
        id,
        projectId: row.project_id,
        networkId: row.floating_network_id,
        address: row.floating_ip_address,
      };
      let association: Association | null | undefined;
      if (changes.port_id === null) association = null;
      else if (changes.port_id !== undefined) {
        association = await this.#association(trx, caller, fip, changes.port_id, changes.fixed_ip_address);
        await this.#checkFree(trx, fip, association);
      }
      try {
        await this.l3.updateFloatingIp(
          id,
          {
            ...(changes.description !== undefined && { description: changes.description }),
            ...(association !== undefined && {
              fixed_port_id: association?.portId ?? null,
              fixed_ip_address: association?.fixedIp ?? null,
              router_id: association?.routerId ?? null,
              status: association ? "ACTIVE" : "DOWN",
            }),
            revision_number: row.revision_number + 1,
            updated_at: neutronTime(),
          },
          trx,
        );
      } catch (error) {
        if (association && isUniqueViolation(error))
          throw this.#alreadyAssociated(fip, association.portId, association.fixedIp);
        throw error;
      }
    });
    return this.show(caller, id);
  }

  /** Deletes a floating IP and the port that held its address. */
  async delete(caller: AuthContext, id: string, expectedRevision?: number): Promise<void> {
    await this.repo.transaction(async (trx) => {
      const row = await this.visibleRow(caller, id, trx);
      checkRevision(expectedRevision, row.revision_number);
      await this.repo.replaceTags(id, [], trx);
      await this.l3.deleteFloatingIp(id, trx);
      await this.repo.replaceTags(row.floating_port_id, [], trx);
      await this.repo.deletePort(row.floating_port_id, trx);
    });
  }
}
