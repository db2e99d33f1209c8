/**
 * Migration records as the moves write them, run by the real task engine on one fake
 * host: a resize walks pre-migrating → migrating → post-migrating → finished, then
 * confirming → confirmed or reverting → reverted (error when the host fails); the cold and
 * live migrations nova's conductor refuses (no other host) end in error. Each record names
 * its hosts, its flavors and who asked for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MigrationRow } from "../../store/schema.js";
import type { GuestSpec } from "../../virt/driver.js";
import { ADMIN, ALICE, PROJECT_A } from "../image/testing.js";
import { MigrationRecords, requesterOf } from "./migration-records.js";
import { openTaskKit, type TaskKit } from "./tasks/testing.js";

let kit: TaskKit;
let records: MigrationRecords;
beforeAll(async () => {
  kit = await openTaskKit();
  records = new MigrationRecords(kit.db);
});
afterAll(async () => kit.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const flavor = (flavorid: string, name: string, memory_mb: number, root_gb: number) =>
  JSON.stringify({ flavorid, name, vcpus: 1, memory_mb, root_gb, ephemeral_gb: 0, swap: 0, extra_specs: {} });
const asked = { requester: requesterOf(ADMIN) };

const migrationsOf = (uuid: string) => records.list({ instanceUuid: uuid, order: "id" });

/** A server with a resize from m1.tiny to m1.small accepted (the state the API leaves it in). */
const resizing = () =>
  kit.server({ old_flavor: flavor("1", "m1.tiny", 512, 1), new_flavor: flavor("2", "m1.small", 2048, 20) });

/** The status of the server's migration each time the fake host resizes its guest. */
async function statusesSeenByHost(uuid: string, run: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const resize = kit.driver.resize.bind(kit.driver);
  kit.driver.resize = async (spec: GuestSpec) => {
    seen.push((await migrationsOf(uuid)).at(-1)!.status);
    return resize(spec);
  };
  try {
    await run();
  } finally {
    kit.driver.resize = resize;
  }
  return seen;
}

describe("a resize", () => {
  let uuid: string;
  let record: MigrationRow;
  beforeAll(async () => {
    uuid = await resizing();
  });

  it("is recorded pre-migrating, migrating while the host resizes, then finished", async () => {
    const seen = await statusesSeenByHost(uuid, () => kit.run(uuid, "resize", "resize_prep", asked));
    expect(seen).toEqual(["migrating"]);
    expect((await kit.row(uuid)).vm_state).toBe("resized");
    const found = await migrationsOf(uuid);
    expect(found).toHaveLength(1);
    record = found[0]!;
    const capacity = await kit.driver.capacity();
    expect(record).toMatchObject({
      uuid: expect.stringMatching(UUID),
      instance_uuid: uuid,
      migration_type: "resize",
      status: "finished",
      source_compute: "fake-host",
      source_node: "fake-host",
      dest_compute: "fake-host",
      dest_node: "fake-host",
      dest_host: capacity.hostIp,
      old_flavor_id: "1",
      new_flavor_id: "2",
      // who asked: the admin, not the server's owner
      user_id: ADMIN.userId,
      project_id: ADMIN.projectId,
    });
    expect(record.updated_at! >= record.created_at).toBe(true);
  });

  it("is confirmed by confirmResize", async () => {
    await kit.run(uuid, "confirm_resize", "resize_confirming");
    const [confirmed] = await migrationsOf(uuid);
    expect(confirmed).toMatchObject({ id: record.id, status: "confirmed" });
    expect(confirmed!.updated_at! >= record.updated_at!).toBe(true);
  });

  it("is reverted by revertResize, reverting while the host shrinks the guest back", async () => {
    const again = await resizing();
    await kit.run(again, "resize", "resize_prep", asked);
    const seen = await statusesSeenByHost(again, () => kit.run(again, "revert_resize", "resize_reverting"));
    expect(seen).toEqual(["reverting"]);
    expect((await migrationsOf(again)).map((m) => m.status)).toEqual(["reverted"]);
    expect((await kit.row(again)).flavor_id).toBe("1");
  });

  it("ends in error when the host fails it (the server goes to ERROR)", async () => {
    const failing = await resizing();
    await kit.driver.destroy(failing);
    await kit.run(failing, "resize", "resize_prep", asked);
    expect((await kit.row(failing)).vm_state).toBe("error");
    expect((await migrationsOf(failing)).map((m) => m.status)).toEqual(["error"]);
  });

  it("is written once when its first step runs again (after a crash)", async () => {
    const server = await kit.instances.get(await resizing());
    const first = await records.begin(server!, "resize", requesterOf(ALICE));
    const second = await records.begin(server!, "resize", requesterOf(ALICE));
    expect(second.id).toBe(first.id);
    expect(first).toMatchObject({ status: "pre-migrating", user_id: ALICE.userId, project_id: PROJECT_A });
  });

  it("of a task enqueued without a requester names the server's owner", async () => {
    const owned = await resizing();
    await kit.run(owned, "resize", "resize_prep");
    expect((await migrationsOf(owned))[0]).toMatchObject({ user_id: ALICE.userId, project_id: PROJECT_A });
  });
});

describe("the moves nova's conductor refuses on one host", () => {
  it("a cold migration: pre-migrating, then error, with no destination", async () => {
    const uuid = await kit.server();
    await kit.run(uuid, "cold_migrate", "resize_prep", asked);
    expect(await migrationsOf(uuid)).toEqual([
      expect.objectContaining({
        migration_type: "migration",
        status: "error",
        source_compute: "fake-host",
        source_node: "fake-host",
        dest_compute: null,
        dest_node: null,
        dest_host: null,
        old_flavor_id: "1",
        new_flavor_id: "1",
        user_id: ADMIN.userId,
      }),
    ]);
  });

  it("a live migration: accepted, then error; the destination is recorded only when forced", async () => {
    const uuid = await kit.server();
    await kit.run(uuid, "live_migrate", "migrating", { host: null, forced: false, ...asked });
    await kit.run(uuid, "live_migrate", "migrating", { host: "fake-host", forced: false, ...asked });
    await kit.run(uuid, "live_migrate", "migrating", { host: "fake-host", forced: true, ...asked });
    const found = await migrationsOf(uuid);
    expect(found.map((m) => [m.migration_type, m.status, m.dest_compute])).toEqual([
      ["live-migration", "error", null],
      ["live-migration", "error", null],
      ["live-migration", "error", "fake-host"],
    ]);
    // nova's live-migration task records the source node only with a destination
    expect(found[0]).toMatchObject({ source_compute: "fake-host", source_node: null, new_flavor_id: "1" });
  });
});

describe("listing", () => {
  it("hides the migrations of deleted servers, and pages newest first after a marker", async () => {
    const uuid = await kit.server();
    await kit.run(uuid, "cold_migrate", "resize_prep", asked);
    await kit.run(uuid, "cold_migrate", "resize_prep", asked);
    const [older, newer] = await migrationsOf(uuid);
    const page = await records.list({ instanceUuid: uuid, order: "newest", limit: 1 });
    expect(page.map((m) => m.id)).toEqual([newer!.id]);
    const next = await records.list({ instanceUuid: uuid, order: "newest", limit: 1 }, newer!.uuid);
    expect(next.map((m) => m.id)).toEqual([older!.id]);
    await expect(records.list({ order: "newest" }, "no-such-marker")).rejects.toThrow(
      "Marker no-such-marker could not be found.",
    );
    await kit.instances.update(kit.db, uuid, { deleted: 1 });
    expect(await migrationsOf(uuid)).toEqual([]);
  });
});
