/**
 * Live migration between two simulated hosts: os-migrateLive moves a running (or paused)
 * server to the other host, picked by the scheduler or named (forced, or checked by it);
 * the conductor's refusals; force_complete and abort of a migration under way; a copy
 * that fails rolls back; the copy's progress in the migration views.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  expectFault,
  keysOf,
  NETWORK_ID,
  sample,
  sleep,
} from "../../../test/compute-harness.js";
import { ComputeHostRepository } from "../../store/compute-host-repository.js";
import { LIVE_MIGRATION_ROUNDS } from "../../virt/fake/driver.js";

const NANO = "42";
const NANO_CLAIM = { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 };
const live = (host: string | null = null, extra: object = {}) => ({
  "os-migrateLive": { host, block_migration: "auto", ...extra },
});

interface Migration {
  id: number;
  uuid: string;
  status: string;
  migration_type: string;
  source_compute: string;
  source_node: string;
  dest_compute: string;
  dest_node: string;
  dest_host: string;
}

function twoHosts(stepMs: number, fakeHosts = 2) {
  const box = {} as { h: ComputeHarness };
  beforeAll(async () => {
    box.h = await computeHarness({ config: { fakeHosts, fakeStepMs: stepMs } });
  });
  afterAll(async () => box.h.close());
  const h = () => box.h;

  const helpers = {
    h,
    boot: (name: string, networks: unknown = "none") =>
      h().activeServer({ name, server: { flavorRef: NANO, networks }, version: "2.37" }),
    async placed(id: string) {
      const s = await h().show(id, { as: "admin" });
      return {
        status: s.status as string,
        host: s["OS-EXT-SRV-ATTR:host"] as string,
        power: s["OS-EXT-STS:power_state"] as number,
        task: s["OS-EXT-STS:task_state"] as string | null,
      };
    },
    async otherHost(host: string) {
      const services = (await h().call({ url: "/os-services?binary=nova-compute", as: "admin" })).json
        .services;
      return services.map((s: { host: string }) => s.host).find((x: string) => x !== host) as string;
    },
    async migrationOf(id: string): Promise<Migration> {
      const r = await h().call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" });
      return r.json.migrations[0];
    },
    held: async (consumer: string) =>
      Object.fromEntries(await h().nimbus.compute.placement.allocationsOf(consumer)),
    fault: async (id: string) => (await h().nimbus.compute.instances.get(id))?.fault,
    guestOn: (host: string, id: string) => h().nimbus.drivers.get(host)!.powerState(id),
    async events(id: string) {
      const actions = await h().call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
      const latest = actions.json.instanceActions[0];
      const detail = await h().call({
        url: `/servers/${id}/os-instance-actions/${latest.request_id}`,
        as: "admin",
        version: "2.62",
      });
      return {
        action: latest.action as string,
        message: latest.message as string | null,
        events: detail.json.instanceAction.events as Array<{ event: string; result: string; host: string }>,
      };
    },
    async setService(host: string, body: object) {
      const services = await h().call({
        url: "/os-services?binary=nova-compute",
        as: "admin",
        version: "2.53",
      });
      const id = services.json.services.find((s: { host: string }) => s.host === host).id;
      const r = await h().call({
        method: "PUT",
        url: `/os-services/${id}`,
        as: "admin",
        version: "2.53",
        body,
      });
      expect(r.status, r.text).toBe(200);
    },
    /** Waits until the server's live migration is in `status`; answers it. */
    async until(id: string, status: string): Promise<Migration> {
      for (let i = 0; i < 500; i++) {
        const m = await helpers.migrationOf(id);
        if (m?.status === status) return m;
        await sleep(10);
      }
      throw new Error(`the live migration of ${id} never reached ${status}`);
    },
  };
  return helpers;
}

