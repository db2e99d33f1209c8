/**
 * What the store must do alike on SQLite and PostgreSQL, where the two engines differ:
 * regular-expression filters, integers from requests beyond the columns' range, numbers
 * PostgreSQL returns as strings (COUNT, SUM, bigint), and keys the database assigns. It
 * runs on SQLite here and on PostgreSQL from test/postgres/store.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AggregateRepository } from "./aggregate-repository.js";
import { ComputeHostRepository } from "./compute-host-repository.js";
import type { Db } from "./database.js";
import { FlavorRepository } from "./flavor-repository.js";
import { ImageRepository } from "./image-repository.js";
import { InstanceActionRepository } from "./instance-action-repository.js";
import { type InstanceFilter, InstanceRepository } from "./instance-repository.js";
import { isPostgres } from "./postgres.js";
import { QuotaRepository } from "./quota-repository.js";
import { budgetedMatch, REGEXP_MAX_LENGTH, RegexpFilterRefused } from "./regexp.js";
import { insertTestAddress, insertTestInstance, openTestDatabase } from "./testing.js";

const P = "0123456789abcdef0123456789abcdef";
const NOW = "2030-01-01T00:00:00.000Z";
/** Beyond a 32-bit integer column, and beyond any integer at all. */
const BEYOND = [2 ** 31, -(2 ** 31) - 1, 1e30];

let db: Db;
let close: () => Promise<void>;
beforeEach(async () => {
  ({ db, close } = await openTestDatabase());
});
afterEach(async () => close());

/** A server named `name` (its hostname too) with `address` on the private network. */
async function server(name: string, address: string, changes: { progress?: number } = {}) {
  const uuid = await insertTestInstance(db, { projectId: P, vcpus: 1, memoryMb: 64 });
  await db
    .updateTable("instances")
    .set({ display_name: name, hostname: name, power_state: 1, ...changes })
    .where("uuid", "=", uuid)
    .execute();
  await insertTestAddress(db, uuid, address);
  return uuid;
}

const listed = async (filter: Partial<InstanceFilter>) =>
  (
    await new InstanceRepository(db).list({
      deleted: "exclude",
      sort: [{ column: "display_name", direction: "asc" }],
      limit: 100,
      ...filter,
    })
  ).map((i) => i.name);

describe("regular-expression filters", () => {
  beforeEach(async () => {
    await server("web-1", "10.0.0.11");
    await server("web-22", "10.0.0.22");
    await server("db-1", "10.0.0.3");
  });

  it("match server names, hostnames and addresses anywhere, case-sensitively", async () => {
    expect(await listed({ nameRegex: "^web-[0-9]+$" })).toEqual(["web-1", "web-22"]);
    expect(await listed({ nameRegex: "-1" })).toEqual(["db-1", "web-1"]);
    expect(await listed({ nameRegex: "WEB" })).toEqual([]);
    expect(await listed({ hostnameRegex: "^db" })).toEqual(["db-1"]);
    expect(await listed({ ipRegex: "^10\\.0\\.0\\.[12]" })).toEqual(["web-1", "web-22"]);
    expect(await listed({ ip6Regex: "10" })).toEqual([]);
  });

  it("match nothing when the pattern is not a regular expression", async () => {
    expect(await listed({ nameRegex: "web-(" })).toEqual([]);
    expect(await listed({ ipRegex: "[" })).toEqual([]);
  });

  it("refuse, alike on both engines, patterns too long or that cannot run in linear time", async () => {
    for (const pattern of ["(a)\\1", "(?<=a)b", "x".repeat(REGEXP_MAX_LENGTH + 1)]) {
      await expect(listed({ nameRegex: pattern }), pattern).rejects.toBeInstanceOf(RegexpFilterRefused);
    }
    expect(await listed({ nameRegex: "x".repeat(REGEXP_MAX_LENGTH) })).toEqual([]);
  });

  it("run hostile patterns in bounded time: linear matching, then the budget", async () => {
    await server(`${"a".repeat(40)}!`, "10.0.0.40");
    const started = performance.now();
    // exponential for a backtracking engine on this name; linear here
    expect(await listed({ nameRegex: "^(a+)+$" })).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
    if (isPostgres(db)) return; // PostgreSQL matches in its own process, off this event loop
    // slow per row even in linear time: enough rows exhaust the budget
    for (let i = 0; i < 400; i++)
      await server(`${"b".repeat(200)}-${i}`, `10.0.${1 + Math.floor(i / 200)}.${i % 200}`);
    await expect(listed({ nameRegex: "^(.*){16}X" })).rejects.toThrow(/took too long/);
  });

  it("share one budget among all the conditions of a query: two slow ones cannot hold the loop twice as long", () => {
    // matches alternating between two patterns, all in one turn, as one statement runs them
    // short enough that one match is a small part of the budget, even on a loaded machine
    const value = `${"c".repeat(2_000)}!`;
    let calls = 0;
    expect(() => {
      for (;;) {
        budgetedMatch(calls++ % 2 === 0 ? "^(.*){8}X" : "^(c*)*Y", value);
      }
    }).toThrow(RegexpFilterRefused);
    expect(calls).toBeGreaterThan(1);
  });

  it("match flavor names", async () => {
    const flavors = new FlavorRepository(db);
    for (const [flavorid, name] of [
      ["1", "m1.tiny"],
      ["2", "m1.small"],
      ["3", "x1.small"],
    ] as const) {
      await flavors.insert({ flavorid, name, vcpus: 1, memory_mb: 64, root_gb: 1, created_at: NOW });
    }
    const names = async (nameRegex: string) =>
      (await flavors.list(
        { isAdmin: true, projectId: null },
        { isPublic: null, nameRegex, sortColumn: "flavorid", sortDir: "asc", limit: 10 },
      ))!.map((f) => f.name);
    expect(await names("small$")).toEqual(["m1.small", "x1.small"]);
    expect(await names("^m1\\.")).toEqual(["m1.tiny", "m1.small"]);
    expect(await names("(")).toEqual([]);
  });
});

