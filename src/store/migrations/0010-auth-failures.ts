import type { Kysely } from "kysely";

// Consecutive failed password authentications per user, for Keystone's lockout
// ([security_compliance] lockout_failure_attempts and lockout_duration). Keystone keeps
// them on its local_user row (failed_auth_count, failed_auth_at); nimbus keeps them in a
// table of their own, so that a user without failures has no row and the users table
// stays as it is.
//
// - failure_count: failures since the last success (or since the lockout last ended).
// - last_failure_at: when the last one happened; a lockout ends lockout_duration after it.
// - the row goes with its user.

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("user_auth_failures")
    .addColumn("user_id", "text", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("failure_count", "integer", (c) => c.notNull())
    .addColumn("last_failure_at", "text", (c) => c.notNull())
    .execute();
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable("user_auth_failures").execute();
}
