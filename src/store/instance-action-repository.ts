import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, InstanceActionEventRow, InstanceActionRow } from "./schema.js";

type Executor = Db | Transaction<Database>;

/** The audit trail of os-instance-actions: one action per accepted request, events per step on the host. */
export class InstanceActionRepository {
  constructor(private readonly db: Db) {}

  async start(
    executor: Executor,
    action: { instanceUuid: string; action: string; requestId: string; projectId: string; userId: string },
  ): Promise<number> {
    const now = new Date().toISOString();
    const row = await executor
      .insertInto("instance_actions")
      .values({
        request_id: action.requestId,
        instance_uuid: action.instanceUuid,
        action: action.action,
        project_id: action.projectId,
        user_id: action.userId,
        start_time: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** An event that started and ended within the request (nova's api_lock, api_unlock). */
  async recordEvent(executor: Executor, actionId: number, event: string): Promise<void> {
    const now = new Date().toISOString();
    await executor
      .insertInto("instance_action_events")
      .values({
        action_id: actionId,
        event,
        start_time: now,
        finish_time: now,
        result: "Success",
        host: null,
      })
      .execute();
  }

  async startEvent(actionId: number, event: string, host: string): Promise<number> {
    const now = new Date().toISOString();
    const row = await this.db
      .insertInto("instance_action_events")
      .values({ action_id: actionId, event, start_time: now, host })
      .returning("id")
      .executeTakeFirstOrThrow();
    await this.db
      .updateTable("instance_actions")
      .set({ updated_at: now })
      .where("id", "=", actionId)
      .execute();
    return row.id;
  }

  async finishEvent(
    eventId: number,
    result: "Success" | "Error",
    failure?: { message: string; traceback: string },
  ) {
    const now = new Date().toISOString();
    await this.db
      .updateTable("instance_action_events")
      .set({
        finish_time: now,
        result,
        traceback: failure?.traceback ?? null,
        details: failure?.message ?? null,
      })
      .where("id", "=", eventId)
      .execute();
  }

  async finish(actionId: number, message: string | null, executor: Executor = this.db) {
    const now = new Date().toISOString();
    await executor
      .updateTable("instance_actions")
      .set({ finish_time: now, updated_at: now, ...(message ? { message } : {}) })
      .where("id", "=", actionId)
      .execute();
  }

  async list(
    instanceUuid: string,
    options: {
      limit?: number;
      marker?: InstanceActionRow;
      changesSince?: string;
      changesBefore?: string;
    } = {},
  ): Promise<InstanceActionRow[]> {
    let q = this.db.selectFrom("instance_actions").selectAll().where("instance_uuid", "=", instanceUuid);
    if (options.changesSince) q = q.where("updated_at", ">=", options.changesSince);
    if (options.changesBefore) q = q.where("updated_at", "<=", options.changesBefore);
    if (options.marker) {
      const m = options.marker;
      q = q.where((eb) =>
        eb.or([
          eb("start_time", "<", m.start_time),
          eb.and([eb("start_time", "=", m.start_time), eb("id", "<", m.id)]),
        ]),
      );
    }
    q = q.orderBy("start_time", "desc").orderBy("id", "desc");
    if (options.limit !== undefined) q = q.limit(options.limit);
    return q.execute();
  }

  async byRequestId(instanceUuid: string, requestId: string): Promise<InstanceActionRow | undefined> {
    return this.db
      .selectFrom("instance_actions")
      .selectAll()
      .where("instance_uuid", "=", instanceUuid)
      .where("request_id", "=", requestId)
      .executeTakeFirst();
  }

  async events(actionId: number): Promise<InstanceActionEventRow[]> {
    return this.db
      .selectFrom("instance_action_events")
      .selectAll()
      .where("action_id", "=", actionId)
      .orderBy("id")
      .execute();
  }
}
