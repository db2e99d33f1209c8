import type { Insertable, Transaction, Updateable } from "kysely";
import type { Db } from "./database.js";
import type { Executor } from "./neutron-repository.js";
import type { Database, FloatingIpRow, FloatingIpTable, RouterRow, RouterTable } from "./schema.js";

/** A router's interface: the port and the kind of router port it is. */
export interface RouterPortRow {
  port_id: string;
  router_id: string;
  port_type: string;
}

/**
 * The rows of Neutron's L3 resources: routers, their interface ports and floating IPs.
 * Ports and addresses stay NeutronRepository's; every method takes an optional executor so
 * the services compose both in one transaction.
 */
export class L3Repository {
  constructor(readonly db: Db) {}

  // routers

  insertRouter(row: Insertable<RouterTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("routers").values(row).execute();
  }

  findRouter(id: string, ex: Executor = this.db): Promise<RouterRow | undefined> {
    return ex.selectFrom("routers").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Routers of a project; every one for undefined. */
  listRouters(projectId: string | undefined, ex: Executor = this.db): Promise<RouterRow[]> {
    let q = ex.selectFrom("routers").selectAll();
    if (projectId !== undefined) q = q.where("project_id", "=", projectId);
    return q.orderBy("created_at").orderBy("id").execute();
  }

  /** Takes the row lock of a router for the rest of the transaction (a no-op update). */
  async lockRouter(trx: Transaction<Database>, id: string): Promise<RouterRow | undefined> {
    await trx
      .updateTable("routers")
      .set((eb) => ({ revision_number: eb.ref("revision_number") }))
      .where("id", "=", id)
      .execute();
    return this.findRouter(id, trx);
  }

  updateRouter(id: string, set: Updateable<RouterTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("routers").set(set).where("id", "=", id).execute();
  }

  deleteRouter(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("routers").where("id", "=", id).execute();
  }

  // router ports

  insertRouterPort(row: RouterPortRow, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("router_ports").values(row).execute();
  }

  routerPortsOf(routerIds: readonly string[], ex: Executor = this.db): Promise<RouterPortRow[]> {
    if (routerIds.length === 0) return Promise.resolve([]);
    return ex.selectFrom("router_ports").selectAll().where("router_id", "in", routerIds).execute();
  }

  findRouterPort(portId: string, ex: Executor = this.db): Promise<RouterPortRow | undefined> {
    return ex.selectFrom("router_ports").selectAll().where("port_id", "=", portId).executeTakeFirst();
  }

  /** The router interfaces holding an address of this subnet, whichever router they belong to. */
  routerPortsOnSubnet(subnetId: string, ex: Executor = this.db): Promise<RouterPortRow[]> {
    return ex
      .selectFrom("router_ports")
      .innerJoin("port_ip_allocations", "port_ip_allocations.port_id", "router_ports.port_id")
      .select(["router_ports.port_id", "router_ports.router_id", "router_ports.port_type"])
      .where("port_ip_allocations.subnet_id", "=", subnetId)
      .execute();
  }

  deleteRouterPort(portId: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("router_ports").where("port_id", "=", portId).execute();
  }

  // floating IPs

  insertFloatingIp(row: Insertable<FloatingIpTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("floatingips").values(row).execute();
  }

  findFloatingIp(id: string, ex: Executor = this.db): Promise<FloatingIpRow | undefined> {
    return ex.selectFrom("floatingips").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findFloatingIpByPort(floatingPortId: string, ex: Executor = this.db): Promise<FloatingIpRow | undefined> {
    return ex
      .selectFrom("floatingips")
      .selectAll()
      .where("floating_port_id", "=", floatingPortId)
      .executeTakeFirst();
  }

  /** Floating IPs of a project; every one for undefined. */
  listFloatingIps(projectId: string | undefined, ex: Executor = this.db): Promise<FloatingIpRow[]> {
    let q = ex.selectFrom("floatingips").selectAll();
    if (projectId !== undefined) q = q.where("project_id", "=", projectId);
    return q.orderBy("created_at").orderBy("id").execute();
  }

  /** The floating IPs associated through a router (a fixed port is what makes them associated). */
  floatingIpsOfRouter(routerId: string, ex: Executor = this.db): Promise<FloatingIpRow[]> {
    return ex
      .selectFrom("floatingips")
      .selectAll()
      .where("router_id", "=", routerId)
      .where("fixed_port_id", "is not", null)
      .execute();
  }

  /** Who holds a fixed IP of a port on an external network already. */
  floatingIpOfFixedIp(
    networkId: string,
    portId: string,
    ip: string,
    ex: Executor = this.db,
  ): Promise<FloatingIpRow | undefined> {
    return ex
      .selectFrom("floatingips")
      .selectAll()
      .where("floating_network_id", "=", networkId)
      .where("fixed_port_id", "=", portId)
      .where("fixed_ip_address", "=", ip)
      .executeTakeFirst();
  }

  updateFloatingIp(id: string, set: Updateable<FloatingIpTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("floatingips").set(set).where("id", "=", id).execute();
  }

  deleteFloatingIp(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("floatingips").where("id", "=", id).execute();
  }
}
