import type { Kysely } from "kysely";

// nova's project_user_quotas: a user's limits inside a project, where an admin set them
// with os-quota-sets?user_id=. A user without a row for a resource has the project's limit.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("project_user_quotas")
    .addColumn("project_id", "text", (c) => c.notNull())
    .addColumn("user_id", "text", (c) => c.notNull())
    .addColumn("resource", "text", (c) => c.notNull())
    .addColumn("hard_limit", "integer", (c) => c.notNull())
    .addPrimaryKeyConstraint("project_user_quotas_pk", ["project_id", "user_id", "resource"])
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("project_user_quotas").execute();
}
