import type { Transaction } from "kysely";
import type { Db } from "./database.js";
import type { Database, ServerGroupRow } from "./schema.js";

export type Executor = Db | Transaction<Database>;

/** nova's rules object; `max_server_per_host` is the only rule (anti-affinity, 2.64). */
export interface ServerGroupRules {
  max_server_per_host?: number;
}

export interface ServerGroupRecord {
  uuid: string;
  name: string;
  projectId: string;
  userId: string;
  policy: string;
  rules: ServerGroupRules;
  createdAt: string;
}

/** Where a live member of a group is: its host (null while unscheduled) and its vm_state. */
export interface MemberPlacement {
  uuid: string;
  host: string | null;
  vmState: string;
}

function toRecord(row: ServerGroupRow): ServerGroupRecord {
  return {
    uuid: row.uuid,
    name: row.name,
    projectId: row.project_id,
    userId: row.user_id,
    policy: row.policy,
    rules: JSON.parse(row.rules),
    createdAt: row.created_at,
  };
}

/**
 * Server groups and their members. A member row outlives its server (nova keeps it until
 * rows are archived), so every read of members joins the instances and counts only the
 * servers that are not deleted.
 */
export class ServerGroupRepository {
  constructor(private readonly db: Db) {}

  async find(uuid: string, executor: Executor = this.db): Promise<ServerGroupRecord | undefined> {
    const row = await executor
      .selectFrom("server_groups")
      .selectAll()
      .where("uuid", "=", uuid)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  }

  /** Groups in creation order, of one project or (no projectId) of all; `offset` rows skipped. */
  async list(page: { projectId?: string; limit: number; offset: number }): Promise<ServerGroupRecord[]> {
    let query = this.db.selectFrom("server_groups").selectAll();
    if (page.projectId !== undefined) query = query.where("project_id", "=", page.projectId);
    const rows = await query
      .orderBy("created_at")
      .orderBy("uuid")
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toRecord);
  }

  async insert(executor: Executor, group: ServerGroupRecord): Promise<void> {
    await executor
      .insertInto("server_groups")
      .values({
        uuid: group.uuid,
        name: group.name,
        project_id: group.projectId,
        user_id: group.userId,
        policy: group.policy,
        rules: JSON.stringify(group.rules),
        created_at: group.createdAt,
      })
      .execute();
  }

  /** Deletes the group and its member rows (call in a transaction); false when there was no such group. */
  async delete(executor: Executor, uuid: string): Promise<boolean> {
    await executor.deleteFrom("server_group_members").where("group_uuid", "=", uuid).execute();
    const result = await executor.deleteFrom("server_groups").where("uuid", "=", uuid).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** The live servers of each group, in the order they joined (a multi-create by launch index). */
  async members(groupUuids: string[], executor: Executor = this.db): Promise<Map<string, string[]>> {
    const byGroup = new Map<string, string[]>(groupUuids.map((uuid) => [uuid, []]));
    if (groupUuids.length === 0) return byGroup;
    const rows = await executor
      .selectFrom("server_group_members as m")
      .innerJoin("instances as i", "i.uuid", "m.instance_uuid")
      .select(["m.group_uuid", "m.instance_uuid"])
      .where("m.group_uuid", "in", groupUuids)
      .where("i.deleted", "=", 0)
      .orderBy("m.created_at")
      .orderBy("i.launch_index")
      .orderBy("m.instance_uuid")
      .execute();
    for (const row of rows) byGroup.get(row.group_uuid)?.push(row.instance_uuid);
    return byGroup;
  }

  async addMembers(executor: Executor, groupUuid: string, instanceUuids: string[]): Promise<void> {
    if (instanceUuids.length === 0) return;
    const created_at = new Date().toISOString();
    await executor
      .insertInto("server_group_members")
      .values(instanceUuids.map((instance_uuid) => ({ group_uuid: groupUuid, instance_uuid, created_at })))
      .execute();
  }

  /** Where the group's live servers are (or are headed), for the scheduler's policy check. */
  async placements(executor: Executor, groupUuid: string): Promise<MemberPlacement[]> {
    const rows = await executor
      .selectFrom("server_group_members as m")
      .innerJoin("instances as i", "i.uuid", "m.instance_uuid")
      .select(["i.uuid", "i.host", "i.vm_state"])
      .where("m.group_uuid", "=", groupUuid)
      .where("i.deleted", "=", 0)
      .execute();
    return rows.map((r) => ({ uuid: r.uuid, host: r.host, vmState: r.vm_state }));
  }

  /** The group a server is a member of (nova lets a server join one group, at create). */
  async groupOf(instanceUuid: string, executor: Executor = this.db): Promise<ServerGroupRecord | undefined> {
    const row = await executor
      .selectFrom("server_group_members as m")
      .innerJoin("server_groups as g", "g.uuid", "m.group_uuid")
      .selectAll("g")
      .where("m.instance_uuid", "=", instanceUuid)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Server groups of a project (of one user of it, when given): the server_groups quota count. */
  async count(executor: Executor, projectId: string, userId?: string): Promise<number> {
    let query = executor
      .selectFrom("server_groups")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("project_id", "=", projectId);
    if (userId !== undefined) query = query.where("user_id", "=", userId);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** A user's live servers in a group: nova counts server_group_members per group and user. */
  async countMembers(executor: Executor, groupUuid: string, userId: string): Promise<number> {
    const row = await executor
      .selectFrom("server_group_members as m")
      .innerJoin("instances as i", "i.uuid", "m.instance_uuid")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("m.group_uuid", "=", groupUuid)
      .where("i.user_id", "=", userId)
      .where("i.deleted", "=", 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
