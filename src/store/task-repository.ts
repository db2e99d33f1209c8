import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, TaskRow } from "./schema.js";

export interface NewTask {
  id: string;
  kind: string;
  instanceUuid: string | null;
  actionId: number | null;
  host: string | null;
  payload: unknown;
  now: string;
}

type Executor = Db | Transaction<Database>;

/** The durable task queue: rows claimed under a lease, progress recorded per step. */
export class TaskRepository {
  constructor(private readonly db: Db) {}

  async insert(executor: Executor, task: NewTask): Promise<void> {
    await executor
      .insertInto("tasks")
      .values({
        id: task.id,
        kind: task.kind,
        instance_uuid: task.instanceUuid,
        action_id: task.actionId,
        host: task.host,
        state: "pending",
        payload: JSON.stringify(task.payload ?? {}),
        run_after: task.now,
        created_at: task.now,
        updated_at: task.now,
      })
      .execute();
  }

  /** Ids of tasks that are due, or whose lease ran out (their owner died). */
  async due(now: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("tasks")
      .select("id")
      .where((eb) =>
        eb.or([
          eb.and([eb("state", "=", "pending"), eb("run_after", "<=", now)]),
          eb.and([eb("state", "=", "running"), eb("lease_expires_at", "<", now)]),
        ]),
      )
      .orderBy("run_after")
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /** Takes the lease on a task if nobody holds a live one; returns the claimed row or undefined. */
  async claim(id: string, owner: string, now: string, leaseUntil: string): Promise<TaskRow | undefined> {
    const result = await this.db
      .updateTable("tasks")
      .set((eb) => ({
        state: "running",
        lease_owner: owner,
        lease_expires_at: leaseUntil,
        attempts: eb("attempts", "+", 1),
        updated_at: now,
      }))
      .where("id", "=", id)
      .where((eb) =>
        eb.or([
          eb("state", "=", "pending"),
          eb.and([eb("state", "=", "running"), eb("lease_expires_at", "<", now)]),
        ]),
      )
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return undefined;
    return this.db.selectFrom("tasks").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** Extends the lease; false when the lease was lost (another owner took the task). */
  async renew(id: string, owner: string, leaseUntil: string, step?: number): Promise<boolean> {
    const result = await this.db
      .updateTable("tasks")
      .set({ lease_expires_at: leaseUntil, ...(step === undefined ? {} : { step }) })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async complete(id: string, owner: string): Promise<void> {
    await this.db.deleteFrom("tasks").where("id", "=", id).where("lease_owner", "=", owner).execute();
  }

  /** Marks the task failed, its payload replaced by `payload` (the engine's, without the task's secrets). */
  async fail(id: string, owner: string, error: string, now: string, payload: string): Promise<void> {
    await this.db
      .updateTable("tasks")
      .set({
        state: "failed",
        last_error: error,
        payload,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: now,
      })
      .where("id", "=", id)
      .where("lease_owner", "=", owner)
      .execute();
  }

  /** Hands back every running task of a dead owner set (all but `liveOwner`) so it resumes now. */
  async releaseOthers(liveOwner: string, now: string): Promise<number> {
    const result = await this.db
      .updateTable("tasks")
      .set({ state: "pending", lease_owner: null, lease_expires_at: null, run_after: now, updated_at: now })
      .where("state", "=", "running")
      .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_owner", "!=", liveOwner)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async countOpen(): Promise<number> {
    const row = await this.db
      .selectFrom("tasks")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("state", "in", ["pending", "running"])
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
