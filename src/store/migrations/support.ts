import type { ColumnDataType, Kysely } from "kysely";
import { isPostgres } from "../postgres.js";

// What migrations share. They use dialect-neutral types only (text, integer, bigint), so
// the same migration runs on SQLite and PostgreSQL: times are ISO 8601 UTC strings,
// booleans 0/1, JSON text. autoId is the one type that differs.

/**
 * An integer key the database assigns. SQLite's INTEGER PRIMARY KEY is already that (a
 * rowid alias); PostgreSQL needs serial.
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations must not depend on the current schema type
export function autoId(db: Kysely<any>): ColumnDataType {
  return isPostgres(db) ? "serial" : "integer";
}
