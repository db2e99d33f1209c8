/**
 * The host service over a real database and fake hosts: registration (and again after a
 * restart), the heartbeat that keeps services up, liveness with a clock that moves, and
 * the scheduler's choice with nova's reasons when there is none.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Db } from "../../store/database.js";
import { openTestDatabase } from "../../store/testing.js";
import { FakeDriver } from "../../virt/fake/driver.js";
import { DriverRegistry } from "../../virt/registry.js";
import {
  Binary,
  filterHosts,
  HostService,
  NOT_ENOUGH_HOSTS,
  REPORT_INTERVAL_MS,
  SERVICE_DOWN_TIME_MS,
} from "./host-service.js";
import { Placement } from "./placement.js";

let db: Db;
let close: () => Promise<void>;
let drivers: DriverRegistry;
let clock: Date;

beforeEach(async () => {
  ({ db, close } = await openTestDatabase());
  drivers = new DriverRegistry();
  drivers.add(
    new FakeDriver({
      hostname: "compute-1",
      stepMs: 0,
      capacity: { vcpus: 8, memoryMb: 16_384, localGb: 100 },
    }),
  );
  clock = new Date("2030-01-01T00:00:00.000Z");
});
afterEach(async () => close());

const service = (options: { controlHost?: string } = {}) =>
  new HostService(db, drivers, {
    controlHost: options.controlHost ?? "control",
    placement: new Placement(db),
    now: () => clock,
  });
const later = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};

describe("registration", () => {
  it("creates the conductor, the scheduler and a compute per host, and the host's node", async () => {
    const hosts = service();
    await hosts.register();
    expect((await hosts.list()).map((s) => [s.id, s.host, s.binary, s.zone, s.up])).toEqual([
      [1, "control", Binary.CONDUCTOR, "internal", true],
      [2, "control", Binary.SCHEDULER, "internal", true],
      [3, "compute-1", Binary.COMPUTE, "nova", true],
    ]);
    const node = await db.selectFrom("compute_nodes").selectAll().executeTakeFirstOrThrow();
    expect(node).toMatchObject({
      id: 1,
      host: "compute-1",
      hypervisor_hostname: "compute-1",
      vcpus: 8,
      memory_mb: 16_384,
      local_gb: 100,
    });
  });

  it("keeps ids, uuids and the operator's flags across a restart", async () => {
    const first = service();
    await first.register();
    const compute = (await first.computeOn("compute-1"))!;
    await first.update(compute, { disabled: true, disabledReason: "maintenance" });
    const node = await db.selectFrom("compute_nodes").select(["id", "uuid"]).executeTakeFirstOrThrow();

    await service().register();
    const again = (await first.computeOn("compute-1"))!;
    expect(again).toMatchObject({
      id: compute.id,
      uuid: compute.uuid,
      disabled: true,
      disabledReason: "maintenance",
    });
    expect(await db.selectFrom("compute_nodes").select(["id", "uuid"]).execute()).toEqual([node]);
  });

  it("registers a deleted service anew (new ids) when its process starts again", async () => {
    const hosts = service();
    await hosts.register();
    const scheduler = (await hosts.list({ binary: Binary.SCHEDULER }))[0]!;
    await hosts.delete(scheduler);
    // the running process's heartbeat does not bring it back
    await hosts.heartbeat();
    expect(await hosts.list({ binary: Binary.SCHEDULER })).toEqual([]);
    await service().register();
    const reborn = (await hosts.list({ binary: Binary.SCHEDULER }))[0]!;
    expect(reborn.id).toBe(4);
    expect(reborn.uuid).not.toBe(scheduler.uuid);
  });
});

describe("liveness", () => {
  it("is up while reports are recent, down once they stop", async () => {
    const hosts = service();
    await hosts.register();
    later(SERVICE_DOWN_TIME_MS);
    expect((await hosts.computeOn("compute-1"))!.up).toBe(true);
    later(1);
    expect((await hosts.computeOn("compute-1"))!.up).toBe(false);
    await hosts.heartbeat();
    const back = (await hosts.computeOn("compute-1"))!;
    expect(back.up).toBe(true);
    expect(back.updatedAt).toBe(clock.toISOString());
  });

  it("reports on its own every report interval once started, until stopped", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const hosts = service();
    try {
      await hosts.start();
      const count = async () =>
        (await db.selectFrom("services").select("report_count").where("id", "=", 3).executeTakeFirstOrThrow())
          .report_count;
      // created, then the first report at registration
      expect(await count()).toBe(2);
      vi.advanceTimersByTime(REPORT_INTERVAL_MS * 2);
      await vi.waitFor(async () => expect(await count()).toBe(4));
      hosts.stop();
      vi.advanceTimersByTime(REPORT_INTERVAL_MS * 3);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await count()).toBe(4);
    } finally {
      hosts.stop();
      vi.useRealTimers();
    }
  });
});

describe("filterHosts", () => {
  it("passes the enabled, live compute host", async () => {
    await service().register();
    expect(await filterHosts(db, drivers.hosts, null, clock)).toEqual({ hosts: ["compute-1"], reason: "" });
    expect(await filterHosts(db, drivers.hosts, "compute-1", clock)).toEqual({
      hosts: ["compute-1"],
      reason: "",
    });
  });

  it("has no host (and no reason) when the compute service is disabled or gone", async () => {
    const hosts = service();
    await hosts.register();
    const compute = (await hosts.computeOn("compute-1"))!;
    await hosts.update(compute, { disabled: true });
    expect(await filterHosts(db, drivers.hosts, null, clock)).toEqual({ hosts: [], reason: "" });
    await hosts.update(compute, { disabled: false });
    await hosts.delete(compute);
    expect(await filterHosts(db, drivers.hosts, null, clock)).toEqual({ hosts: [], reason: "" });
  });

  it("filters out a host that is down, forced or silent", async () => {
    const hosts = service();
    await hosts.register();
    const compute = (await hosts.computeOn("compute-1"))!;
    await hosts.update(compute, { forcedDown: true });
    expect(await filterHosts(db, drivers.hosts, null, clock)).toEqual({
      hosts: [],
      reason: NOT_ENOUGH_HOSTS,
    });
    await hosts.update(compute, { forcedDown: false });
    expect(
      await filterHosts(db, drivers.hosts, null, new Date(clock.getTime() + SERVICE_DOWN_TIME_MS + 1)),
    ).toEqual({
      hosts: [],
      reason: NOT_ENOUGH_HOSTS,
    });
  });

  it("passes only the second host when the first is disabled", async () => {
    drivers.add(new FakeDriver({ hostname: "compute-2", stepMs: 0 }));
    const hosts = service();
    await hosts.register();
    await hosts.update((await hosts.computeOn("compute-1"))!, { disabled: true });
    expect(await filterHosts(db, drivers.hosts, null, clock)).toEqual({ hosts: ["compute-2"], reason: "" });
    expect(await filterHosts(db, drivers.hosts, "compute-1", clock)).toEqual({ hosts: [], reason: "" });
  });
});
