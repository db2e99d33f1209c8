import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** What a project's servers use, as nova counts it (no reservations). */
export interface InstanceUsage {
  instances: number;
  cores: number;
  ram: number;
}

/**
 * Quota limits set for projects (rows override the defaults), the lock row that
 * quota-checked work takes first, and the usage counts the checks compare against.
 */
export class QuotaRepository {
  constructor(private readonly db: Db) {}

  /** The limits set for a project, by resource; resources without a row use the defaults. */
  async limits(projectId: string, executor: Executor = this.db): Promise<Record<string, number>> {
    const rows = await executor
      .selectFrom("quotas")
      .select(["resource", "hard_limit"])
      .where("project_id", "=", projectId)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
  }

  async setLimits(executor: Executor, projectId: string, limits: Record<string, number>): Promise<void> {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      await executor
        .insertInto("quotas")
        .values({ project_id: projectId, resource, hard_limit })
        .onConflict((oc) => oc.columns(["project_id", "resource"]).doUpdateSet({ hard_limit }))
        .execute();
    }
  }

  /** Drops the project's limits and every per-user limit inside it, as nova's delete does. */
  async deleteLimits(projectId: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("quotas").where("project_id", "=", projectId).execute();
      await trx.deleteFrom("project_user_quotas").where("project_id", "=", projectId).execute();
    });
  }

  /** The limits set for one user of a project, by resource. */
  async userLimits(
    projectId: string,
    userId: string,
    executor: Executor = this.db,
  ): Promise<Record<string, number>> {
    const rows = await executor
      .selectFrom("project_user_quotas")
      .select(["resource", "hard_limit"])
      .where("project_id", "=", projectId)
      .where("user_id", "=", userId)
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.hard_limit)]));
  }

  async setUserLimits(
    executor: Executor,
    projectId: string,
    userId: string,
    limits: Record<string, number>,
  ): Promise<void> {
    for (const [resource, hard_limit] of Object.entries(limits)) {
      await executor
        .insertInto("project_user_quotas")
        .values({ project_id: projectId, user_id: userId, resource, hard_limit })
        .onConflict((oc) => oc.columns(["project_id", "user_id", "resource"]).doUpdateSet({ hard_limit }))
        .execute();
    }
  }

  async deleteUserLimits(projectId: string, userId: string): Promise<void> {
    await this.db
      .deleteFrom("project_user_quotas")
      .where("project_id", "=", projectId)
      .where("user_id", "=", userId)
      .execute();
  }

  /** Per resource, the sum of the limits set for the project's users (what nova has "given out"). */
  async userLimitSums(executor: Executor, projectId: string): Promise<Record<string, number>> {
    const rows = await executor
      .selectFrom("project_user_quotas")
      .select((eb) => ["resource", eb.fn.sum<number | string>("hard_limit").as("total")])
      .where("project_id", "=", projectId)
      .groupBy("resource")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.resource, Number(r.total)]));
  }

  /**
   * Takes the lock row `key` for the rest of the transaction: inserted when missing, then
   * updated, so PostgreSQL holds a row lock until commit and concurrent checks of the same
   * key run one after the other. (SQLite's single connection serialises them anyway.)
   */
  async lock(executor: Executor, key: string): Promise<void> {
    await executor
      .insertInto("quota_locks")
      .values({ project_id: key })
      .onConflict((oc) => oc.column("project_id").doNothing())
      .execute();
    await executor
      .updateTable("quota_locks")
      .set((eb) => ({ version: eb("version", "+", 1) }))
      .where("project_id", "=", key)
      .execute();
  }

  /**
   * Servers of the project (of one user of it, when given) that hold quota: not deleted, and
   * not soft-deleted unless being restored. Their count, vCPUs and MiB of RAM.
   */
  async instanceUsage(executor: Executor, projectId: string, userId?: string): Promise<InstanceUsage> {
    let query = executor
      .selectFrom("instances")
      .select((eb) => [
        eb.fn.countAll().as("instances"),
        eb.fn.coalesce(eb.fn.sum("vcpus"), eb.lit(0)).as("cores"),
        eb.fn.coalesce(eb.fn.sum("memory_mb"), eb.lit(0)).as("ram"),
      ])
      .where("project_id", "=", projectId)
      .where("deleted", "=", 0)
      // as nova's counts: a soft-deleted server frees its quota until a restore takes it back
      .where((eb) => eb.or([eb("vm_state", "!=", "soft-delete"), eb("task_state", "=", "restoring")]));
    if (userId !== undefined) query = query.where("user_id", "=", userId);
    const row = await query.executeTakeFirstOrThrow();
    // PostgreSQL returns count and sum as bigint strings.
    return { instances: Number(row.instances), cores: Number(row.cores), ram: Number(row.ram) };
  }

  /** Keypairs of a user (nova counts the key_pairs quota per user). */
  async keypairCount(executor: Executor, userId: string): Promise<number> {
    const row = await executor
      .selectFrom("keypairs")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("user_id", "=", userId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
