import type { Transaction } from "kysely";
import { chunks } from "./batch.js";
import { type Db, fitsInteger } from "./database.js";
import type { ComputeNodeRow, Database, ServiceRow } from "./schema.js";

type Executor = Db | Transaction<Database>;

/** What a host's driver reports about it, in column terms. */
export interface NodeCapacity {
  hypervisor_type: string;
  hypervisor_version: number;
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  cpu_info: string;
  host_ip: string | null;
}

/** The columns of a server that the hypervisor views count. */
export interface HostedInstanceRow {
  uuid: string;
  host: string | null;
  vm_state: string;
  task_state: string | null;
  flavor: string;
  old_flavor: string | null;
  new_flavor: string | null;
  created_at: string;
}

/** nova's services and compute_nodes tables (0006), and the servers counted against them. */
export class ComputeHostRepository {
  constructor(private readonly db: Db) {}

  // ---- services -------------------------------------------------------------

  /** Every service not deleted, in id order (nova's service list order). */
  async services(executor: Executor = this.db): Promise<ServiceRow[]> {
    return executor
      .selectFrom("services")
      .selectAll()
      .where("deleted_at", "is", null)
      .orderBy("id", "asc")
      .execute();
  }

  /** A service not deleted, by its integer id or its uuid. */
  async service(key: { id: number } | { uuid: string }, executor: Executor = this.db) {
    if ("id" in key && !fitsInteger(key.id)) return undefined;
    let query = executor.selectFrom("services").selectAll().where("deleted_at", "is", null);
    query = "id" in key ? query.where("id", "=", key.id) : query.where("uuid", "=", key.uuid);
    return query.executeTakeFirst();
  }

  /** The services `binary` on `hosts`, not deleted, in id order. */
  async servicesOn(
    hosts: readonly string[],
    binary: string,
    executor: Executor = this.db,
  ): Promise<ServiceRow[]> {
    const out: ServiceRow[] = [];
    for (const chunk of chunks([...new Set(hosts)])) {
      const rows = await executor
        .selectFrom("services")
        .selectAll()
        .where("host", "in", chunk)
        .where("binary", "=", binary)
        .where("deleted_at", "is", null)
        .execute();
      out.push(...rows);
    }
    return out.sort((a, b) => a.id - b.id);
  }

  /** The service `binary` on `host`, not deleted. */
  async serviceOn(host: string, binary: string, executor: Executor = this.db) {
    return executor
      .selectFrom("services")
      .selectAll()
      .where("host", "=", host)
      .where("binary", "=", binary)
      .where("deleted_at", "is", null)
      .orderBy("id", "asc")
      .executeTakeFirst();
  }

  async insertService(
    executor: Executor,
    row: { uuid: string; host: string; binary: string; now: string },
  ): Promise<void> {
    await this.insertServices(executor, [row]);
  }

  /** insertService for many, a statement per 500. */
  async insertServices(
    executor: Executor,
    rows: ReadonlyArray<{ uuid: string; host: string; binary: string; now: string }>,
  ): Promise<void> {
    for (const chunk of chunks(rows)) {
      await executor
        .insertInto("services")
        .values(
          chunk.map((row) => ({
            uuid: row.uuid,
            host: row.host,
            binary: row.binary,
            disabled_reason: null,
            last_seen_up: row.now,
            report_count: 1,
            created_at: row.now,
            updated_at: row.now,
            deleted_at: null,
          })),
        )
        .execute();
    }
  }

