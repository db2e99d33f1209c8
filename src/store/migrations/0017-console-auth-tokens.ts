import type { Kysely } from "kysely";

// nova's console_auth_tokens: the tokens a remote console URL carries. Only the token's
// SHA-256 is kept (as for Keystone tokens), so a read of the table cannot open a console.
// A row goes with its server; expired rows are deleted when tokens are next issued.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("console_auth_tokens")
    .addColumn("token_hash", "text", (c) => c.primaryKey())
    .addColumn("instance_uuid", "text", (c) => c.notNull().references("instances.uuid").onDelete("cascade"))
    .addColumn("console_type", "text", (c) => c.notNull())
    .addColumn("host", "text", (c) => c.notNull())
    .addColumn("port", "integer", (c) => c.notNull())
    .addColumn("internal_access_path", "text")
    .addColumn("expires_at", "text", (c) => c.notNull())
    .addColumn("created_at", "text", (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex("console_auth_tokens_expires_at")
    .on("console_auth_tokens")
    .column("expires_at")
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("console_auth_tokens").execute();
}
