/**
 * The scheduler over bounded candidates, on a real database (SQLite here, PostgreSQL in
 * test/postgres/placement.test.ts): nova's RAM weigher with names breaking ties, room for
 * every class with its units, disabled, forced-down and silent hosts left out, zones from
 * aggregates, the host asked for, a move's source left out, a lost claim passing to the next
 * host, pages beyond the first, and nova's NoValidHost reasons.
 */
import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../store/database.js";
import type { Database } from "../../store/schema.js";
import { insertTestInstance, openTestDatabase } from "../../store/testing.js";
import { FakeDriver } from "../../virt/fake/driver.js";
import { DriverRegistry } from "../../virt/registry.js";
import { HostService, NOT_ENOUGH_HOSTS, SERVICE_DOWN_TIME_MS } from "./host-service.js";
import { flavorResources, Placement, type Resources } from "./placement.js";
import { CANDIDATE_PAGE, type HostRequest, hostHints, Scheduler } from "./scheduler.js";

const NANO = flavorResources({ vcpus: 1, memory_mb: 128, root_gb: 1, ephemeral_gb: 0, swap: 0 });
// 512 MiB reserved: 1,024 MiB left, room for 8 nanos by RAM; 4 vCPUs x 4.0; 20 GiB
const HOST = { vcpus: 4, memoryMb: 512 + 1024, localGb: 20 };

let db: Db;
let close: () => Promise<void>;
let placement: Placement;
let clock: Date;

beforeEach(async () => {
  ({ db, close } = await openTestDatabase());
  placement = new Placement(db);
  clock = new Date();
});
afterEach(async () => close());

/** Registers fake hosts (all driven here unless `foreign`), as a starting process does. */
async function hosts(
  names: string[],
  options: { capacity?: Partial<typeof HOST>; foreign?: string[] } = {},
): Promise<{ service: HostService; scheduler: Scheduler }> {
  const all = new DriverRegistry();
  const mine = new DriverRegistry();
  for (const hostname of [...names, ...(options.foreign ?? [])]) {
    const driver = new FakeDriver({ hostname, stepMs: 0, capacity: { ...HOST, ...options.capacity } });
    all.add(driver);
    if (names.includes(hostname)) mine.add(driver);
  }
  const service = new HostService(db, all, { controlHost: "control", placement, now: () => clock });
  await service.register();
  return { service, scheduler: new Scheduler(db, mine, { now: () => clock }) };
}

const request = (over: Partial<HostRequest> = {}): HostRequest => ({
  resources: NANO,
  zone: null,
  requested: null,
  ...over,
});

/** Claims as a build does: the host taken when its claim succeeds (in the scheduler's transaction, or one of its own). */
const claimOn =
  (consumer: string, resources: Resources) =>
  (trx: Transaction<Database> | undefined, host: string): Promise<boolean> =>
    trx
      ? placement.claim(trx, host, consumer, resources)
      : db.transaction().execute((own) => placement.claim(own, host, consumer, resources));

async function place(scheduler: Scheduler, over: Partial<HostRequest> = {}) {
  const resources = over.resources ?? NANO;
  return scheduler.select(request(over), claimOn(randomUUID(), resources));
}

/** The hosts the scheduler tries, in order, when every claim fails. */
async function order(scheduler: Scheduler, over: Partial<HostRequest> = {}): Promise<string[]> {
  const tried: string[] = [];
  const result = await scheduler.select(request(over), async (_trx, host) => {
    tried.push(host);
    return false;
  });
  expect(result.host).toBeNull();
  return tried;
}

async function zone(name: string, members: string[]) {
  const { id } = await db
    .insertInto("aggregates")
    .values({ uuid: randomUUID(), name, created_at: clock.toISOString(), updated_at: null })
    .returning("id")
    .executeTakeFirstOrThrow();
  await db
    .insertInto("aggregate_metadata")
    .values({ aggregate_id: id, key: "availability_zone", value: name })
    .execute();
  for (const host of members)
    await db.insertInto("aggregate_hosts").values({ aggregate_id: id, host }).execute();
}

