import type { Expression, ExpressionBuilder, SqlBool, Transaction } from "kysely";
import { type Db, fitsInteger, listRegexpRows, matchesRegexp } from "./database.js";
import { InstancePortRepository } from "./instance-port-repository.js";
import { type Instance, toInstance } from "./instance-record.js";
import type { Database, InstanceRow, InstanceUpdate, NewInstanceRow } from "./schema.js";

type Executor = Db | Transaction<Database>;
type Eb = ExpressionBuilder<Database, "instances">;

/** Columns a server list may be sorted by, with whether they can hold NULL. */
export const SORT_COLUMNS = {
  created_at: false,
  updated_at: false,
  uuid: false,
  display_name: false,
  hostname: false,
  vm_state: false,
  task_state: true,
  power_state: false,
  host: true,
  node: true,
  availability_zone: true,
  key_name: true,
  launched_at: true,
  terminated_at: true,
  project_id: false,
  user_id: false,
  image_ref: false,
  flavor_id: false,
  locked: false,
  progress: false,
  launch_index: false,
  reservation_id: false,
  access_ip_v4: true,
  access_ip_v6: true,
  config_drive: false,
  display_description: true,
  root_device_name: true,
  auto_disk_config: false,
} as const;
export type SortColumn = keyof typeof SORT_COLUMNS;

export interface SortKey {
  column: SortColumn;
  direction: "asc" | "desc";
}

/** A server list query in store terms; the compute service builds it from nova's filters. */
export interface InstanceFilter {
  projectId?: string;
  /** "exclude" (default), "include" (changes-since lists show recently deleted), or "only". */
  deleted: "exclude" | "include" | "only";
  uuids?: string[];
  nameRegex?: string;
  hostnameRegex?: string;
  ipRegex?: string;
  ip6Regex?: string;
  vmStates?: string[];
  taskStates?: Array<string | null>;
  imageRef?: string;
  flavorId?: string;
  reservationId?: string;
  host?: string;
  node?: string;
  availabilityZone?: string;
  keyName?: string;
  userId?: string;
  locked?: boolean;
  powerStates?: number[];
  progress?: number;
  configDrive?: string;
  changesSince?: string;
  changesBefore?: string;
  createdAt?: string;
  launchedAt?: string;
  terminatedAt?: string;
  /** All of these tags. */
  tags?: string[];
  /** At least one of these tags. */
  tagsAny?: string[];
  /** Not all of these tags. */
  notTags?: string[];
  /** None of these tags. */
  notTagsAny?: string[];
  sort: SortKey[];
  limit: number;
  /** The last row of the previous page. */
  marker?: InstanceRow;
}

/** Servers and their parts: metadata, tags, faults and the addresses of their ports. */
export class InstanceRepository {
  constructor(private readonly db: Db) {}

  async insert(executor: Executor, row: NewInstanceRow, metadata: Record<string, string>, tags: string[]) {
    await executor.insertInto("instances").values(row).execute();
    const meta = Object.entries(metadata).map(([key, value]) => ({ instance_uuid: row.uuid, key, value }));
    if (meta.length > 0) await executor.insertInto("instance_metadata").values(meta).execute();
    const tagRows = [...new Set(tags)].map((tag) => ({ instance_uuid: row.uuid, tag }));
    if (tagRows.length > 0) await executor.insertInto("instance_tags").values(tagRows).execute();
  }

  async row(executor: Executor, uuid: string): Promise<InstanceRow | undefined> {
    return executor.selectFrom("instances").selectAll().where("uuid", "=", uuid).executeTakeFirst();
  }

  /** One server with its parts and its server groups (which lists leave out). */
  async get(uuid: string, executor: Executor = this.db): Promise<Instance | undefined> {
    const row = await this.row(executor, uuid);
    if (!row) return undefined;
    const [[instance], groups] = await Promise.all([
      this.hydrate([row], executor),
      executor
        .selectFrom("server_group_members")
        .select("group_uuid")
        .where("instance_uuid", "=", uuid)
        .orderBy("created_at")
        .execute(),
    ]);
    return { ...instance!, serverGroups: groups.map((g) => g.group_uuid) };
  }

