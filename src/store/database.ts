import fs from "node:fs";
import path from "node:path";
import SQLite from "better-sqlite3";
import {
  type Expression,
  type ExpressionBuilder,
  Kysely,
  Migrator,
  type SqlBool,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteStatement,
  type StringReference,
  sql,
} from "kysely";
import { migrations } from "./migrations/index.js";
import { isPostgres, isPostgresUrl, openPostgres } from "./postgres.js";
import { budgetedMatch, filterRegExp } from "./regexp.js";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;

/**
 * Opens the store and brings its schema up to date: the PostgreSQL database at `url`
 * (a postgres:// or postgresql:// URL) when one is given, else the embedded SQLite file in
 * `dataDir` (WAL, so readers never wait on the writer). Only dialect-neutral Kysely is
 * used above this module; the few differences are helpers here and in postgres.ts.
 */
export async function openDatabase(dataDir: string, url?: string | null): Promise<Db> {
  if (url && !isPostgresUrl(url)) {
    throw new Error("the database must be a postgres:// or postgresql:// URL (or none, for SQLite)");
  }
  const db = url ? openPostgres(url) : openSqlite(dataDir);
  try {
    await migrate(db);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return db;
}

function openSqlite(dataDir: string): Db {
  fs.mkdirSync(dataDir, { recursive: true });
  const sqlite = new SQLite(path.join(dataDir, "nimbus.sqlite"));
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  registerRegexp(sqlite);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
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

/** The values an integer column holds: 32 bits, PostgreSQL's integer (SQLite's are wider). */
const INTEGER_MIN = -(2 ** 31);
const INTEGER_MAX = 2 ** 31 - 1;

/**
 * Whether `value` may be compared with an integer column. PostgreSQL refuses (an error) a
 * parameter outside the column's type where SQLite merely finds no row, so a query given
 * such a value (an id or filter from a request) answers without asking: no row equals it.
 */
export function fitsInteger(value: number): boolean {
  return Number.isInteger(value) && value >= INTEGER_MIN && value <= INTEGER_MAX;
}

/** `column >= min` on an integer column, for any number `min` a request may give. */
export function integerAtLeast<DB, TB extends keyof DB>(
  eb: ExpressionBuilder<DB, TB>,
  column: StringReference<DB, TB>,
  min: number,
): Expression<SqlBool> {
  const bound = Math.ceil(min);
  if (bound > INTEGER_MAX) return eb.lit(false);
  return sql<SqlBool>`${eb.ref(column)} >= ${Math.max(bound, INTEGER_MIN)}`;
}

/**
 * `column` matches the regular expression `pattern` (unanchored, case-sensitive), as
 * nova's name, hostname and ip filters ask. On SQLite the match is JavaScript's, bounded as
 * regexp.ts explains; on PostgreSQL it is `~` (its POSIX advanced expressions read the
 * patterns clients send, literals, classes, anchors, repeats and groups, as JavaScript does),
 * which runs in the database server, off this process's event loop. Both engines refuse the
 * same patterns (RegexpFilterRefused), and a pattern that is not a regular expression
 * matches nothing.
 */
export function matchesRegexp<DB, TB extends keyof DB>(
  db: Db,
  eb: ExpressionBuilder<DB, TB>,
  column: StringReference<DB, TB>,
  pattern: string,
): Expression<SqlBool> {
  if (filterRegExp(pattern) === null) return eb.lit(false);
  if (isPostgres(db)) return sql<SqlBool>`${eb.ref(column)} ~ ${pattern}`;
  return sql<SqlBool>`nimbus_regexp(${pattern}, ${eb.ref(column)}) = 1`;
}

/**
 * Runs a query that may hold matchesRegexp conditions; on PostgreSQL a pattern JavaScript
 * reads but PostgreSQL does not is an error (SQLSTATE 2201B) rather than no match, so it is
 * turned into no rows here.
 */
export async function listRegexpRows<T>(query: Promise<T[]>): Promise<T[]> {
  try {
    return await query;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === "2201B") return [];
    throw error;
  }
}

/** SQLite has no regular expressions of its own: matchesRegexp's function, charged to the turn's budget. */
function registerRegexp(sqlite: SQLite.Database): void {
  sqlite.function("nimbus_regexp", { deterministic: false }, (pattern: unknown, value: unknown) =>
    budgetedMatch(String(pattern), value),
  );
}