describe("live migration with two hosts (no step delay)", () => {
  const t = twoHosts(0);

  it("moves a running server to the host the scheduler picks, its ports and claims with it (2.34)", async () => {
    const id = await t.boot("wanderer", [{ uuid: NETWORK_ID }]);
    const { host: source } = await t.placed(id);
    const r = await t.h().action(id, live(), { as: "admin", version: "2.34" });
    expect(r.status, r.text).toBe(202);
    await t.h().drain();
    const moved = await t.placed(id);
    const other = await t.otherHost(source);
    expect(moved).toEqual({ status: "ACTIVE", host: other, power: 1, task: null });
    const migration = await t.migrationOf(id);
    expect(migration).toMatchObject({
      migration_type: "live-migration",
      status: "completed",
      source_compute: source,
      source_node: source,
      dest_compute: other,
      dest_node: other,
    });
    expect(migration.dest_host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await t.held(id)).toEqual({ [other]: NANO_CLAIM });
    expect(await t.held(migration.uuid)).toEqual({});
    expect(await t.guestOn(source, id)).toBe(0);
    expect(await t.guestOn(other, id)).toBe(1);
    const ports = await t.h().call({ url: `/network/v2.0/ports?device_id=${id}`, as: "admin" });
    expect(ports.json.ports.map((p: Record<string, unknown>) => p["binding:host_id"])).toEqual([other]);
    const { action, message, events } = await t.events(id);
    expect([action, message]).toEqual(["live-migration", null]);
    expect(events.map((e) => [e.event, e.result])).toEqual([
      ["conductor_live_migrate_instance", "Success"],
      ["compute_check_can_live_migrate_destination", "Success"],
      ["compute_check_can_live_migrate_source", "Success"],
      ["compute_live_migration", "Success"],
      ["compute_pre_live_migration", "Success"],
      ["compute_post_live_migration_at_destination", "Success"],
    ]);
    expect(events.find((e) => e.event === "compute_pre_live_migration")?.host).toBe(other);

    // and back again, before 2.34: the API waits for the conductor, then answers 202
    const back = await t.h().action(id, live(null, { block_migration: false, disk_over_commit: false }), {
      as: "admin",
      version: "2.1",
    });
    expect(back.status, back.text).toBe(202);
    await t.h().drain();
    expect(await t.placed(id)).toMatchObject({ status: "ACTIVE", host: source });
    expect((await t.events(id)).events[0]?.event).toBe("conductor_migrate_server");
  });

  it("to a forced host (2.30), and a paused server stays paused there", async () => {
    const id = await t.boot("sleepwalker");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    await t.h().action(id, { pause: null });
    await t.h().drain();
    const r = await t.h().action(id, live(other, { force: true }), { as: "admin", version: "2.30" });
    expect(r.status, r.text).toBe(202);
    await t.h().drain();
    expect(await t.placed(id)).toEqual({ status: "PAUSED", host: other, power: 3, task: null });
    expect(await t.guestOn(other, id)).toBe(3);
    expect(await t.held(id)).toEqual({ [other]: NANO_CLAIM });
    expect((await t.migrationOf(id)).status).toBe("completed");
  });

  it("a forced host may be disabled (the scheduler is bypassed); without force it is not a candidate", async () => {
    const id = await t.boot("insistent");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    await t.setService(other, { status: "disabled" });
    try {
      expectFault(
        await t.h().action(id, live(other, { force: false }), { as: "admin", version: "2.30" }),
        400,
        "No valid host was found. There are not enough hosts available.",
      );
      expectFault(
        await t.h().action(id, live(null), { as: "admin", version: "2.25" }),
        400,
        "No valid host was found. There are not enough hosts available.",
      );
      expect((await t.h().action(id, live(other), { as: "admin", version: "2.25" })).status).toBe(202);
      await t.h().drain();
      expect(await t.placed(id)).toMatchObject({ status: "ACTIVE", host: other });
    } finally {
      await t.setService(other, { status: "enabled" });
    }
  });

  it("refuses as nova's conductor does: its own host, a destination down, another hypervisor", async () => {
    const id = await t.boot("stayer");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    expectFault(
      await t.h().action(id, live(source), { as: "admin", version: "2.25" }),
      400,
      `Unable to migrate instance (${id}) to current host (${source}).`,
    );
    await t.setService(other, { forced_down: true });
    try {
      expectFault(
        await t.h().action(id, live(other), { as: "admin", version: "2.25" }),
        400,
        `Compute service of ${other} is unavailable at this time.`,
      );
      expectFault(
        await t.h().action(id, live(null), { as: "admin", version: "2.25" }),
        400,
        "No valid host was found. There are not enough hosts available.",
      );
    } finally {
      await t.setService(other, { forced_down: false });
    }
    // a guest that is not running (its power read back as shut down) cannot be copied live
    await t.h().nimbus.compute.instances.update(t.h().nimbus.db, id, { power_state: 4 });
    expectFault(
      await t.h().action(id, live(null), { as: "admin", version: "2.25" }),
      400,
      `Instance ${id} in power_state shutdown. Cannot live migrate while the instance is in this state.`,
    );
    await t.h().nimbus.compute.instances.update(t.h().nimbus.db, id, { power_state: 1 });
    const destination = t.h().nimbus.drivers.get(other)!;
    const capacity = destination.capacity.bind(destination);
    const spy = vi
      .spyOn(destination, "capacity")
      .mockImplementation(async () => ({ ...(await capacity()), hypervisorType: "QEMU" }));
    try {
      expectFault(
        await t.h().action(id, live(other), { as: "admin", version: "2.25" }),
        400,
        "The supplied hypervisor type of is invalid.",
      );
      // the scheduler's choice is skipped for the next host: there is none
      expectFault(
        await t.h().action(id, live(null), { as: "admin", version: "2.25" }),
        400,
        "No valid host was found. There are not enough hosts available.",
      );
    } finally {
      spy.mockRestore();
    }
    // from 2.34 the refusal comes after the 202: the server as it was, the fault recorded
    expect(
      (await t.h().action(id, live(source, { force: true }), { as: "admin", version: "2.34" })).status,
    ).toBe(202);
    await t.h().drain();
    expect(await t.placed(id)).toEqual({ status: "ACTIVE", host: source, power: 1, task: null });
    // the fault is recorded (the API shows faults of servers in ERROR only)
    expect((await t.fault(id))?.message).toBe(
      `Unable to migrate instance (${id}) to current host (${source}).`,
    );
    expect((await t.events(id)).message).toBe("Error");
    expect(await t.held(id)).toEqual({ [source]: NANO_CLAIM });
    // every refused migration ended in error, none holds a claim
    const all = await t.h().call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" });
    for (const m of all.json.migrations) {
      expect(m.status).toBe("error");
      expect(await t.held(m.uuid)).toEqual({});
    }
  });

  it("a copy that fails rolls back: the server ACTIVE on its source with its claims, the migration failed", async () => {
    const id = await t.boot("nimbus-fake-migration-fail");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
    await t.h().drain();
    expect(await t.placed(id)).toEqual({ status: "ACTIVE", host: source, power: 1, task: null });
    const migration = await t.migrationOf(id);
    expect(migration.status).toBe("failed");
    expect(await t.held(id)).toEqual({ [source]: NANO_CLAIM });
    expect(await t.held(migration.uuid)).toEqual({});
    expect(await t.guestOn(other, id)).toBe(0);
    expect(await t.guestOn(source, id)).toBe(1);
    expect((await t.fault(id))?.message).toBe(
      "fake driver: live migration failed as requested by the server name",
    );
    const { message, events } = await t.events(id);
    expect(message).toBe("Error");
    expect(events.map((e) => e.event)).toContain("compute_rollback_live_migration_at_destination");
  });
});