  /** Applies `changes` (and bumps updated_at) only while the row matches `expect`; returns whether it did. */
  async update(
    executor: Executor,
    uuid: string,
    changes: InstanceUpdate,
    expect: { taskState?: string | null; notDeleted?: boolean } = {},
  ): Promise<boolean> {
    let query = executor
      .updateTable("instances")
      .set({ updated_at: new Date().toISOString(), ...changes })
      .where("uuid", "=", uuid);
    if (expect.taskState !== undefined) {
      query =
        expect.taskState === null
          ? query.where("task_state", "is", null)
          : query.where("task_state", "=", expect.taskState);
    }
    if (expect.notDeleted) query = query.where("deleted", "=", 0);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async setFault(executor: Executor, uuid: string, code: number, message: string, details: string | null) {
    const created_at = new Date().toISOString();
    await executor
      .insertInto("instance_faults")
      .values({ instance_uuid: uuid, code, message, details, created_at })
      .onConflict((oc) => oc.column("instance_uuid").doUpdateSet({ code, message, details, created_at }))
      .execute();
  }

  async clearFault(executor: Executor, uuid: string) {
    await executor.deleteFrom("instance_faults").where("instance_uuid", "=", uuid).execute();
  }

  /** Call in a transaction: two replacements of one server's metadata run one after the other. */
  async replaceMetadata(executor: Executor, uuid: string, metadata: Record<string, string>) {
    await this.#lock(executor, uuid);
    await executor.deleteFrom("instance_metadata").where("instance_uuid", "=", uuid).execute();
    const rows = Object.entries(metadata).map(([key, value]) => ({ instance_uuid: uuid, key, value }));
    if (rows.length > 0) await executor.insertInto("instance_metadata").values(rows).execute();
  }

  /**
   * Adds or overwrites these keys, reading the others under the server's row lock, so that
   * two merges at once never lose each other's keys. Answers the whole metadata.
   */
  async mergeMetadata(
    executor: Executor,
    uuid: string,
    metadata: Record<string, string>,
  ): Promise<Record<string, string>> {
    await this.#lock(executor, uuid);
    const rows = await executor
      .selectFrom("instance_metadata")
      .select(["key", "value"])
      .where("instance_uuid", "=", uuid)
      .execute();
    const merged = { ...Object.fromEntries(rows.map((r) => [r.key, r.value])), ...metadata };
    await this.replaceMetadata(executor, uuid, merged);
    return merged;
  }

  /** Removes one key; false when the server has no such key. */
  async deleteMetadataItem(executor: Executor, uuid: string, key: string): Promise<boolean> {
    const result = await executor
      .deleteFrom("instance_metadata")
      .where("instance_uuid", "=", uuid)
      .where("key", "=", key)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Servers left mid-operation with no open task to finish it (the safety net after a crash). */
  async orphaned(): Promise<InstanceRow[]> {
    return this.db
      .selectFrom("instances")
      .selectAll()
      .where("deleted", "=", 0)
      .where((eb) => eb.or([eb("task_state", "is not", null), eb("vm_state", "=", "building")]))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom("tasks")
              .select("tasks.id")
              .whereRef("tasks.instance_uuid", "=", "instances.uuid")
              .where("tasks.state", "in", ["pending", "running"]),
          ),
        ),
      )
      .execute();
  }

  /** Servers a host runs (launched, not deleted): what its hypervisor should hold. */
  async onHost(host: string): Promise<Instance[]> {
    const rows = await this.db
      .selectFrom("instances")
      .selectAll()
      .where("host", "=", host)
      .where("deleted", "=", 0)
      .where("launched_at", "is not", null)
      .execute();
    return this.hydrate(rows);
  }

  /** Soft-deleted servers at rest since before `cutoff` (what nova's reclaim task deletes). */
  async softDeletedBefore(cutoff: string): Promise<InstanceRow[]> {
    return this.db
      .selectFrom("instances")
      .selectAll()
      .where("deleted", "=", 0)
      .where("vm_state", "=", "soft-delete")
      .where("task_state", "is", null)
      .where((eb) => eb.or([eb("deleted_at", "is", null), eb("deleted_at", "<=", cutoff)]))
      .execute();
  }

  /** Call in a transaction: two replacements of one server's tags run one after the other. */
  async replaceTags(executor: Executor, uuid: string, tags: string[]) {
    await this.#lock(executor, uuid);
    await executor.deleteFrom("instance_tags").where("instance_uuid", "=", uuid).execute();
    const rows = [...new Set(tags)].map((tag) => ({ instance_uuid: uuid, tag }));
    if (rows.length > 0) await executor.insertInto("instance_tags").values(rows).execute();
  }

  /**
   * Takes the server's row lock for the rest of the transaction (a no-op update), so that
   * PostgreSQL's concurrent delete-and-insert of its parts cannot collide on their keys.
   * SQLite's single writer serialises them anyway.
   */
  async #lock(executor: Executor, uuid: string): Promise<void> {
    await executor
      .updateTable("instances")
      .set((eb) => ({ updated_at: eb.ref("updated_at") }))
      .where("uuid", "=", uuid)
      .execute();
  }

  async list(filter: InstanceFilter): Promise<Instance[]> {
    let query = this.db
      .selectFrom("instances")
      .selectAll()
      .where((eb) => eb.and(this.#conditions(eb, filter)));
    // NULLs order as SQLite orders them (first ascending), stated so PostgreSQL agrees.
    for (const key of filter.sort) {
      query = query.orderBy(key.column, (ob) =>
        key.direction === "asc" ? ob.asc().nullsFirst() : ob.desc().nullsLast(),
      );
    }
    const rows = await listRegexpRows(query.limit(filter.limit).execute());
    return this.hydrate(rows);
  }

  #conditions(eb: Eb, f: InstanceFilter): Expression<SqlBool>[] {
    const c: Expression<SqlBool>[] = [];
    if (f.projectId !== undefined) c.push(eb("project_id", "=", f.projectId));
    if (f.deleted === "exclude") c.push(eb("deleted", "=", 0));
    if (f.deleted === "only") c.push(eb("deleted", "=", 1));
    if (f.uuids) c.push(f.uuids.length ? eb("uuid", "in", f.uuids) : eb.val(false));
    if (f.nameRegex !== undefined) c.push(matchesRegexp(this.db, eb, "display_name", f.nameRegex));
    if (f.hostnameRegex !== undefined) c.push(matchesRegexp(this.db, eb, "hostname", f.hostnameRegex));
    for (const [regex, v4] of [
      [f.ipRegex, true],
      [f.ip6Regex, false],
    ] as const) {
      if (regex === undefined) continue;
      c.push(
        eb(
          "uuid",
          "in",
          eb
            .selectFrom("instance_ports")
            .innerJoin("port_ip_allocations", "port_ip_allocations.port_id", "instance_ports.port_id")
            .select("instance_ports.instance_uuid")
            .where((sub) => matchesRegexp(this.db, sub, "port_ip_allocations.ip_address", regex))
            .where("port_ip_allocations.ip_address", v4 ? "not like" : "like", "%:%"),
        ),
      );
    }
    if (f.vmStates) c.push(eb("vm_state", "in", f.vmStates.length ? f.vmStates : [""]));
    if (f.taskStates) {
      const named = f.taskStates.filter((t): t is string => t !== null);
      const alts: Expression<SqlBool>[] = [];
      if (named.length) alts.push(eb("task_state", "in", named));
      if (f.taskStates.includes(null)) alts.push(eb("task_state", "is", null));
      c.push(alts.length ? eb.or(alts) : eb.val(false));
    }
    const equal = [
      ["image_ref", f.imageRef],
      ["flavor_id", f.flavorId],
      ["reservation_id", f.reservationId],
      ["host", f.host],
      ["node", f.node],
      ["availability_zone", f.availabilityZone],
      ["key_name", f.keyName],
      ["user_id", f.userId],
      ["config_drive", f.configDrive],
      ["created_at", f.createdAt],
      ["launched_at", f.launchedAt],
      ["terminated_at", f.terminatedAt],
    ] as const;
    for (const [column, value] of equal) if (value !== undefined) c.push(eb(column, "=", value));
    if (f.locked !== undefined) c.push(eb("locked", "=", f.locked ? 1 : 0));
    if (f.progress !== undefined)
      c.push(fitsInteger(f.progress) ? eb("progress", "=", f.progress) : eb.lit(false));
    if (f.powerStates) {
      const states = f.powerStates.filter(fitsInteger);
      c.push(eb("power_state", "in", states.length ? states : [-1]));
    }
    if (f.changesSince !== undefined) c.push(eb("updated_at", ">=", f.changesSince));
    if (f.changesBefore !== undefined) c.push(eb("updated_at", "<=", f.changesBefore));
    const tagged = (tag: string) =>
      eb.exists(
        eb
          .selectFrom("instance_tags")
          .select("tag")
          .whereRef("instance_tags.instance_uuid", "=", "instances.uuid")
          .where("tag", "=", tag),
      );
    if (f.tags?.length) c.push(eb.and(f.tags.map(tagged)));
    if (f.tagsAny?.length) c.push(eb.or(f.tagsAny.map(tagged)));
    if (f.notTags?.length) c.push(eb.not(eb.and(f.notTags.map(tagged))));
    if (f.notTagsAny?.length) c.push(eb.not(eb.or(f.notTagsAny.map(tagged))));
    if (f.marker) c.push(this.#after(eb, f.sort, f.marker));
    return c;
  }

  /** Rows strictly after `marker` in the sort order (the sort always ends on uuid, so it is total). */
  #after(eb: Eb, sort: SortKey[], marker: InstanceRow): Expression<SqlBool> {
    const alternatives: Expression<SqlBool>[] = [];
    for (let i = 0; i < sort.length; i++) {
      const parts: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) parts.push(this.#compare(eb, sort[j]!, marker, "="));
      parts.push(this.#compare(eb, sort[i]!, marker, sort[i]!.direction === "asc" ? ">" : "<"));
      alternatives.push(eb.and(parts));
    }
    return eb.or(alternatives);
  }

  /** NULL sorts first ascending in SQLite and PostgreSQL's NULLS FIRST; compare NULL-aware. */
  #compare(eb: Eb, key: SortKey, marker: InstanceRow, op: "=" | ">" | "<"): Expression<SqlBool> {
    const value = marker[key.column] as string | number | null;
    const column = key.column;
    if (value === null) {
      if (op === "=") return eb(column, "is", null);
      return op === ">" ? eb(column, "is not", null) : eb.val(false);
    }
    if (op === "=") return eb(column, "=", value);
    if (op === ">") return eb(column, ">", value);
    return SORT_COLUMNS[column]
      ? eb.or([eb(column, "<", value), eb(column, "is", null)])
      : eb(column, "<", value);
  }

  async hydrate(rows: InstanceRow[], executor: Executor = this.db): Promise<Instance[]> {
    if (rows.length === 0) return [];
    const uuids = rows.map((r) => r.uuid);
    const nics = new InstancePortRepository(this.db);
    const [meta, tags, faults, addrBy, groupsBy] = await Promise.all([
      executor.selectFrom("instance_metadata").selectAll().where("instance_uuid", "in", uuids).execute(),
      executor.selectFrom("instance_tags").selectAll().where("instance_uuid", "in", uuids).execute(),
      executor.selectFrom("instance_faults").selectAll().where("instance_uuid", "in", uuids).execute(),
      nics.addressesOf(uuids, executor),
      nics.securityGroupsOf(uuids, executor),
    ]);
    const metaBy = new Map<string, Record<string, string>>();
    for (const m of meta) {
      const entry = metaBy.get(m.instance_uuid) ?? {};
      entry[m.key] = m.value;
      metaBy.set(m.instance_uuid, entry);
    }
    const tagsBy = new Map<string, string[]>();
    for (const t of tags) tagsBy.set(t.instance_uuid, [...(tagsBy.get(t.instance_uuid) ?? []), t.tag]);
    return rows.map((row) =>
      toInstance(row, {
        metadata: metaBy.get(row.uuid) ?? {},
        tags: (tagsBy.get(row.uuid) ?? []).sort(),
        fault: faults.find((f) => f.instance_uuid === row.uuid),
        addresses: addrBy.get(row.uuid) ?? [],
        securityGroups: groupsBy.get(row.uuid) ?? [],
      }),
    );
  }
}
