import type { Insertable, Kysely, Transaction, Updateable } from "kysely";
import type { Db } from "./database.js";
import type {
  Database,
  NetworkRow,
  NetworkTable,
  PortRow,
  PortTable,
  SubnetRow,
  SubnetTable,
} from "./schema.js";

export type Executor = Kysely<Database> | Transaction<Database>;

/** The tables of resources with tags (and so revision numbers that tag changes bump). */
export type TaggedTable = "networks" | "subnets" | "ports" | "routers" | "floatingips" | "security_groups";

/** One port address: which subnet it comes from. */
export interface AllocationRow {
  port_id: string;
  subnet_id: string;
  ip_address: string;
}

/**
 * The rows of Neutron's core resources (networks, subnets, ports, their IP allocations and
 * tags). Every method takes an optional executor so the services can compose them in one
 * transaction.
 */
export class NeutronRepository {
  constructor(readonly db: Db) {}

  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  // networks

  insertNetwork(row: Insertable<NetworkTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("networks").values(row).execute();
  }

  findNetwork(id: string, ex: Executor = this.db): Promise<NetworkRow | undefined> {
    return ex.selectFrom("networks").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Networks a project sees: its own, shared and external ones; every one for undefined. */
  listNetworks(projectId: string | undefined, ex: Executor = this.db): Promise<NetworkRow[]> {
    let q = ex.selectFrom("networks").selectAll();
    if (projectId !== undefined)
      q = q.where((eb) =>
        eb.or([eb("project_id", "=", projectId), eb("shared", "=", 1), eb("external", "=", 1)]),
      );
    return q.orderBy("created_at").orderBy("id").execute();
  }

  updateNetwork(id: string, set: Updateable<NetworkTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("networks").set(set).where("id", "=", id).execute();
  }

  /** Takes the row lock of a network for the rest of the transaction (a no-op update). */
  async lockNetwork(trx: Transaction<Database>, id: string): Promise<NetworkRow | undefined> {
    await trx
      .updateTable("networks")
      .set((eb) => ({ revision_number: eb.ref("revision_number") }))
      .where("id", "=", id)
      .execute();
    return this.findNetwork(id, trx);
  }

  deleteNetwork(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("networks").where("id", "=", id).execute();
  }

  // subnets

  insertSubnet(row: Insertable<SubnetTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("subnets").values(row).execute();
  }

  findSubnet(id: string, ex: Executor = this.db): Promise<SubnetRow | undefined> {
    return ex.selectFrom("subnets").selectAll().where("id", "=", id).executeTakeFirst();
  }

  subnetsOf(networkIds: readonly string[], ex: Executor = this.db): Promise<SubnetRow[]> {
    if (networkIds.length === 0) return Promise.resolve([]);
    return ex
      .selectFrom("subnets")
      .selectAll()
      .where("network_id", "in", networkIds)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
  }

  /** Subnets a project sees: its own and those of shared networks; every one for undefined. */
  listSubnets(projectId: string | undefined, ex: Executor = this.db): Promise<SubnetRow[]> {
    let q = ex.selectFrom("subnets").selectAll("subnets");
    if (projectId !== undefined)
      q = q
        .innerJoin("networks", "networks.id", "subnets.network_id")
        .where((eb) => eb.or([eb("subnets.project_id", "=", projectId), eb("networks.shared", "=", 1)]));
    return q.orderBy("subnets.created_at").orderBy("subnets.id").execute();
  }

  updateSubnet(id: string, set: Updateable<SubnetTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("subnets").set(set).where("id", "=", id).execute();
  }

  /**
   * Takes the row lock of a subnet until the transaction ends, so that the IPAM choices on
   * it run one after the other (SQLite's single connection serialises them anyway).
   */
  async lockSubnet(trx: Transaction<Database>, id: string): Promise<void> {
    await trx
      .updateTable("subnets")
      .set((eb) => ({ revision_number: eb.ref("revision_number") }))
      .where("id", "=", id)
      .execute();
  }

  deleteSubnet(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("subnets").where("id", "=", id).execute();
  }

  // ports

  insertPort(row: Insertable<PortTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("ports").values(row).execute();
  }

  findPort(id: string, ex: Executor = this.db): Promise<PortRow | undefined> {
    return ex.selectFrom("ports").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Ports a project sees: its own and those on its networks; every one for undefined. */
  listPorts(projectId: string | undefined, ex: Executor = this.db): Promise<PortRow[]> {
    let q = ex.selectFrom("ports").selectAll("ports");
    if (projectId !== undefined)
      q = q
        .innerJoin("networks", "networks.id", "ports.network_id")
        .where((eb) =>
          eb.or([eb("ports.project_id", "=", projectId), eb("networks.project_id", "=", projectId)]),
        );
    return q.orderBy("ports.created_at").orderBy("ports.id").execute();
  }

  portsOn(networkId: string, ex: Executor = this.db): Promise<PortRow[]> {
    return ex.selectFrom("ports").selectAll().where("network_id", "=", networkId).execute();
  }

  updatePort(id: string, set: Updateable<PortTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("ports").set(set).where("id", "=", id).execute();
  }

  deletePort(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("ports").where("id", "=", id).execute();
  }

  // IP allocations

  allocationsOfPorts(portIds: readonly string[], ex: Executor = this.db): Promise<AllocationRow[]> {
    if (portIds.length === 0) return Promise.resolve([]);
    return ex.selectFrom("port_ip_allocations").selectAll().where("port_id", "in", portIds).execute();
  }

  allocationsOfSubnet(subnetId: string, ex: Executor = this.db): Promise<AllocationRow[]> {
    return ex.selectFrom("port_ip_allocations").selectAll().where("subnet_id", "=", subnetId).execute();
  }

  /** How many addresses each subnet has handed out (subnets with none are missing). */
  async allocationCounts(ex: Executor = this.db): Promise<Map<string, number>> {
    const rows = await ex
      .selectFrom("port_ip_allocations")
      .select((eb) => ["subnet_id", eb.fn.countAll().as("n")])
      .groupBy("subnet_id")
      .execute();
    return new Map(rows.map((r) => [r.subnet_id, Number(r.n)]));
  }

  insertAllocation(row: AllocationRow, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("port_ip_allocations").values(row).execute();
  }

  deleteAllocation(row: AllocationRow, ex: Executor = this.db): Promise<unknown> {
    return ex
      .deleteFrom("port_ip_allocations")
      .where("port_id", "=", row.port_id)
      .where("subnet_id", "=", row.subnet_id)
      .where("ip_address", "=", row.ip_address)
      .execute();
  }

  /** Counts a change of a resource's tags as a revision, as Neutron's standard attributes do. */
  async bumpRevision(table: TaggedTable, id: string, at: string, ex: Executor = this.db): Promise<void> {
    await ex
      .updateTable(table)
      .set((eb) => ({ revision_number: eb("revision_number", "+", 1), updated_at: at }))
      .where("id", "=", id)
      .execute();
  }

  /** Takes the row lock of a tagged resource for the rest of the transaction (a no-op update). */
  async lockResource(table: TaggedTable, id: string, trx: Transaction<Database>) {
    await trx
      .updateTable(table)
      .set((eb) => ({ revision_number: eb.ref("revision_number") }))
      .where("id", "=", id)
      .execute();
  }

  // tags

  async tagsOf(resourceIds: readonly string[], ex: Executor = this.db): Promise<Map<string, string[]>> {
    const byId = new Map<string, string[]>();
    if (resourceIds.length === 0) return byId;
    const rows = await ex
      .selectFrom("network_tags")
      .selectAll()
      .where("resource_id", "in", resourceIds)
      .orderBy("tag")
      .execute();
    for (const row of rows) {
      const list = byId.get(row.resource_id) ?? [];
      list.push(row.tag);
      byId.set(row.resource_id, list);
    }
    return byId;
  }

  async replaceTags(resourceId: string, tags: readonly string[], ex: Executor = this.db): Promise<void> {
    await ex.deleteFrom("network_tags").where("resource_id", "=", resourceId).execute();
    if (tags.length > 0)
      await ex
        .insertInto("network_tags")
        .values(tags.map((tag) => ({ resource_id: resourceId, tag })))
        .execute();
  }
}
