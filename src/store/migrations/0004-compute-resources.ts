import type { Kysely } from "kysely";

// Keypairs: nova's keypair show view carries an integer `id` (its row id). The column is
// added nullable (SQLite cannot add a NOT NULL column without a default) and filled by the
// keypair repository on insert; the unique index guards against two inserts picking the
// same number.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("keypairs").addColumn("id", "integer").execute();
  await db.schema.createIndex("keypairs_id").on("keypairs").column("id").unique().execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex("keypairs_id").execute();
  await db.schema.alterTable("keypairs").dropColumn("id").execute();
}