describe("live migration under way (one step 100 ms: the copy takes a second)", () => {
  const STEP = 100;
  const t = twoHosts(STEP);
  const serverMigrations = (id: string, version = "2.23") =>
    t.h().call({ url: `/servers/${id}/migrations`, as: "admin", version });

  it("shows the copy's progress while running; force_complete finishes it at once", async () => {
    const id = await t.boot("hurried");
    const { host: source } = await t.placed(id);
    expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
    const running = await t.until(id, "running");
    // wait for a report of the copy
    let shown: Record<string, unknown> = {};
    for (let i = 0; i < 100 && !shown.memory_processed_bytes; i++) {
      shown = (await serverMigrations(id)).json.migrations[0] ?? {};
      await sleep(20);
    }
    expect(shown).toMatchObject({ id: running.id, status: "running", memory_total_bytes: 128 * 1024 * 1024 });
    expect(shown.memory_processed_bytes as number).toBeGreaterThan(0);
    expect((shown.memory_processed_bytes as number) + (shown.memory_remaining_bytes as number)).toBe(
      128 * 1024 * 1024,
    );
    // the server's progress is the share of its memory copied (MIGRATING shows it)
    const progress = (await t.h().show(id, { as: "admin" })).progress;
    expect(progress).toBeGreaterThan(0);
    expect(progress).toBeLessThanOrEqual(100);
    // "auto": fake hosts share no storage, so the disk is copied too
    expect(shown.disk_total_bytes).toBe(1024 * 1024 * 1024);
    expect(keysOf(shown)).toEqual(
      keysOf(sample("server-migrations/v2.23/migrations-index.json").migrations[0]),
    );
    const one = await t
      .h()
      .call({ url: `/servers/${id}/migrations/${running.id}`, as: "admin", version: "2.80" });
    expect(one.json.migration.memory_total_bytes).toBe(128 * 1024 * 1024);
    expect(keysOf(one.json.migration)).toEqual(
      keysOf(sample("server-migrations/v2.80/migrations-get.json").migration),
    );
    // /os-migrations shows no progress, but links to the migration in progress
    const listed = (
      await t.h().call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.23" })
    ).json.migrations[0];
    expect(listed.memory_total_bytes).toBeUndefined();
    expect(listed.links).toHaveLength(2);

    const started = Date.now();
    const r = await t.h().call({
      method: "POST",
      url: `/servers/${id}/migrations/${running.id}/action`,
      as: "admin",
      version: "2.22",
      body: { force_complete: null },
    });
    expect(r.status, r.text).toBe(202);
    await t.h().drain();
    expect(Date.now() - started).toBeLessThan(STEP * LIVE_MIGRATION_ROUNDS * 0.8);
    expect(await t.placed(id)).toMatchObject({
      status: "ACTIVE",
      host: await t.otherHost(source),
      task: null,
    });
    expect((await t.migrationOf(id)).status).toBe("completed");
    expect((await serverMigrations(id)).json.migrations).toEqual([]);
    expect((await t.h().show(id, { as: "admin" })).progress).toBe(0);
  });

  it("abort while running (2.24): the server stays on its source, the destination keeps nothing", async () => {
    const id = await t.boot("recalled");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
    const running = await t.until(id, "running");
    expect(await t.guestOn(other, id)).toBe(3); // the incoming guest, paused until the switch-over
    const r = await t.h().call({
      method: "DELETE",
      url: `/servers/${id}/migrations/${running.id}`,
      as: "admin",
      version: "2.24",
    });
    expect(r.status, r.text).toBe(202);
    await t.h().drain();
    expect(await t.placed(id)).toEqual({ status: "ACTIVE", host: source, power: 1, task: null });
    const migration = await t.migrationOf(id);
    expect(migration.status).toBe("cancelled");
    expect(await t.held(id)).toEqual({ [source]: NANO_CLAIM });
    expect(await t.held(migration.uuid)).toEqual({});
    expect(await t.guestOn(other, id)).toBe(0);
    expect(await t.guestOn(source, id)).toBe(1);
    expect(await t.fault(id)).toBeNull();
    // the abort's own action, then the live migration's, which ended without error
    const actions = await t.h().call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
    expect(actions.json.instanceActions.slice(0, 2).map((a: { action: string }) => a.action)).toEqual([
      "live_migration_cancel",
      "live-migration",
    ]);
  });

  it("abort while queued (2.65; refused before): the task rolls the move back before it copies", async () => {
    const id = await t.boot("hesitant");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    // hold the destination's preparation until the abort is in
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached = () => {};
    const waiting = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const serviceOn = ComputeHostRepository.prototype.serviceOn;
    const spy = vi.spyOn(ComputeHostRepository.prototype, "serviceOn").mockImplementation(async function (
      this: ComputeHostRepository,
      host,
      binary,
    ) {
      if (host === other) {
        reached();
        await held;
      }
      return serviceOn.call(this, host, binary);
    });
    try {
      expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
      await waiting;
      const queued = await t.migrationOf(id);
      expect(queued.status).toBe("queued");
      const abort = (version: string) =>
        t.h().call({ method: "DELETE", url: `/servers/${id}/migrations/${queued.id}`, as: "admin", version });
      expectFault(
        await abort("2.64"),
        400,
        `Migration ${queued.id} state of instance ${id} is queued. Cannot abort live migration while the migration is in this state.`,
      );
      expect((await abort("2.65")).status).toBe(202);
    } finally {
      release();
      spy.mockRestore();
    }
    await t.h().drain();
    expect(await t.placed(id)).toEqual({ status: "ACTIVE", host: source, power: 1, task: null });
    const migration = await t.migrationOf(id);
    expect(migration.status).toBe("cancelled");
    expect(await t.held(id)).toEqual({ [source]: NANO_CLAIM });
    expect(await t.held(migration.uuid)).toEqual({});
    expect(await t.guestOn(other, id)).toBe(0);
  });

  it("a server deleted while it is copied takes its migration's claims and the copy with it", async () => {
    const id = await t.boot("deserter");
    const { host: source } = await t.placed(id);
    const other = await t.otherHost(source);
    expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
    const running = await t.until(id, "running");
    expect((await t.h().call({ method: "DELETE", url: `/servers/${id}`, as: "demo" })).status).toBe(204);
    await t.h().drain();
    expect(await t.held(id)).toEqual({});
    expect(await t.held(running.uuid)).toEqual({});
    expect(await t.guestOn(other, id)).toBe(0);
    expect(await t.guestOn(source, id)).toBe(0);
  });
});