  /** Changes a service's flags; returns false when it was deleted meanwhile. */
  async updateService(
    id: number,
    changes: Partial<Pick<ServiceRow, "disabled" | "disabled_reason" | "forced_down">>,
    now: string,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("services")
      .set({ ...changes, updated_at: now })
      .where("id", "=", id)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * One report of the services a process runs: nova's report_state. A statement per 500
   * services, each its own short write, so that claims are not held up behind 10,000 rows.
   */
  async heartbeat(ids: number[], now: string): Promise<void> {
    for (const chunk of chunks(ids)) {
      await this.db
        .updateTable("services")
        .set((eb) => ({ report_count: eb("report_count", "+", 1), last_seen_up: now, updated_at: now }))
        .where("id", "in", chunk)
        .where("deleted_at", "is", null)
        .execute();
    }
  }

  async deleteService(id: number, now: string): Promise<void> {
    await this.db
      .updateTable("services")
      .set({ deleted_at: now, updated_at: now })
      .where("id", "=", id)
      .execute();
  }

  // ---- compute nodes ----------------------------------------------------------

  /** Creates the node of a hypervisor on first registration, else refreshes its capacity. */
  async saveNode(
    executor: Executor,
    node: { uuid: string; host: string; hypervisorHostname: string; now: string } & NodeCapacity,
  ): Promise<void> {
    const { uuid, host, hypervisorHostname, now, ...capacity } = node;
    await executor
      .insertInto("compute_nodes")
      .values({
        uuid,
        host,
        hypervisor_hostname: hypervisorHostname,
        ...capacity,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.column("hypervisor_hostname").doUpdateSet({ host, ...capacity, updated_at: now }),
      )
      .execute();
  }

  /** saveNode for many, a statement per 500. */
  async saveNodes(
    executor: Executor,
    nodes: ReadonlyArray<
      { uuid: string; host: string; hypervisorHostname: string; now: string } & NodeCapacity
    >,
  ): Promise<void> {
    for (const chunk of chunks(nodes)) {
      await executor
        .insertInto("compute_nodes")
        .values(
          chunk.map(({ uuid, host, hypervisorHostname, now, ...capacity }) => ({
            uuid,
            host,
            hypervisor_hostname: hypervisorHostname,
            ...capacity,
            created_at: now,
            updated_at: now,
          })),
        )
        .onConflict((oc) =>
          oc.column("hypervisor_hostname").doUpdateSet((eb) => ({
            host: eb.ref("excluded.host"),
            hypervisor_type: eb.ref("excluded.hypervisor_type"),
            hypervisor_version: eb.ref("excluded.hypervisor_version"),
            vcpus: eb.ref("excluded.vcpus"),
            memory_mb: eb.ref("excluded.memory_mb"),
            local_gb: eb.ref("excluded.local_gb"),
            cpu_info: eb.ref("excluded.cpu_info"),
            host_ip: eb.ref("excluded.host_ip"),
            updated_at: eb.ref("excluded.updated_at"),
          })),
        )
        .execute();
    }
  }

  /** The uuid of each node of these hypervisors, by hypervisor hostname. */
  async nodeUuids(executor: Executor, hypervisorHostnames: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const chunk of chunks(hypervisorHostnames)) {
      const rows = await executor
        .selectFrom("compute_nodes")
        .select(["hypervisor_hostname", "uuid"])
        .where("hypervisor_hostname", "in", chunk)
        .execute();
      for (const r of rows) out.set(r.hypervisor_hostname, r.uuid);
    }
    return out;
  }

  /** Nodes in id order, after `afterId`, at most `limit` (nova's compute_node_get_all_by_pagination). */
  async nodes(page: { afterId?: number; limit?: number } = {}): Promise<ComputeNodeRow[]> {
    let query = this.db.selectFrom("compute_nodes").selectAll().orderBy("id", "asc");
    if (page.afterId !== undefined) query = query.where("id", ">", page.afterId);
    if (page.limit !== undefined) query = query.limit(page.limit);
    return query.execute();
  }

  /** The node of hypervisor `hypervisorHostname` (a fake host's node is named as the host). */
  async nodeOn(executor: Executor, hypervisorHostname: string): Promise<ComputeNodeRow> {
    return executor
      .selectFrom("compute_nodes")
      .selectAll()
      .where("hypervisor_hostname", "=", hypervisorHostname)
      .executeTakeFirstOrThrow();
  }

  async node(key: { id: number } | { uuid: string }): Promise<ComputeNodeRow | undefined> {
    if ("id" in key && !fitsInteger(key.id)) return undefined;
    const query = this.db.selectFrom("compute_nodes").selectAll();
    return (
      "id" in key ? query.where("id", "=", key.id) : query.where("uuid", "=", key.uuid)
    ).executeTakeFirst();
  }

  // ---- the servers on hosts ---------------------------------------------------------

  /** Servers not deleted that are placed on one of `hosts`, oldest first. */
  async instancesOn(hosts: string[]): Promise<HostedInstanceRow[]> {
    if (hosts.length === 0) return [];
    return this.db
      .selectFrom("instances")
      .select(["uuid", "host", "vm_state", "task_state", "flavor", "old_flavor", "new_flavor", "created_at"])
      .where("host", "in", hosts)
      .where("deleted", "=", 0)
      .orderBy("created_at", "asc")
      .orderBy("uuid", "asc")
      .execute();
  }
}
