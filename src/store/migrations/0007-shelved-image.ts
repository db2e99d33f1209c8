import type { Kysely } from "kysely";

// Instances: the snapshot a shelved server is restored from (nova keeps it as the
// `shelved_image_id` system metadata key): set by shelve, read and cleared by unshelve,
// and deleted with the server.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("instances").addColumn("shelved_image_id", "text").execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("instances").dropColumn("shelved_image_id").execute();
}
