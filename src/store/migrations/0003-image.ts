import type { Kysely } from "kysely";

// Images: Glance's `os_hidden` flag (hidden images stay out of the default list; openstacksdk's
// find_image looks for them with os_hidden=true), and an index for the per-project listing.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("images")
    .addColumn("os_hidden", "integer", (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex("images_owner").on("images").column("owner").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("images_owner").execute();
  await db.schema.alterTable("images").dropColumn("os_hidden").execute();
}