describe("integers from a request beyond the columns' range", () => {
  it("find no aggregate, service or hypervisor with such an id", async () => {
    const aggregates = new AggregateRepository(db);
    const hosts = new ComputeHostRepository(db);
    await aggregates.insert(db, { uuid: "a-1", name: "agg", createdAt: NOW, metadata: {} });
    await hosts.insertService(db, { uuid: "s-1", host: "h", binary: "nova-compute", now: NOW });
    for (const id of BEYOND) {
      expect(await aggregates.find(id)).toBeUndefined();
      expect(await hosts.service({ id })).toBeUndefined();
      expect(await hosts.node({ id })).toBeUndefined();
    }
    expect((await aggregates.find(1))?.name).toBe("agg");
    expect((await hosts.service({ id: 1 }))?.uuid).toBe("s-1");
  });

  it("match no server by progress or power state, and compare flavor minimums", async () => {
    await server("vm", "10.0.0.5", { progress: 7 });
    for (const n of BEYOND) {
      expect(await listed({ progress: n })).toEqual([]);
      expect(await listed({ powerStates: [n] })).toEqual([]);
    }
    expect(await listed({ progress: 7, powerStates: [2 ** 31, 1] })).toEqual(["vm"]);

    const flavors = new FlavorRepository(db);
    await flavors.insert({
      flavorid: "1",
      name: "f",
      vcpus: 1,
      memory_mb: 512,
      root_gb: 10,
      created_at: NOW,
    });
    const count = async (minMemoryMb: number, minRootGb = 0) =>
      (await flavors.list(
        { isAdmin: true, projectId: null },
        { isPublic: null, minMemoryMb, minRootGb, sortColumn: "flavorid", sortDir: "asc", limit: 10 },
      ))!.length;
    expect([await count(2 ** 31), await count(1e30), await count(0, 2 ** 40)]).toEqual([0, 0, 0]);
    expect([await count(-(2 ** 40)), await count(511.5), await count(512.5)]).toEqual([1, 1, 0]);
  });
});

describe("concurrent writers", () => {
  it("replace a server's metadata and tags one after the other", async () => {
    const uuid = await insertTestInstance(db, { projectId: P, vcpus: 1, memoryMb: 64 });
    const instances = new InstanceRepository(db);
    const writers = Array.from({ length: 12 }, (_, i) =>
      db.transaction().execute(async (trx) => {
        await instances.replaceMetadata(trx, uuid, { a: `${i}`, b: `${i}` });
        await instances.replaceTags(trx, uuid, ["x", `t${i}`]);
      }),
    );
    await Promise.all(writers);
    const server = await instances.get(uuid);
    const last = server!.metadata.a!;
    expect(server).toMatchObject({ metadata: { a: last, b: last }, tags: [`t${last}`, "x"] });
  });
});

describe("numbers", () => {
  it("reads counts, sums and bigint columns as numbers", async () => {
    await insertTestInstance(db, { projectId: P, vcpus: 2, memoryMb: 3_000_000_000 / 2 });
    await insertTestInstance(db, { projectId: P, vcpus: 3, memoryMb: 3_000_000_000 / 2 });
    const usage = await new QuotaRepository(db).instanceUsage(db, P);
    // the RAM sum passes 32 bits
    expect(usage).toStrictEqual({ instances: 2, cores: 5, ram: 3_000_000_000 });
    expect(await new QuotaRepository(db).instanceUsage(db, "nobody")).toStrictEqual({
      instances: 0,
      cores: 0,
      ram: 0,
    });

    const images = new ImageRepository(db);
    const size = 5 * 2 ** 30;
    await images.insert({
      id: "i-1",
      name: "big",
      status: "active",
      visibility: "public",
      owner: null,
      containerFormat: "bare",
      diskFormat: "raw",
      size,
      virtualSize: null,
      checksum: null,
      osHashAlgo: null,
      osHashValue: null,
      minDisk: 0,
      minRam: 0,
      protected: false,
      osHidden: false,
      tags: [],
      properties: {},
      createdAt: NOW,
      updatedAt: NOW,
    });
    const image = await images.find("i-1");
    expect([image?.size, image?.virtualSize]).toStrictEqual([size, null]);
  });

  it("numbers rows with database-assigned keys from 1, and returns the new key", async () => {
    const uuid = await insertTestInstance(db, { projectId: P, vcpus: 1, memoryMb: 64 });
    const actions = new InstanceActionRepository(db);
    const action = { instanceUuid: uuid, action: "create", requestId: "req-1", projectId: P, userId: "u" };
    expect([await actions.start(db, action), await actions.start(db, action)]).toStrictEqual([1, 2]);
    expect(await actions.startEvent(2, "compute_build", "h")).toBe(1);
    const aggregates = new AggregateRepository(db);
    expect(await aggregates.insert(db, { uuid: "a", name: "a", createdAt: NOW, metadata: {} })).toEqual({
      ok: true,
      id: 1,
    });
  });
});
