import type { Insertable, Transaction, Updateable } from "kysely";
import type { Db } from "./database.js";
import type { Executor } from "./neutron-repository.js";
import type {
  Database,
  SecurityGroupRow,
  SecurityGroupRuleRow,
  SecurityGroupRuleTable,
  SecurityGroupTable,
} from "./schema.js";

/**
 * The rows of Neutron's security groups: groups, their rules, each project's default
 * group, and the groups of each port. Every method takes an optional executor so the
 * services can compose them in one transaction.
 */
export class SecurityGroupRepository {
  constructor(readonly db: Db) {}

  transaction<T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(work);
  }

  // groups

  insertGroup(row: Insertable<SecurityGroupTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("security_groups").values(row).execute();
  }

  findGroup(id: string, ex: Executor = this.db): Promise<SecurityGroupRow | undefined> {
    return ex.selectFrom("security_groups").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findGroups(ids: readonly string[], ex: Executor = this.db): Promise<SecurityGroupRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return ex.selectFrom("security_groups").selectAll().where("id", "in", ids).execute();
  }

  /** A project's groups; every one for undefined. */
  listGroups(projectId: string | undefined, ex: Executor = this.db): Promise<SecurityGroupRow[]> {
    let q = ex.selectFrom("security_groups").selectAll();
    if (projectId !== undefined) q = q.where("project_id", "=", projectId);
    return q.orderBy("created_at").orderBy("id").execute();
  }

  updateGroup(id: string, set: Updateable<SecurityGroupTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.updateTable("security_groups").set(set).where("id", "=", id).execute();
  }

  /** Takes the row lock of a group for the rest of the transaction (a no-op update). */
  async lockGroup(trx: Transaction<Database>, id: string): Promise<SecurityGroupRow | undefined> {
    await trx
      .updateTable("security_groups")
      .set((eb) => ({ revision_number: eb.ref("revision_number") }))
      .where("id", "=", id)
      .execute();
    return this.findGroup(id, trx);
  }

  /** Deletes a group; its rules, the rules naming it and its default_security_groups row cascade. */
  deleteGroup(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("security_groups").where("id", "=", id).execute();
  }

  // default groups

  async defaultGroupOf(projectId: string, ex: Executor = this.db): Promise<string | undefined> {
    const row = await ex
      .selectFrom("default_security_groups")
      .select("security_group_id")
      .where("project_id", "=", projectId)
      .executeTakeFirst();
    return row?.security_group_id;
  }

  /** The ids of the groups that are some project's default, of these. */
  async defaultsAmong(ids: readonly string[], ex: Executor = this.db): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await ex
      .selectFrom("default_security_groups")
      .select("security_group_id")
      .where("security_group_id", "in", ids)
      .execute();
    return new Set(rows.map((r) => r.security_group_id));
  }

  /**
   * Names a project's default group unless it has one: the primary key on project_id makes
   * a concurrent second claim do nothing (on PostgreSQL it waits for the first to commit).
   */
  async claimDefault(projectId: string, groupId: string, ex: Executor = this.db): Promise<void> {
    await ex
      .insertInto("default_security_groups")
      .values({ project_id: projectId, security_group_id: groupId })
      .onConflict((oc) => oc.column("project_id").doNothing())
      .execute();
  }

  // rules

  insertRule(row: Insertable<SecurityGroupRuleTable>, ex: Executor = this.db): Promise<unknown> {
    return ex.insertInto("security_group_rules").values(row).execute();
  }

  findRule(id: string, ex: Executor = this.db): Promise<SecurityGroupRuleRow | undefined> {
    return ex.selectFrom("security_group_rules").selectAll().where("id", "=", id).executeTakeFirst();
  }

  rulesOf(groupIds: readonly string[], ex: Executor = this.db): Promise<SecurityGroupRuleRow[]> {
    if (groupIds.length === 0) return Promise.resolve([]);
    return ex
      .selectFrom("security_group_rules")
      .selectAll()
      .where("security_group_id", "in", groupIds)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
  }

  /** Rules a project sees: those of its groups and those it owns; every one for undefined. */
  listRules(projectId: string | undefined, ex: Executor = this.db): Promise<SecurityGroupRuleRow[]> {
    let q = ex.selectFrom("security_group_rules").selectAll("security_group_rules");
    if (projectId !== undefined)
      q = q
        .innerJoin("security_groups", "security_groups.id", "security_group_rules.security_group_id")
        .where((eb) =>
          eb.or([
            eb("security_groups.project_id", "=", projectId),
            eb("security_group_rules.project_id", "=", projectId),
          ]),
        );
    return q.orderBy("security_group_rules.created_at").orderBy("security_group_rules.id").execute();
  }

  deleteRule(id: string, ex: Executor = this.db): Promise<unknown> {
    return ex.deleteFrom("security_group_rules").where("id", "=", id).execute();
  }

  // ports' groups

  async groupsOfPorts(portIds: readonly string[], ex: Executor = this.db): Promise<Map<string, string[]>> {
    const byPort = new Map<string, string[]>();
    if (portIds.length === 0) return byPort;
    const rows = await ex
      .selectFrom("port_security_groups")
      .selectAll()
      .where("port_id", "in", portIds)
      .orderBy("security_group_id")
      .execute();
    for (const row of rows)
      byPort.set(row.port_id, [...(byPort.get(row.port_id) ?? []), row.security_group_id]);
    return byPort;
  }

  async replacePortGroups(
    portId: string,
    groupIds: readonly string[],
    ex: Executor = this.db,
  ): Promise<void> {
    await ex.deleteFrom("port_security_groups").where("port_id", "=", portId).execute();
    if (groupIds.length > 0)
      await ex
        .insertInto("port_security_groups")
        .values(groupIds.map((id) => ({ port_id: portId, security_group_id: id })))
        .execute();
  }

  /** Whether some port is in the group. */
  async inUse(groupId: string, ex: Executor = this.db): Promise<boolean> {
    const row = await ex
      .selectFrom("port_security_groups")
      .select("port_id")
      .where("security_group_id", "=", groupId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
