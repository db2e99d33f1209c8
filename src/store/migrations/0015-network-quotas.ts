import type { Kysely } from "kysely";

// Neutron's quotas (its `quotas` table): a row per project and resource whose limit is not
// the default. Usage is counted from the resources' own tables, and concurrent creates of
// one project and resource serialise on a quota_locks row, as nova's quota checks do.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("network_quotas")
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("quota_limit", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("network_quotas_pk", ["project_id", "resource"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("network_quotas").execute();
}
