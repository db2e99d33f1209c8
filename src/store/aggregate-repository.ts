import type { Transaction } from "kysely";
import { type Db, fitsInteger } from "./database.js";
import type { AggregateRow, Database } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** An aggregate with its hosts (in the order they were added) and its metadata. */
export interface AggregateRecord {
  id: number;
  uuid: string;
  name: string;
  hosts: string[];
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string | null;
}

/** A live server placed on a host, with what it takes there (its current flavor's sizes). */
export interface PlacedServer {
  host: string;
  projectId: string;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

export type AggregateInsertResult = { ok: true; id: number } | { ok: false; conflict: "name" };

/**
 * Host aggregates (aggregates, aggregate_hosts, aggregate_metadata) and the servers on
 * their hosts, which decide whether a host's availability zone may change.
 */
export class AggregateRepository {
  constructor(private readonly db: Db) {}

  /** Every aggregate in id order (nova's aggregate list order). */
  async list(executor: Executor = this.db): Promise<AggregateRecord[]> {
    const rows = await executor.selectFrom("aggregates").selectAll().orderBy("id").execute();
    return this.#hydrate(executor, rows);
  }

  async find(id: number, executor: Executor = this.db): Promise<AggregateRecord | undefined> {
    if (!fitsInteger(id)) return undefined;
    const row = await executor.selectFrom("aggregates").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? (await this.#hydrate(executor, [row]))[0] : undefined;
  }

  /** Aggregates that hold any of `hosts`, in id order. */
  async holding(hosts: string[], executor: Executor = this.db): Promise<AggregateRecord[]> {
    if (hosts.length === 0) return [];
    const rows = await executor
      .selectFrom("aggregates")
      .selectAll()
      .where("id", "in", (eb) =>
        eb.selectFrom("aggregate_hosts").select("aggregate_id").where("host", "in", hosts),
      )
      .orderBy("id")
      .execute();
    return this.#hydrate(executor, rows);
  }

  /** Inserts an aggregate with its first metadata; a taken name is reported, not thrown. */
  async insert(
    executor: Executor,
    row: { uuid: string; name: string; createdAt: string; metadata: Record<string, string> },
  ): Promise<AggregateInsertResult> {
    if (await this.#nameTaken(executor, row.name)) return { ok: false, conflict: "name" };
    const { id } = await executor
      .insertInto("aggregates")
      .values({ uuid: row.uuid, name: row.name, created_at: row.createdAt, updated_at: null })
      .returning("id")
      .executeTakeFirstOrThrow();
    await this.setMetadata(executor, Number(id), row.metadata);
    return { ok: true, id: Number(id) };
  }

  /** Renames an aggregate; false when another one has the name. */
  async rename(executor: Executor, id: number, name: string): Promise<boolean> {
    if (await this.#nameTaken(executor, name, id)) return false;
    await executor.updateTable("aggregates").set({ name }).where("id", "=", id).execute();
    return true;
  }

  async touch(executor: Executor, id: number, updatedAt: string): Promise<void> {
    await executor.updateTable("aggregates").set({ updated_at: updatedAt }).where("id", "=", id).execute();
  }

  /** Deletes an aggregate with its metadata (and host rows, which callers make sure are none). */
  async delete(executor: Executor, id: number): Promise<void> {
    await executor.deleteFrom("aggregate_metadata").where("aggregate_id", "=", id).execute();
    await executor.deleteFrom("aggregate_hosts").where("aggregate_id", "=", id).execute();
    await executor.deleteFrom("aggregates").where("id", "=", id).execute();
  }

  /** Takes the row lock of every aggregate until the transaction ends (a no-op update). */
  async lockAll(executor: Executor): Promise<void> {
    await executor
      .updateTable("aggregates")
      .set((eb) => ({ id: eb.ref("id") }))
      .execute();
  }

  async addHost(executor: Executor, id: number, host: string): Promise<void> {
    await executor.insertInto("aggregate_hosts").values({ aggregate_id: id, host }).execute();
  }

  /** Removes a host from an aggregate; false when it was not in it. */
  async removeHost(executor: Executor, id: number, host: string): Promise<boolean> {
    const result = await executor
      .deleteFrom("aggregate_hosts")
      .where("aggregate_id", "=", id)
      .where("host", "=", host)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Sets the given keys (upsert) and deletes those given null; other keys stay. */
  async setMetadata(executor: Executor, id: number, changes: Record<string, string | null>): Promise<void> {
    for (const [key, value] of Object.entries(changes)) {
      if (value === null) {
        await executor
          .deleteFrom("aggregate_metadata")
          .where("aggregate_id", "=", id)
          .where("key", "=", key)
          .execute();
      } else {
        await executor
          .insertInto("aggregate_metadata")
          .values({ aggregate_id: id, key, value })
          .onConflict((oc) => oc.columns(["aggregate_id", "key"]).doUpdateSet({ value }))
          .execute();
      }
    }
  }

  /** The servers not deleted whose host is one of `hosts`. */
  async serversOn(hosts: string[], executor: Executor = this.db): Promise<PlacedServer[]> {
    if (hosts.length === 0) return [];
    const rows = await executor
      .selectFrom("instances")
      .select(["host", "project_id", "vcpus", "memory_mb", "flavor"])
      .where("host", "in", hosts)
      .where("deleted", "=", 0)
      .orderBy("created_at")
      .orderBy("uuid")
      .execute();
    return rows.map((row) => {
      // the flavor is embedded as JSON (store/instance-record.ts); its disks are not columns
      const flavor = JSON.parse(row.flavor) as { root_gb?: number; ephemeral_gb?: number };
      return {
        host: row.host!,
        projectId: row.project_id,
        vcpus: Number(row.vcpus),
        memoryMb: Number(row.memory_mb),
        diskGb: (flavor.root_gb ?? 0) + (flavor.ephemeral_gb ?? 0),
      };
    });
  }

  async #nameTaken(executor: Executor, name: string, exceptId?: number): Promise<boolean> {
    let query = executor.selectFrom("aggregates").select("id").where("name", "=", name);
    if (exceptId !== undefined) query = query.where("id", "!=", exceptId);
    return (await query.executeTakeFirst()) !== undefined;
  }

  async #hydrate(executor: Executor, rows: AggregateRow[]): Promise<AggregateRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const hosts = await executor
      .selectFrom("aggregate_hosts")
      .select(["aggregate_id", "host"])
      .where("aggregate_id", "in", ids)
      .orderBy("id")
      .execute();
    const metadata = await executor
      .selectFrom("aggregate_metadata")
      .select(["aggregate_id", "key", "value"])
      .where("aggregate_id", "in", ids)
      .orderBy("key")
      .execute();
    return rows.map((row) => ({
      id: Number(row.id),
      uuid: row.uuid,
      name: row.name,
      hosts: hosts.filter((h) => h.aggregate_id === row.id).map((h) => h.host),
      metadata: Object.fromEntries(
        metadata.filter((m) => m.aggregate_id === row.id).map((m) => [m.key, m.value]),
      ),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }
}
