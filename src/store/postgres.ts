import { Kysely, PostgresAdapter, PostgresDialect } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

/** Connections per process. Transactions hold one until they commit; single queries borrow one. */
const POOL_SIZE = 10;

/** Whether a `--database` value names a PostgreSQL server (the only engine chosen by URL). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** Whether `db` (or a transaction of it) runs on PostgreSQL rather than the embedded SQLite. */
// biome-ignore lint/suspicious/noExplicitAny: any schema, the migrations' included
export function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Kysely over a pool of connections to the PostgreSQL database at `url`. Nothing is
 * connected until the first query. pg's own types are kept: COUNT, SUM and bigint columns
 * come back as strings, which the repositories read with Number().
 */
export function openPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  // A connection that breaks while idle (the server restarted) is dropped by the pool and
  // the next query opens a new one; without a listener the error would end the process.
  pool.on("error", () => undefined);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

/** A PostgreSQL URL fit for a log line: the password left out. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(a PostgreSQL URL)";
  }
}
