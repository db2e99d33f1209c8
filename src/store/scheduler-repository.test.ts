/**
 * The candidate query's plan, on each engine (PostgreSQL in test/postgres/placement.test.ts):
 * with thousands of hosts it walks the free-RAM index and reads each row's inventories,
 * service and aggregates by key, stopping at its page; it never scans or sorts the providers.
 */
import { randomUUID } from "node:crypto";
import { type CompiledQuery, sql } from "kysely";
import { afterEach, beforeEach, expect, it } from "vitest";
import { flavorResources, Placement } from "../services/compute/placement.js";
import type { Db } from "./database.js";
import { isPostgres } from "./postgres.js";
import { SchedulerRepository } from "./scheduler-repository.js";
import { openTestDatabase } from "./testing.js";

const HOSTS = 3000;

let db: Db;
let close: () => Promise<void>;
beforeEach(async () => {
  ({ db, close } = await openTestDatabase());
});
afterEach(async () => close());

/** The SQL and parameters a call sends. */
async function compiled(run: () => Promise<unknown>): Promise<CompiledQuery> {
  const executor = db.getExecutor();
  const execute = executor.executeQuery.bind(executor);
  let seen: CompiledQuery | undefined;
  executor.executeQuery = ((query: CompiledQuery) => {
    seen ??= query;
    return execute(query);
  }) as typeof executor.executeQuery;
  try {
    await run();
  } finally {
    executor.executeQuery = execute;
  }
  return seen!;
}

it("walks the free-RAM index a page at a time, whatever the number of hosts", async () => {
  const placement = new Placement(db);
  const now = new Date().toISOString();
  const names = Array.from({ length: HOSTS }, (_, i) => `host-${i}`);
  await db.transaction().execute(async (trx) => {
    await placement.registerAll(
      trx,
      names.map((name) => ({ uuid: randomUUID(), name, vcpus: 4, memoryMb: 8192, localGb: 80 })),
      now,
    );
    await trx
      .insertInto("services")
      .values(
        names.map((host) => ({
          uuid: randomUUID(),
          host,
          binary: "nova-compute",
          disabled_reason: null,
          last_seen_up: now,
          created_at: now,
          updated_at: now,
          deleted_at: null,
        })),
      )
      .execute();
  });
  const repo = new SchedulerRepository(db);
  const query = {
    resources: flavorResources({ vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 0, swap: 0 }),
    zone: "nova",
    defaultZone: "nova",
    host: null,
    exclude: null,
  };
  const page = await repo.candidates(query, { limit: 16 });
  expect(page.map((c) => c.name)).toEqual([...names].sort().slice(0, 16));

  const candidates = await compiled(() => repo.candidates(query, { limit: 16 }));
  if (isPostgres(db)) {
    await sql`ANALYZE`.execute(db);
    const explained = await db.executeQuery<{ "QUERY PLAN": unknown }>({
      ...candidates,
      sql: `EXPLAIN (ANALYZE, FORMAT JSON) ${candidates.sql}`,
    });
    // the database goes back to the pool emptied: statistics of 3,000 hosts must not go with it
    for (const table of ["inventories", "resource_providers", "services"] as const)
      await db.deleteFrom(table).execute();
    await sql`ANALYZE`.execute(db);
    type PlanNode = {
      "Node Type": string;
      "Relation Name"?: string;
      "Index Name"?: string;
      "Actual Rows": number;
      Plans?: PlanNode[];
    };
    const nodes: PlanNode[] = [];
    const walk = (node: PlanNode) => {
      nodes.push(node);
      for (const child of node.Plans ?? []) walk(child);
    };
    walk((explained.rows[0]!["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan);
    const walked = nodes.find((n) => n["Index Name"] === "resource_providers_free_memory");
    // the index is read no further than the page
    expect(walked?.["Actual Rows"]).toBe(16);
    expect(
      nodes
        .filter((n) => n["Node Type"] === "Sort" || n["Node Type"] === "Seq Scan")
        .map((n) => n["Relation Name"] ?? n["Node Type"])
        .filter((r) => r !== "aggregate_hosts" && r !== "aggregate_metadata"),
    ).toEqual([]);
  } else {
    const explained = await db.executeQuery<{ detail: string }>({
      ...candidates,
      sql: `EXPLAIN QUERY PLAN ${candidates.sql}`,
    });
    const steps = explained.rows.map((r) => r.detail);
    expect(steps[0]).toMatch(
      /^SEARCH resource_providers USING COVERING INDEX resource_providers_free_memory/,
    );
    expect(steps.filter((s) => s.startsWith("SCAN") || s.includes("TEMP B-TREE"))).toEqual([]);
  }
});