describe("weighing", () => {
  it("most free RAM first, names breaking ties", async () => {
    const { scheduler } = await hosts(["c", "a", "b"]);
    // b holds one nano: a and c tie above it, a first by name
    await claimOn(randomUUID(), NANO)(undefined, "b");
    expect(await order(scheduler)).toEqual(["a", "c", "b"]);
    expect(await place(scheduler)).toEqual({ host: "a" });
    expect(await order(scheduler)).toEqual(["c", "a", "b"]);
  });

  it("leaves out a host without room in any class, or whose units the amount is outside", async () => {
    const { scheduler } = await hosts(["a", "b"]);
    // a: its disk is taken (RAM and CPU still free)
    await claimOn(randomUUID(), { DISK_GB: 20 })(undefined, "a");
    expect(await order(scheduler)).toEqual(["b"]);
    // 5 vCPUs: within 4 x 4.0 of room, but above max_unit (4)
    expect(await order(scheduler, { resources: { ...NANO, VCPU: 5 } })).toEqual([]);
    // more RAM than is left on any
    expect(await order(scheduler, { resources: { ...NANO, MEMORY_MB: 1025 } })).toEqual([]);
    expect(await order(scheduler, { resources: { ...NANO, MEMORY_MB: 1024 } })).toEqual(["b"]);
  });

  it("a lost claim passes to the next host, undone; a full cloud has not enough hosts", async () => {
    const { scheduler } = await hosts(["a", "b"], { capacity: { memoryMb: 512 + 128 } });
    const tried: string[] = [];
    const first = await scheduler.select(request(), async (trx, host) => {
      tried.push(host);
      if (host !== "a") return claimOn(randomUUID(), NANO)(trx, host);
      // on a: part of the claim made, then the room found taken
      await claimOn(randomUUID(), { DISK_GB: 1 })(trx, "a");
      return false;
    });
    expect([tried, first]).toEqual([["a", "b"], { host: "b" }]);
    // what the failed claim made on a was undone: a has its whole room
    expect(Object.fromEntries((await placement.usages(["a"]))[0]!.used)).toEqual({});
    expect(await place(scheduler)).toEqual({ host: "a" });
    expect(await place(scheduler)).toEqual({ host: null, reason: NOT_ENOUGH_HOSTS });
  });
});

describe("filters", () => {
  it("skips disabled, forced-down and silent hosts; none enabled gives no reason", async () => {
    const { service, scheduler } = await hosts(["a", "b", "c"]);
    const compute = async (host: string) => (await service.computeOn(host))!;
    await service.update(await compute("a"), { disabled: true });
    await service.update(await compute("b"), { forcedDown: true });
    expect(await order(scheduler)).toEqual(["c"]);
    // c falls silent: its last report is older than service_down_time
    clock = new Date(clock.getTime() + SERVICE_DOWN_TIME_MS + 1);
    expect(await place(scheduler)).toEqual({ host: null, reason: NOT_ENOUGH_HOSTS });
    await service.heartbeat();
    expect(await place(scheduler)).toEqual({ host: "c" });
    for (const host of ["b", "c"]) await service.update(await compute(host), { disabled: true });
    expect(await place(scheduler)).toEqual({ host: null, reason: "" });
  });

  it("keeps to the zone asked for; hosts in no zone are in the default one", async () => {
    const { scheduler } = await hosts(["a", "b", "c"]);
    await zone("az1", ["b"]);
    expect(await order(scheduler, { zone: "az1" })).toEqual(["b"]);
    expect(await order(scheduler, { zone: "nova" })).toEqual(["a", "c"]);
    expect(await order(scheduler)).toEqual(["a", "b", "c"]);
    expect(await place(scheduler, { zone: "elsewhere" })).toEqual({ host: null, reason: "" });
    // the zone's only host full: hosts exist there, none fits
    expect(await place(scheduler, { zone: "az1", resources: { ...NANO, MEMORY_MB: 4096 } })).toEqual({
      host: null,
      reason: NOT_ENOUGH_HOSTS,
    });
  });

  it("takes only the host asked for, and never a move's source", async () => {
    const { service, scheduler } = await hosts(["a", "b", "c"]);
    expect(await order(scheduler, { requested: "c" })).toEqual(["c"]);
    expect(await order(scheduler, { exclude: "a" })).toEqual(["b", "c"]);
    expect(await order(scheduler, { requested: "a", exclude: "a" })).toEqual([]);
    await service.update((await service.computeOn("c"))!, { disabled: true });
    expect(await place(scheduler, { requested: "c" })).toEqual({ host: null, reason: "" });
    expect(await place(scheduler, { requested: "nowhere" })).toEqual({ host: null, reason: "" });
  });

  it("keeps to the hosts of same_host's servers and away from different_host's", async () => {
    const { scheduler } = await hosts(["a", "b", "c"]);
    const on = async (host: string, deleted = false) => {
      const uuid = await insertTestInstance(db, { projectId: "p", vcpus: 1, memoryMb: 128, deleted });
      await db.updateTable("instances").set({ host }).where("uuid", "=", uuid).execute();
      return uuid;
    };
    const [x, y, gone] = [await on("b"), await on("c"), await on("a", true)];
    expect(await order(scheduler, { sameHost: [x] })).toEqual(["b"]);
    expect(await order(scheduler, { sameHost: [x, y] })).toEqual(["b", "c"]);
    expect(await order(scheduler, { differentHost: [x] })).toEqual(["a", "c"]);
    expect(await order(scheduler, { sameHost: [x, y], differentHost: [y] })).toEqual(["b"]);
    // a deleted server, or one unknown, is on no host: same_host leaves none, different_host all
    expect(await place(scheduler, { sameHost: [gone, randomUUID()] })).toEqual({
      host: null,
      reason: NOT_ENOUGH_HOSTS,
    });
    expect(await order(scheduler, { differentHost: [gone] })).toEqual(["a", "b", "c"]);
    expect(hostHints({ same_host: x, different_host: [y, 1], group: "g" })).toEqual({
      sameHost: [x],
      differentHost: [y],
    });
  });

  it("keeps an image that asks for an architecture to the hosts that run it (ImagePropertiesFilter)", async () => {
    const arch = String((await new FakeDriver({ hostname: "probe", stepMs: 0 }).capacity()).cpuInfo.arch);
    const other = arch === "aarch64" ? "x86_64" : "aarch64";
    // b runs the other architecture
    class OtherArch extends FakeDriver {
      override async capacity() {
        const c = await super.capacity();
        return { ...c, cpuInfo: { ...c.cpuInfo, arch: other } };
      }
    }
    const drivers = new DriverRegistry();
    for (const hostname of ["a", "c"]) drivers.add(new FakeDriver({ hostname, stepMs: 0, capacity: HOST }));
    drivers.add(new OtherArch({ hostname: "b", stepMs: 0, capacity: HOST }));
    await new HostService(db, drivers, { controlHost: "control", placement, now: () => clock }).register();
    const scheduler = new Scheduler(db, drivers, { now: () => clock });
    expect(await order(scheduler, { imageProperties: { hw_architecture: other } })).toEqual(["b"]);
    expect(
      await order(scheduler, { imageProperties: { hw_architecture: arch, img_hv_type: "fake" } }),
    ).toEqual(["a", "c"]);
    expect(await order(scheduler, { imageProperties: { os_distro: "cirros" } })).toEqual(["a", "b", "c"]);
    // no host of this process runs it: not enough hosts, without a look at the candidates
    expect(await place(scheduler, { imageProperties: { img_hv_type: "qemu" } })).toEqual({
      host: null,
      reason: NOT_ENOUGH_HOSTS,
    });
  });

  it("reads past pages whose hosts another process drives or that are down", async () => {
    const names = Array.from({ length: CANDIDATE_PAGE + 3 }, (_, i) => `h${String(i).padStart(2, "0")}`);
    // the first page (and more) driven by another process, which this one never places on
    const foreign = names.slice(0, CANDIDATE_PAGE + 1);
    const { service, scheduler } = await hosts(names.slice(CANDIDATE_PAGE + 1), { foreign });
    expect(await order(scheduler)).toEqual(names.slice(CANDIDATE_PAGE + 1));
    const last = names.at(-1)!;
    await service.update((await service.computeOn(names.at(-2)!))!, { forcedDown: true });
    expect(await place(scheduler)).toEqual({ host: last });
  });
});

