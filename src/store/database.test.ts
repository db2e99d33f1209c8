import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { withStatementCache } from "./database.js";

describe("withStatementCache", () => {
  const sqlite = new SQLite(":memory:");
  afterEach(() => sqlite.exec("DROP TABLE IF EXISTS t"));

  it("hands out the same prepared statement for the same SQL, and a new one for other SQL", () => {
    const db = withStatementCache(sqlite);
    const a = db.prepare("SELECT 1 AS one");
    expect(db.prepare("SELECT 1 AS one")).toBe(a);
    expect(db.prepare("SELECT 2 AS two")).not.toBe(a);
    expect(a.all([])).toEqual([{ one: 1 }]);
  });

  it("keeps working across a schema change, as SQLite re-prepares the statement", () => {
    const db = withStatementCache(sqlite);
    sqlite.exec("CREATE TABLE t (a INTEGER)");
    db.prepare("INSERT INTO t (a) VALUES (?)").run([1]);
    const select = db.prepare("SELECT * FROM t");
    expect(select.all([])).toEqual([{ a: 1 }]);
    sqlite.exec("ALTER TABLE t ADD COLUMN b INTEGER DEFAULT 7");
    expect(db.prepare("SELECT * FROM t").all([])).toEqual([{ a: 1, b: 7 }]);
  });

  it("evicts the least recently used statement once 500 are kept", () => {
    const db = withStatementCache(sqlite);
    const first = db.prepare("SELECT 0");
    const second = db.prepare("SELECT 1");
    for (let i = 2; i < 500; i++) db.prepare(`SELECT ${i}`);
    db.prepare("SELECT 0"); // used again: now the most recent
    db.prepare("SELECT 500"); // the 501st: evicts "SELECT 1"
    expect(db.prepare("SELECT 0")).toBe(first);
    expect(db.prepare("SELECT 1")).not.toBe(second);
  });
});
