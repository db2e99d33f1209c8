import type { Expression, ExpressionBuilder, SqlBool, Transaction } from "kysely";
import { type Db, integerAtLeast, listRegexpRows, matchesRegexp } from "./database.js";
import type { Database, FlavorRow, NewFlavorRow } from "./schema.js";

export type Executor = Db | Transaction<Database>;
type Eb = ExpressionBuilder<Database, "flavors">;

/** Who reads: admins see every flavor, others the public ones and those shared with their project. */
export interface FlavorReader {
  isAdmin: boolean;
  projectId: string | null;
}

/** Columns a flavor list may be sorted by (nova's sort_key values that map to a column). */
export const FLAVOR_SORT_COLUMNS = [
  "created_at",
  "description",
  "disabled",
  "ephemeral_gb",
  "flavorid",
  "is_public",
  "memory_mb",
  "name",
  "root_gb",
  "rxtx_factor",
  "swap",
  "updated_at",
  "vcpus",
] as const;
export type FlavorSortColumn = (typeof FLAVOR_SORT_COLUMNS)[number];

/** Nullable text columns sort (and compare for markers) as "" so both engines agree. */
const NULLABLE = new Set<FlavorSortColumn>(["description", "updated_at"]);

export interface FlavorListFilter {
  /** true: public ones plus those shared with the reader's project; false: private ones; null: all. */
  isPublic: boolean | null;
  /** Leave out disabled flavors. */
  enabledOnly?: boolean;
  minMemoryMb?: number;
  minRootGb?: number;
  nameRegex?: string;
  sortColumn: FlavorSortColumn;
  sortDir: "asc" | "desc";
  limit: number;
  /** flavorid of the last flavor of the previous page. */
  marker?: string;
}

export type FlavorInsertResult = { ok: true } | { ok: false; conflict: "name" | "flavorid" };

/** Flavors with their extra specs and project access lists. */
export class FlavorRepository {
  constructor(private readonly db: Db) {}