describe("the store behind it", () => {
  const free = async () =>
    Object.fromEntries(
      (await db.selectFrom("resource_providers").select(["name", "free_memory_mb"]).execute()).map((r) => [
        r.name,
        r.free_memory_mb,
      ]),
    );
  const summed = async () =>
    Object.fromEntries((await placement.usages()).map((u) => [u.name, Object.fromEntries(u.used)] as const));

  it("keeps each provider's use and free RAM with its claims, moves and releases", async () => {
    await hosts(["a", "b"]);
    const [x, y, migration] = [randomUUID(), randomUUID(), randomUUID()];
    await claimOn(x, NANO)(undefined, "a");
    await claimOn(y, { ...NANO, MEMORY_MB: 256 })(undefined, "a");
    expect(await free()).toEqual({ a: 1024 - 384, b: 1024 });
    // a cold migration: x's claim passes to its migration, x claims on b
    await db.transaction().execute((trx) => placement.claimMove(trx, "b", x, migration, NANO));
    expect(await free()).toEqual({ a: 1024 - 384, b: 1024 - 128 });
    await placement.endMove(x, migration, false);
    await placement.release(y);
    // released twice at once: freed once
    await Promise.all([placement.release(x), placement.release(x)]);
    expect(await free()).toEqual({ a: 1024, b: 1024 });
    expect(await summed()).toEqual({ a: {}, b: {} });

    // the inventories' use is what the allocations sum to, and survives a restart's registration
    await claimOn(x, NANO)(undefined, "b");
    await hosts(["a", "b"]);
    expect(await free()).toEqual({ a: 1024, b: 1024 - 128 });
    const rows = await db
      .selectFrom("allocations")
      .select((eb) => ["resource_class", eb.fn.sum<number>("used").as("used")])
      .groupBy("resource_class")
      .execute();
    expect(Object.fromEntries(rows.map((r) => [r.resource_class, Number(r.used)]))).toEqual(
      (await summed()).b,
    );
  });

  it("registers many hosts at once, each with its service, node, provider and inventories", async () => {
    const names = Array.from({ length: 1200 }, (_, i) => `n${i}`);
    await hosts(names);
    const count = async (table: "services" | "compute_nodes" | "resource_providers" | "inventories") =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect([
      await count("services"),
      await count("compute_nodes"),
      await count("resource_providers"),
      await count("inventories"),
    ]).toEqual([1202, 1200, 1200, 3600]);
    const scheduler = new Scheduler(db, new DriverRegistry());
    // another process's hosts all: none of them for this one
    expect(await place(scheduler)).toEqual({ host: null, reason: "" });
  });
});
