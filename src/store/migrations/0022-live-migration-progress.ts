import type { Kysely } from "kysely";

// How far a live migration's copy has come, as nova's migrations table keeps it
// (memory_total, memory_processed, memory_remaining, disk_total, disk_processed,
// disk_remaining, in bytes): written by the task as the source host reports the copy, read
// by GET /servers/{id}/migrations. Null until the copy starts, and for other moves.
// bigint: a disk's bytes pass 2^31.

const COLUMNS = [
  "memory_total",
  "memory_processed",
  "memory_remaining",
  "disk_total",
  "disk_processed",
  "disk_remaining",
] as const;

// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export async function up(db: Kysely<any>): Promise<void> {
  for (const column of COLUMNS) {
    await db.schema.alterTable("migrations").addColumn(column, "bigint").execute();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: see up()
export async function down(db: Kysely<any>): Promise<void> {
  for (const column of COLUMNS) {
    await db.schema.alterTable("migrations").dropColumn(column).execute();
  }
}