  /** The flavor if it exists and `reader` may see it. */
  async find(
    flavorid: string,
    reader: FlavorReader,
    executor: Executor = this.db,
  ): Promise<FlavorRow | undefined> {
    return executor
      .selectFrom("flavors")
      .selectAll()
      .where("flavorid", "=", flavorid)
      .where((eb) => eb.and(this.#visible(eb, reader)))
      .executeTakeFirst();
  }

  /** A page of flavors; `undefined` when the marker is not a flavor the reader can see. */
  async list(reader: FlavorReader, f: FlavorListFilter): Promise<FlavorRow[] | undefined> {
    let marker: FlavorRow | undefined;
    if (f.marker !== undefined) {
      marker = await this.find(f.marker, reader);
      if (!marker) return undefined;
    }
    const column = (eb: Eb) =>
      NULLABLE.has(f.sortColumn) ? eb.fn.coalesce(f.sortColumn, eb.val("")) : eb.ref(f.sortColumn);
    let query = this.db
      .selectFrom("flavors")
      .selectAll()
      .where((eb) => {
        const c = this.#visible(eb, reader);
        if (f.isPublic === false) c.push(eb("is_public", "=", 0));
        if (f.isPublic === true) {
          const shared = reader.projectId === null ? [] : [this.#sharedWith(eb, reader.projectId)];
          c.push(eb.or([eb("is_public", "=", 1), ...shared]));
        }
        if (f.enabledOnly) c.push(eb("disabled", "=", 0));
        if (f.minMemoryMb !== undefined) c.push(integerAtLeast(eb, "memory_mb", f.minMemoryMb));
        if (f.minRootGb !== undefined) c.push(integerAtLeast(eb, "root_gb", f.minRootGb));
        if (f.nameRegex !== undefined) c.push(matchesRegexp(this.db, eb, "name", f.nameRegex));
        if (marker) {
          // keyset pagination on (sort column, flavorid), both in the requested direction
          const op = f.sortDir === "asc" ? ">" : "<";
          const value = marker[f.sortColumn] ?? "";
          c.push(
            eb.or([
              eb(column(eb), op, value),
              eb.and([eb(column(eb), "=", value), eb("flavorid", op, marker.flavorid)]),
            ]),
          );
        }
        return eb.and(c);
      });
    query = query.orderBy((eb) => column(eb), f.sortDir).orderBy("flavorid", f.sortDir);
    return listRegexpRows(query.limit(f.limit).execute());
  }

  /** Inserts a flavor, or names the unique column that already holds its value. */
  async insert(row: NewFlavorRow): Promise<FlavorInsertResult> {
    return this.db
      .transaction()
      .execute(async (trx) => {
        const existing = await trx
          .selectFrom("flavors")
          .select(["flavorid", "name"])
          .where((eb) => eb.or([eb("flavorid", "=", row.flavorid), eb("name", "=", row.name)]))
          .execute();
        if (existing.some((e) => e.flavorid === row.flavorid))
          return { ok: false, conflict: "flavorid" } as const;
        if (existing.length > 0) return { ok: false, conflict: "name" } as const;
        await trx.insertInto("flavors").values(row).execute();
        return { ok: true } as const;
      })
      .catch(async (error: unknown) => {
        // a concurrent insert of the same id or name won the race (PostgreSQL)
        const taken = await this.db
          .selectFrom("flavors")
          .select("flavorid")
          .where((eb) => eb.or([eb("flavorid", "=", row.flavorid), eb("name", "=", row.name)]))
          .execute();
        if (taken.length === 0) throw error;
        return {
          ok: false,
          conflict: taken.some((t) => t.flavorid === row.flavorid) ? "flavorid" : "name",
        } as const;
      });
  }

  /** Inserts each flavor unless its id or name is taken; returns how many were added. */
  async insertMissing(rows: NewFlavorRow[]): Promise<number> {
    let added = 0;
    for (const row of rows) {
      const result = await this.db
        .insertInto("flavors")
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      added += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return added;
  }

  async updateDescription(flavorid: string, description: string | null, updatedAt: string): Promise<boolean> {
    const result = await this.db
      .updateTable("flavors")
      .set({ description, updated_at: updatedAt })
      .where("flavorid", "=", flavorid)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Deletes the flavor with its extra specs and access list; false when there was none. */
  async delete(flavorid: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("flavor_extra_specs").where("flavorid", "=", flavorid).execute();
      await trx.deleteFrom("flavor_projects").where("flavorid", "=", flavorid).execute();
      const result = await trx.deleteFrom("flavors").where("flavorid", "=", flavorid).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    });
  }

  /** Extra specs of each of the flavors, by flavorid. */
  async extraSpecs(flavorids: string[]): Promise<Map<string, Record<string, string>>> {
    const out = new Map<string, Record<string, string>>(flavorids.map((id) => [id, {}]));
    if (flavorids.length === 0) return out;
    const rows = await this.db
      .selectFrom("flavor_extra_specs")
      .selectAll()
      .where("flavorid", "in", flavorids)
      .orderBy("key")
      .execute();
    for (const row of rows) out.get(row.flavorid)![row.key] = row.value;
    return out;
  }

  /** Adds or replaces the given extra specs of a flavor. */
  async setExtraSpecs(flavorid: string, specs: Record<string, string>): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const [key, value] of Object.entries(specs)) {
        await trx
          .insertInto("flavor_extra_specs")
          .values({ flavorid, key, value })
          .onConflict((oc) => oc.columns(["flavorid", "key"]).doUpdateSet({ value }))
          .execute();
      }
    });
  }

  async deleteExtraSpec(flavorid: string, key: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("flavor_extra_specs")
      .where("flavorid", "=", flavorid)
      .where("key", "=", key)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Projects a (private) flavor is shared with. */
  async projects(flavorid: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom("flavor_projects")
      .select("project_id")
      .where("flavorid", "=", flavorid)
      .orderBy("project_id")
      .execute();
    return rows.map((r) => r.project_id);
  }

  /** Shares a flavor with a project; false when it already was. */
  async addProject(flavorid: string, projectId: string): Promise<boolean> {
    const result = await this.db
      .insertInto("flavor_projects")
      .values({ flavorid, project_id: projectId })
      .onConflict((oc) => oc.columns(["flavorid", "project_id"]).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /** Stops sharing a flavor with a project; false when it was not shared. */
  async removeProject(flavorid: string, projectId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("flavor_projects")
      .where("flavorid", "=", flavorid)
      .where("project_id", "=", projectId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** nova's flavor visibility (Flavor._flavor_get_query_from_db), as conditions to AND. */
  #visible(eb: Eb, reader: FlavorReader): Expression<SqlBool>[] {
    if (reader.isAdmin) return [];
    if (reader.projectId === null) return [eb("is_public", "=", 1)];
    return [eb.or([eb("is_public", "=", 1), this.#sharedWith(eb, reader.projectId)])];
  }

  #sharedWith(eb: Eb, projectId: string): Expression<SqlBool> {
    return eb.exists(
      eb
        .selectFrom("flavor_projects")
        .select("flavor_projects.project_id")
        .whereRef("flavor_projects.flavorid", "=", "flavors.flavorid")
        .where("flavor_projects.project_id", "=", projectId),
    );
  }
}
