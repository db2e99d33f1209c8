import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../store/database.js";
import type { ProviderUsage } from "../../store/placement-repository.js";
import { openTestDatabase } from "../../store/testing.js";
import { capacityOf, flavorResources, nodeInventories, Placement, rankHosts } from "./placement.js";

const NANO = { vcpus: 1, memory_mb: 128, root_gb: 1, ephemeral_gb: 0, swap: 0 };

let db: Db;
let close: () => Promise<void>;
let placement: Placement;

beforeEach(async () => {
  ({ db, close } = await openTestDatabase());
  placement = new Placement(db);
});
afterEach(async () => close());

async function register(name: string, node: { vcpus: number; memoryMb: number; localGb: number }) {
  await db
    .transaction()
    .execute((trx) =>
      placement.register(trx, { uuid: randomUUID(), name, ...node }, new Date().toISOString()),
    );
}

describe("inventories", () => {
  it("are nova's: 4.0 CPU overcommit, 512 MiB of RAM reserved, disk as it is", () => {
    const byClass = Object.fromEntries(
      nodeInventories({ vcpus: 8, memoryMb: 4096, localGb: 100 }).map((i) => [
        i.resourceClass,
        capacityOf(i),
      ]),
    );
    expect(byClass).toEqual({ VCPU: 32, MEMORY_MB: 3584, DISK_GB: 100 });
  });

  it("a flavor asks for its disks together, swap rounded up to whole GiB", () => {
    expect(flavorResources({ vcpus: 2, memory_mb: 512, root_gb: 10, ephemeral_gb: 5, swap: 1025 })).toEqual({
      VCPU: 2,
      MEMORY_MB: 512,
      DISK_GB: 17,
    });
  });
});

describe("claims", () => {
  it("concurrent claims on one host never take more than it has", async () => {
    // room for exactly 10 nano servers: RAM binds
    await register("host-a", { vcpus: 16, memoryMb: 512 + 10 * 128, localGb: 100 });
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        db
          .transaction()
          .execute((trx) => placement.claim(trx, "host-a", randomUUID(), flavorResources(NANO))),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(10);
    const [usage] = await placement.usages(["host-a"]);
    expect(usage!.used.get("MEMORY_MB")).toBe(10 * 128);
  });

  it("a released consumer frees its room; an unknown host claims nothing", async () => {
    await register("host-a", { vcpus: 1, memoryMb: 512 + 128, localGb: 1 });
    const first = randomUUID();
    const claim = (consumer: string, host = "host-a") =>
      db.transaction().execute((trx) => placement.claim(trx, host, consumer, flavorResources(NANO)));
    expect(await claim(first)).toBe(true);
    expect(await claim(randomUUID())).toBe(false);
    await placement.release(first);
    expect(await claim(randomUUID())).toBe(true);
    expect(await claim(randomUUID(), "host-z")).toBe(false);
  });
});

describe("heal", () => {
  it("gives a server that holds nothing its flavor's claim, once, room or not", async () => {
    await register("host-a", { vcpus: 1, memoryMb: 512 + 128, localGb: 1 });
    const [a, b] = [randomUUID(), randomUUID()];
    await placement.heal("host-a", a, flavorResources(NANO));
    await placement.heal("host-a", a, flavorResources(NANO));
    await placement.heal("host-a", b, flavorResources(NANO));
    const [usage] = await placement.usages(["host-a"]);
    expect(usage!.used.get("MEMORY_MB")).toBe(256);
  });
});

describe("rankHosts", () => {
  const usage = (name: string, freeRam: number): ProviderUsage => ({
    providerId: 1,
    name,
    inventories: new Map(
      nodeInventories({ vcpus: 4, memoryMb: 512 + 1024, localGb: 10 }).map((i) => [i.resourceClass, i]),
    ),
    used: new Map([["MEMORY_MB", 1024 - freeRam]]),
  });

  it("spreads: most free RAM first, names breaking ties; hosts without room are left out", () => {
    const ranked = rankHosts(
      [usage("b", 512), usage("a", 512), usage("c", 1024), usage("full", 64)],
      flavorResources(NANO),
    );
    expect(ranked).toEqual(["c", "a", "b"]);
  });
});
