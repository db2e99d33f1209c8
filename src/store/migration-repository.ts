import type { Insertable, Transaction } from "kysely";
import { type Db, fitsInteger } from "./database.js";
import type { Database, MigrationRow, MigrationTable, MigrationUpdate } from "./schema.js";

/** A listing of migrations in store terms (nova's migration_get_all_by_filters). */
export interface MigrationFilter {
  instanceUuid?: string;
  statuses?: string[];
  /** Moves from or to this compute host. */
  host?: string;
  /** Moves from this compute host (ignored when `host` is given, as nova does). */
  sourceCompute?: string;
  migrationType?: string;
  userId?: string;
  projectId?: string;
  /** Changed at or after / at or before these times (ISO 8601, UTC). */
  changesSince?: string;
  changesBefore?: string;
  /** "id": by id (nova's unsorted listing); "newest": created_at then id, newest first. */
  order: "id" | "newest";
  /** For "newest": the rows after this one. */
  after?: MigrationRow;
  limit?: number;
}

/**
 * The migrations table (0009). Only the migrations of servers not deleted are listed:
 * nova deletes a server's migration records with the server.
 */
export class MigrationRepository {
  constructor(private readonly db: Db) {}

  async insert(row: Insertable<MigrationTable>): Promise<MigrationRow> {
    return this.db.insertInto("migrations").values(row).returningAll().executeTakeFirstOrThrow();
  }

  /** Changes a record and stamps its updated_at (nova's Migration.save). */
  async update(
    id: number,
    changes: MigrationUpdate,
    now: string,
    executor: Db | Transaction<Database> = this.db,
  ): Promise<void> {
    await executor
      .updateTable("migrations")
      .set({ ...changes, updated_at: now })
      .where("id", "=", id)
      .execute();
  }

  /** A server's migration by its integer id (none beyond the column's range). */
  async ofInstance(instanceUuid: string, id: number): Promise<MigrationRow | undefined> {
    if (!fitsInteger(id)) return undefined;
    return this.db
      .selectFrom("migrations")
      .selectAll()
      .where("id", "=", id)
      .where("instance_uuid", "=", instanceUuid)
      .executeTakeFirst();
  }

  /** Any migration by uuid, a deleted server's included (nova's marker lookup reads deleted rows). */
  async byUuid(uuid: string): Promise<MigrationRow | undefined> {
    return this.db.selectFrom("migrations").selectAll().where("uuid", "=", uuid).executeTakeFirst();
  }

  /** The newest migration of a server in one of `statuses` (or in any status but `except`), of `type` if given. */
  async latest(
    instanceUuid: string,
    match: { in?: readonly string[]; except?: readonly string[]; type?: string },
  ): Promise<MigrationRow | undefined> {
    let q = this.db.selectFrom("migrations").selectAll().where("instance_uuid", "=", instanceUuid);
    if (match.in) q = q.where("status", "in", [...match.in]);
    if (match.except) q = q.where("status", "not in", [...match.except]);
    if (match.type) q = q.where("migration_type", "=", match.type);
    return q.orderBy("id", "desc").executeTakeFirst();
  }

  async list(filter: MigrationFilter): Promise<MigrationRow[]> {
    if (filter.limit === 0) return [];
    let q = this.db
      .selectFrom("migrations")
      .selectAll()
      .where("instance_uuid", "in", (eb) =>
        eb.selectFrom("instances").select("uuid").where("deleted", "=", 0),
      );
    if (filter.instanceUuid !== undefined) q = q.where("instance_uuid", "=", filter.instanceUuid);
    if (filter.statuses !== undefined) q = q.where("status", "in", filter.statuses);
    if (filter.host !== undefined) {
      const host = filter.host;
      q = q.where((eb) => eb.or([eb("source_compute", "=", host), eb("dest_compute", "=", host)]));
    } else if (filter.sourceCompute !== undefined) {
      q = q.where("source_compute", "=", filter.sourceCompute);
    }
    if (filter.migrationType !== undefined) q = q.where("migration_type", "=", filter.migrationType);
    if (filter.userId !== undefined) q = q.where("user_id", "=", filter.userId);
    if (filter.projectId !== undefined) q = q.where("project_id", "=", filter.projectId);
    // a record never saved after its creation has no updated_at, and matches neither
    if (filter.changesSince !== undefined) q = q.where("updated_at", ">=", filter.changesSince);
    if (filter.changesBefore !== undefined) q = q.where("updated_at", "<=", filter.changesBefore);
    if (filter.order === "newest") {
      const m = filter.after;
      if (m) {
        q = q.where((eb) =>
          eb.or([
            eb("created_at", "<", m.created_at),
            eb.and([eb("created_at", "=", m.created_at), eb("id", "<", m.id)]),
          ]),
        );
      }
      q = q.orderBy("created_at", "desc").orderBy("id", "desc");
    } else {
      q = q.orderBy("id", "asc");
    }
    if (filter.limit !== undefined) q = q.limit(filter.limit);
    return q.execute();
  }
}
