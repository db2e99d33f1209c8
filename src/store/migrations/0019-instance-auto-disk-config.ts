import type { Kysely } from "kysely";

// nova's instances.auto_disk_config: whether the server's root partition is grown to its
// disk (OS-DCF:diskConfig AUTO) or left as the image made it (MANUAL, nova's default).

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("instances")
    .addColumn("auto_disk_config", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("instances").dropColumn("auto_disk_config").execute();
}