describe("live migration with three hosts", () => {
  const t = twoHosts(0, 3);

  it("skips the scheduler's choice when its hypervisor differs, for the next host", async () => {
    const id = await t.boot("picky");
    const { host: source } = await t.placed(id);
    const services = (await t.h().call({ url: "/os-services?binary=nova-compute", as: "admin" })).json
      .services;
    // the other two have the same room: the scheduler takes the first by name
    const [first, second] = services
      .map((s: { host: string }) => s.host)
      .filter((h: string) => h !== source)
      .sort();
    const skipped = t.h().nimbus.drivers.get(first)!;
    const capacity = skipped.capacity.bind(skipped);
    const spy = vi
      .spyOn(skipped, "capacity")
      .mockImplementation(async () => ({ ...(await capacity()), hypervisorType: "QEMU" }));
    try {
      expect((await t.h().action(id, live(), { as: "admin", version: "2.34" })).status).toBe(202);
      await t.h().drain();
      // it was the scheduler's choice, and was looked at
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
    expect(await t.placed(id)).toEqual({ status: "ACTIVE", host: second, power: 1, task: null });
    expect(await t.held(id)).toEqual({ [second]: NANO_CLAIM });
    expect(await t.held((await t.migrationOf(id)).uuid)).toEqual({});
  });
});
