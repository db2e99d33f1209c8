import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, Migrator, type SqliteDatabase, SqliteDialect, type SqliteStatement } from "kysely";
import { migrations } from "./migrations/index.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

/**
 * Opens the embedded SQLite database in `dataDir` (WAL, so readers never wait on
 * the writer) and brings its schema up to date. Only dialect-neutral Kysely is
 * used above this function, so a PostgreSQL dialect can be dropped in here.
 */
export async function openDatabase(dataDir: string): Promise<Db> {
  fs.mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(path.join(dataDir, "nimbus.sqlite"));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  registerRegexp(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  await migrate(db);
  return db;
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ""} failed: ${String(error)}`);
  }
}

/** How many prepared statements are kept; the SQL of a query varies only with the lengths of its lists. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query anew, which was the largest single cost of
 * a simple authenticated GET (token lookup, roles, the listing). Prepared statements are
 * reusable here because nimbus never streams a query, so no statement is ever mid-iteration
 * when it is used again; SQLite re-prepares one by itself after a schema change.
 */
export function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement) {
        // Map order is insertion order: re-inserting keeps the least recently used first.
        cache.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

/**
 * SQLite has the REGEXP operator but no implementation of it; nova's name and ip
 * filters are regular expressions (PostgreSQL's `~` is the equivalent there).
 */
function registerRegexp(sqlite: SQLite.Database): void {
  const cache = new Map<string, RegExp | null>();
  sqlite.function("regexp", { deterministic: true }, (pattern: unknown, value: unknown) => {
    if (value === null || value === undefined) return 0;
    const source = String(pattern);
    let re = cache.get(source);
    if (re === undefined) {
      try {
        re = new RegExp(source);
      } catch {
        re = null;
      }
      if (cache.size > 1000) cache.clear();
      cache.set(source, re);
    }
    return re?.test(String(value)) ? 1 : 0;
  });
}
