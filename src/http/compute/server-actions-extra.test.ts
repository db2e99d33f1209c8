/**
 * `POST /servers/{id}/action` for shelve, shelveOffload, unshelve, rescue, unrescue,
 * changePassword, createBackup, migrate and os-migrateLive: the answers, the states seen
 * through the API, nova's state rules and 409 messages, policies, bad input and every
 * microversion change. (The full task_state walks are tested beside the tasks, in
 * services/compute/tasks/.)
 */
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  type ComputeHarness,
  computeHarness,
  expectFault,
} from "../../../test/compute-harness.js";

const HOST = hostname();
const BASE = "http://localhost:80";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const invalidState = (action: string, id: string, attr: string, value: string) =>
  `Cannot '${action}' instance ${id} while it is in ${attr} ${value}`;

async function states(id: string, as: Caller = "demo") {
  const s = await h.show(id, { as });
  return {
    status: s.status,
    vm: s["OS-EXT-STS:vm_state"],
    task: s["OS-EXT-STS:task_state"],
    power: s["OS-EXT-STS:power_state"],
  };
}

/** The instance actions of a server, newest first, as [action, message]. */
async function actions(id: string) {
  const r = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
  return (r.json.instanceActions as Array<{ action: string; message: string | null }>).map((a) => [
    a.action,
    a.message,
  ]);
}

/** The events of the server's newest action (admin's view, with details from 2.84). */
async function lastEvents(id: string) {
  const list = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
  const requestId = list.json.instanceActions[0].request_id;
  const r = await h.call({
    url: `/servers/${id}/os-instance-actions/${requestId}`,
    as: "admin",
    version: "2.84",
  });
  return (
    r.json.instanceAction.events as Array<{ event: string; result: string; details: string | null }>
  ).map((e) => [e.event, e.result, e.details]);
}

const image = async (id: string) => h.call({ url: `/image/v2/images/${id}`, as: "admin" });

/** Sets states directly, as a deployment that keeps shelved servers on their host would leave one. */
const setRow = (id: string, changes: Record<string, unknown>) =>
  h.nimbus.compute.instances.update(h.nimbus.db, id, changes);

describe("shelve and unshelve", () => {
  it("shelve: 202, task shelving, then SHELVED_OFFLOADED: off its host, powered off, its snapshot kept", async () => {
    const id = await h.activeServer({ name: "shelf" });
    const r = await h.withEngineStopped(async () => {
      const r = await h.action(id, { shelve: null });
      expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: "shelving", power: 1 });
      expectFault(
        await h.action(id, { shelve: null }),
        409,
        invalidState("shelve", id, "task_state", "shelving"),
      );
      return r;
    });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect(await states(id)).toEqual({
      status: "SHELVED_OFFLOADED",
      vm: "shelved_offloaded",
      task: null,
      power: 4,
    });
    const shown = await h.show(id, { as: "admin" });
    expect(shown["OS-EXT-SRV-ATTR:host"]).toBeNull();
    expect(shown["OS-EXT-SRV-ATTR:hypervisor_hostname"]).toBeNull();
    expect(shown.hostId).toBe("");
    // an IPv4 and an IPv6 address, kept while offloaded as nova keeps them
    expect(shown.addresses.private).toHaveLength(2);
    const images = await h.call({ url: "/image/v2/images?name=shelf-shelved" });
    expect(images.json.images).toEqual([
      expect.objectContaining({
        name: "shelf-shelved",
        status: "active",
        image_type: "snapshot",
        instance_uuid: id,
      }),
    ]);
    expect(await actions(id)).toEqual([
      ["shelve", null],
      ["create", null],
    ]);
  });

  it("unshelve (no body before 2.77): ACTIVE on the host again; the snapshot is deleted", async () => {
    const id = await h.activeServer({ name: "unshelf" });
    await h.action(id, { shelve: null });
    await h.drain();
    const snapshot = (await h.call({ url: "/image/v2/images?name=unshelf-shelved" })).json.images[0].id;
    await h.withEngineStopped(async () => {
      // before 2.77 the body is not read: a zone is ignored
      expect((await h.action(id, { unshelve: { availability_zone: "elsewhere" } })).status).toBe(202);
      expect(await states(id)).toMatchObject({ status: "SHELVED_OFFLOADED", task: "unshelving" });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect((await h.show(id, { as: "admin" }))["OS-EXT-SRV-ATTR:host"]).toBe(HOST);
    expect((await image(snapshot)).status).toBe(404);
    expect((await actions(id)).map(([a]) => a)).toEqual(["unshelve", "shelve", "create"]);
  });

  it("is refused in the wrong states, and to a member on a locked server", async () => {
    const id = await h.activeServer({ name: "shelf-rules" });
    expectFault(
      await h.action(id, { unshelve: null }),
      409,
      invalidState("unshelve", id, "vm_state", "active"),
    );
    expectFault(
      await h.action(id, { shelveOffload: null }, { as: "admin" }),
      409,
      invalidState("shelveOffload", id, "vm_state", "active"),
    );
    await h.action(id, { lock: null });
    expectFault(await h.action(id, { shelve: null }), 409, `Instance ${id} is locked`);
    await h.action(id, { unlock: null });
    await h.action(id, { rescue: null });
    await h.drain();
    expectFault(await h.action(id, { shelve: null }), 409, invalidState("shelve", id, "vm_state", "rescued"));
    expect((await h.action(id, { unrescue: null })).status).toBe(202);
    await h.drain();
    expect((await h.action(id, { shelve: null })).status).toBe(202);
    await h.drain();
    // nova offloads at once by default: there is no SHELVED server left to offload
    expectFault(
      await h.action(id, { shelveOffload: null }, { as: "admin" }),
      409,
      invalidState("shelveOffload", id, "vm_state", "shelved_offloaded"),
    );
    expectFault(
      await h.action(id, { shelve: null }),
      409,
      invalidState("shelve", id, "vm_state", "shelved_offloaded"),
    );
    expectFault(
      await h.action(id, { "os-start": null }),
      409,
      invalidState("start", id, "vm_state", "shelved_offloaded"),
    );
  });

  it("shelveOffload is admin-only; a SHELVED server is offloaded by it", async () => {
    const id = await h.activeServer({ name: "keep-shelved" });
    await h.action(id, { "os-stop": null });
    await h.drain();
    await setRow(id, { vm_state: "shelved" });
    expectFault(
      await h.action(id, { shelveOffload: null }),
      403,
      "Policy doesn't allow os_compute_api:os-shelve:shelve_offload to be performed.",
    );
    expect((await h.action(id, { shelveOffload: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    expect(await states(id)).toMatchObject({ status: "SHELVED_OFFLOADED", power: 4 });
    expect((await actions(id))[0]).toEqual(["shelveOffload", null]);
  });

  it("2.77: a zone for an offloaded server pins it; an unknown zone is 400; a SHELVED server refuses a zone", async () => {
    const id = await h.activeServer({ name: "zoned" });
    await h.action(id, { shelve: null });
    await h.drain();
    expectFault(
      await h.action(id, { unshelve: { availability_zone: "us-west" } }, { version: "2.77" }),
      400,
      "The requested availability zone is not available",
    );
    // the 2.77 schema requires the zone when there is a body
    expect((await h.action(id, { unshelve: {} }, { version: "2.77" })).status).toBe(400);
    expect((await h.action(id, { unshelve: { host: HOST } }, { version: "2.77" })).status).toBe(400);
    expect(
      (await h.action(id, { unshelve: { availability_zone: "nova" } }, { version: "2.77" })).status,
    ).toBe(202);
    await h.drain();
    const shown = await h.show(id, { version: "2.96" });
    expect(shown).toMatchObject({ status: "ACTIVE", "OS-EXT-AZ:availability_zone": "nova" });
    expect(shown.pinned_availability_zone).toBe("nova");

    const kept = await h.activeServer({ name: "kept" });
    await h.action(kept, { "os-stop": null });
    await h.drain();
    await setRow(kept, { vm_state: "shelved" });
    expectFault(
      await h.action(kept, { unshelve: { availability_zone: "nova" } }, { version: "2.77" }),
      409,
      `Specifying an availability zone or a host when unshelving server "${kept}" with status "shelved" is not supported. The server status must be SHELVED_OFFLOADED.`,
    );
  });

  it("2.91: a host (admin only, must exist) and a null zone that unpins the server", async () => {
    const id = await h.activeServer({ name: "hosted", server: { availability_zone: "nova" } });
    expect((await h.show(id, { version: "2.96" })).pinned_availability_zone).toBe("nova");
    await h.action(id, { shelve: null });
    await h.drain();
    expectFault(
      await h.action(id, { unshelve: { host: HOST } }, { version: "2.91" }),
      403,
      "Policy doesn't allow os_compute_api:os-shelve:unshelve_to_host to be performed.",
    );
    expectFault(
      await h.action(id, { unshelve: { host: "elsewhere" } }, { as: "admin", version: "2.91" }),
      400,
      "Compute host elsewhere could not be found.",
    );
    const r = await h.action(
      id,
      { unshelve: { availability_zone: null, host: HOST } },
      { as: "admin", version: "2.91" },
    );
    expect(r.status).toBe(202);
    await h.drain();
    const shown = await h.show(id, { as: "admin", version: "2.96" });
    expect(shown).toMatchObject({
      status: "ACTIVE",
      "OS-EXT-SRV-ATTR:host": HOST,
      pinned_availability_zone: null,
    });
  });

  it("an offloaded server still counts against cores and RAM, as nova's default quota counting does", async () => {
    const usage = async () => (await h.call({ url: "/limits" })).json.limits.absolute;
    const id = await h.activeServer({ name: "counted" });
    const before = await usage();
    await h.action(id, { shelve: null });
    await h.drain();
    const after = await usage();
    expect([after.totalInstancesUsed, after.totalCoresUsed, after.totalRAMUsed]).toEqual([
      before.totalInstancesUsed,
      before.totalCoresUsed,
      before.totalRAMUsed,
    ]);
  });

  it("deleting an offloaded server deletes its snapshot too", async () => {
    const id = await h.activeServer({ name: "gone-shelved" });
    await h.action(id, { shelve: null });
    await h.drain();
    const snapshot = (await h.call({ url: "/image/v2/images?name=gone-shelved-shelved" })).json.images[0].id;
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    expect((await image(snapshot)).status).toBe(404);
  });
});

describe("rescue and unrescue", () => {
  it("rescue answers 200 with a generated adminPass; RESCUE, then unrescue (202) → ACTIVE", async () => {
    const id = await h.activeServer({ name: "rescue-me" });
    const r = await h.withEngineStopped(async () => {
      const r = await h.action(id, { rescue: null });
      expect(await states(id)).toMatchObject({ status: "ACTIVE", task: "rescuing" });
      return r;
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ adminPass: expect.stringMatching(/^[A-Za-z0-9]{12}$/) });
    expect(await states(id)).toEqual({ status: "RESCUE", vm: "rescued", task: null, power: 1 });
    const console = await h.action(id, { "os-getConsoleOutput": {} });
    expect(console.json.output).toContain("Booting rescue image");
    expectFault(await h.action(id, { rescue: null }), 409, invalidState("rescue", id, "vm_state", "rescued"));
    expectFault(
      await h.action(id, { reboot: { type: "HARD" } }),
      409,
      invalidState("reboot", id, "vm_state", "rescued"),
    );

    await h.withEngineStopped(async () => {
      const u = await h.action(id, { unrescue: null });
      expect(u.status).toBe(202);
      expect(u.text).toBe("");
      expect(await states(id)).toMatchObject({ status: "RESCUE", task: "unrescuing" });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expectFault(
      await h.action(id, { unrescue: null }),
      409,
      invalidState("unrescue", id, "vm_state", "active"),
    );
    expect((await actions(id)).slice(0, 2).map(([a]) => a)).toEqual(["unrescue", "rescue"]);
  });

  it("returns the adminPass given, takes a rescue image (2.87 too) and rescues a stopped server", async () => {
    const id = await h.activeServer({ name: "rescue-image" });
    await h.action(id, { "os-stop": null });
    await h.drain();
    const r = await h.action(
      id,
      { rescue: { adminPass: "MySecretPass", rescue_image_ref: (await h.show(id)).image.id } },
      { version: "2.87" },
    );
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ adminPass: "MySecretPass" });
    await h.drain();
    expect((await states(id)).status).toBe("RESCUE");
  });

  it("answers 400 for an unknown or malformed rescue image, 409 when locked, 404 for another project", async () => {
    const id = await h.activeServer({ name: "rescue-bad" });
    const unknown = "0b0b0b0b-0000-4000-8000-000000000000";
    expectFault(
      await h.action(id, { rescue: { rescue_image_ref: unknown } }),
      400,
      `Requested rescue image '${unknown}' is not supported`,
    );
    expect((await h.action(id, { rescue: { rescue_image_ref: "not-a-uuid" } })).status).toBe(400);
    expect((await h.action(id, { rescue: { password: "x" } })).status).toBe(400);
    expect((await h.action(id, { rescue: null }, { as: "other" })).status).toBe(404);
    await h.action(id, { lock: null });
    expectFault(await h.action(id, { rescue: null }), 409, `Instance ${id} is locked`);
    expect((await h.action(id, { rescue: null }, { as: "admin" })).status).toBe(200);
    await h.drain();
    expectFault(await h.action(id, { unrescue: null }), 409, `Instance ${id} is locked`);
  });
});

describe("changePassword", () => {
  it("202, PASSWORD while the guest takes it, then ACTIVE; recorded as changePassword", async () => {
    const id = await h.activeServer({ name: "passwd" });
    await h.withEngineStopped(async () => {
      const r = await h.action(id, { changePassword: { adminPass: "foo" } });
      expect(r.status).toBe(202);
      expect(r.text).toBe("");
      expect(await states(id)).toEqual({
        status: "PASSWORD",
        vm: "active",
        task: "updating_password",
        power: 1,
      });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect((await actions(id))[0]).toEqual(["changePassword", null]);
    expect(await lastEvents(id)).toEqual([["compute_set_admin_password", "Success", null]]);
  });

  it("needs ACTIVE, an adminPass, and its policy's project", async () => {
    const id = await h.activeServer({ name: "passwd-rules" });
    expect((await h.action(id, { changePassword: {} })).status).toBe(400);
    expect((await h.action(id, { changePassword: { adminPass: 7 } })).status).toBe(400);
    expect((await h.action(id, { changePassword: { adminPass: "x" } }, { as: "other" })).status).toBe(404);
    await h.action(id, { "os-stop": null });
    await h.drain();
    expectFault(
      await h.action(id, { changePassword: { adminPass: "x" } }),
      409,
      invalidState("changePassword", id, "vm_state", "stopped"),
    );
  });
});

describe("createBackup", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "backed-up" });
  });
  const backup = (name: string, rotation: number | string, version?: string, extra: object = {}) =>
    h.action(id, { createBackup: { name, backup_type: "daily", rotation, ...extra } }, { version });

  it("before 2.45: 202, no body, Location of nova's image API; image_backup while it runs", async () => {
    const r = await h.withEngineStopped(async () => {
      const r = await backup("Backup 1", 1, undefined, { metadata: { purpose: "test" } });
      expect(await states(id)).toMatchObject({ status: "ACTIVE", task: "image_backup" });
      return r;
    });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    const location = String(r.headers.location);
    expect(location).toMatch(new RegExp(`^${BASE}/compute/v2\\.1/images/[0-9a-f-]{36}$`));
    const shown = await image(location.split("/").at(-1)!);
    expect(shown.json).toMatchObject({
      name: "Backup 1",
      status: "active",
      image_type: "backup",
      backup_type: "daily",
      instance_uuid: id,
      purpose: "test",
    });
    expect((await actions(id))[0]).toEqual(["createBackup", null]);
  });

  it("from 2.45: a body with image_id and no Location; rotation keeps the newest only", async () => {
    const first = await backup("rotated", 1, "2.45");
    await h.drain();
    await new Promise((resolve) => setTimeout(resolve, 3));
    const second = await backup("rotated", 1, "2.45");
    expect(second.status).toBe(202);
    expect(second.json).toEqual({ image_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(second.headers.location).toBeUndefined();
    await h.drain();
    expect((await image(first.json.image_id)).status).toBe(404);
    expect((await image(second.json.image_id)).json.status).toBe("active");
    const daily = await h.call({ url: `/image/v2/images?backup_type=daily&instance_uuid=${id}` });
    expect(daily.json.images.map((i: { id: string }) => i.id)).toEqual([second.json.image_id]);
  });

  it("rotation 0: no Location before 2.45, and every daily backup is deleted", async () => {
    const r = await backup("zero", 0);
    expect(r.status).toBe(202);
    expect(r.headers.location).toBeUndefined();
    await h.drain();
    const daily = await h.call({ url: `/image/v2/images?backup_type=daily&instance_uuid=${id}` });
    expect(daily.json.images).toEqual([]);
  });

  it("answers 400 for bad input", async () => {
    for (const body of [
      { name: "b", rotation: 1 },
      { name: "b", backup_type: "daily" },
      { backup_type: "daily", rotation: 1 },
      { name: "b", backup_type: "daily", rotation: -1 },
      { name: "b", backup_type: "daily", rotation: "abc" },
      { name: " b", backup_type: "daily", rotation: 1 },
      { name: "b", backup_type: "daily", rotation: 1, extra: true },
    ]) {
      expect((await h.action(id, { createBackup: body })).status, JSON.stringify(body)).toBe(400);
    }
  });

  it("counts metadata against the quota before 2.39 only (403)", async () => {
    await h.setQuota("demo", { metadata_items: 1 });
    const metadata = { a: "1", b: "2" };
    expectFault(await backup("meta", 1, "2.38", { metadata }), 403, "Image metadata limit exceeded");
    expect((await backup("meta", 1, "2.39", { metadata })).status).toBe(202);
    await h.setQuota("demo", { metadata_items: 128 });
    await h.drain();
  });

  it("is refused by state but not by a lock, like createImage; legacy /v2 strips the name", async () => {
    await h.action(id, { lock: null });
    expect((await backup("locked", 1)).status).toBe(202);
    await h.drain();
    await h.action(id, { unlock: null });
    const legacy = await h.call({
      method: "POST",
      url: `/compute/v2/servers/${id}/action`,
      body: { createBackup: { name: "  spaced  ", backup_type: "legacy", rotation: 1 } },
    });
    expect(legacy.status).toBe(202);
    await h.drain();
    const listed = await h.call({ url: `/image/v2/images?backup_type=legacy&instance_uuid=${id}` });
    expect(listed.json.images.map((i: { name: string }) => i.name)).toEqual(["spaced"]);
    await h.action(id, { rescue: null });
    await h.drain();
    expectFault(await backup("rescued", 1), 409, invalidState("createBackup", id, "vm_state", "rescued"));
  });
});

describe("migrate (cold) on one host", () => {
  it("needs a project manager (403 for a member); admin: 202, RESIZE, then back to ACTIVE, the action failed", async () => {
    const id = await h.activeServer({ name: "migrant" });
    expectFault(
      await h.action(id, { migrate: null }),
      403,
      "Policy doesn't allow os_compute_api:os-migrate-server:migrate to be performed.",
    );
    await h.withEngineStopped(async () => {
      const r = await h.action(id, { migrate: null }, { as: "admin" });
      expect(r.status).toBe(202);
      expect(r.text).toBe("");
      expect(await states(id)).toMatchObject({ status: "RESIZE", task: "resize_prep" });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect((await h.show(id)).fault).toBeUndefined();
    expect((await actions(id))[0]).toEqual(["migrate", "Error"]);
    const message = "No valid host was found. No valid host found for cold migrate";
    expect(await lastEvents(id)).toEqual([
      ["conductor_migrate_server", "Error", message],
      ["cold_migrate", "Error", message],
    ]);
  });

  it("2.56: its own host is 400, an unknown host 400, and a host needs admin; before 2.56 the body is ignored", async () => {
    const id = await h.activeServer({ name: "migrant-host" });
    expectFault(
      await h.action(id, { migrate: { host: HOST } }, { as: "admin", version: "2.56" }),
      400,
      "Cannot migrate to the host where the server exists.",
    );
    expectFault(
      await h.action(id, { migrate: { host: "elsewhere" } }, { as: "admin", version: "2.56" }),
      400,
      "Compute host elsewhere could not be found.",
    );
    expectFault(
      await h.action(id, { migrate: { host: HOST } }, { version: "2.56" }),
      403,
      "Policy doesn't allow os_compute_api:os-migrate-server:migrate:host to be performed.",
    );
    expect((await h.action(id, { migrate: { bogus: 1 } }, { as: "admin", version: "2.56" })).status).toBe(
      400,
    );
    expect((await h.action(id, { migrate: { host: null } }, { as: "admin", version: "2.56" })).status).toBe(
      202,
    );
    await h.drain();
    expect(
      (await h.action(id, { migrate: { host: "ignored" } }, { as: "admin", version: "2.55" })).status,
    ).toBe(202);
    await h.drain();
  });

  it("is refused in the wrong state (409) before any host is looked at", async () => {
    const id = await h.activeServer({ name: "migrant-paused" });
    await h.action(id, { pause: null });
    await h.drain();
    expectFault(
      await h.action(id, { migrate: { host: "elsewhere" } }, { as: "admin", version: "2.56" }),
      409,
      invalidState("migrate", id, "vm_state", "paused"),
    );
  });
});

describe("os-migrateLive on one host", () => {
  const live = (id: string, body: object, version: string) =>
    h.action(id, { "os-migrateLive": body }, { as: "admin", version });

  it("before 2.34: the conductor's refusal is the answer (400), recorded as a failed live-migration", async () => {
    const id = await h.activeServer({ name: "live-sync" });
    expectFault(
      await live(id, { host: null, block_migration: false, disk_over_commit: false }, "2.1"),
      400,
      "No valid host was found. There are not enough hosts available.",
    );
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect((await actions(id))[0]).toEqual(["live-migration", "Error"]);
    expect(await lastEvents(id)).toEqual([
      ["conductor_migrate_server", "Error", "No valid host was found. There are not enough hosts available."],
    ]);
    // a named host is forced before 2.30: it is the server's own
    expectFault(
      await live(id, { host: HOST, block_migration: "auto" }, "2.25"),
      400,
      `Unable to migrate instance (${id}) to current host (${HOST}).`,
    );
    // from 2.30 force=false sends the named host through the scheduler
    expectFault(
      await live(id, { host: HOST, block_migration: "auto", force: false }, "2.30"),
      400,
      "No valid host was found. There are not enough hosts available.",
    );
  });

  it("from 2.34: 202, MIGRATING, then back to ACTIVE with the action failed", async () => {
    const id = await h.activeServer({ name: "live-async" });
    await h.withEngineStopped(async () => {
      const r = await live(id, { host: null, block_migration: "auto" }, "2.34");
      expect(r.status).toBe(202);
      expect(r.text).toBe("");
      expect(await states(id)).toMatchObject({ status: "MIGRATING", task: "migrating" });
    });
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect((await actions(id))[0]).toEqual(["live-migration", "Error"]);
    expect((await live(id, { host: null, block_migration: "auto" }, "2.68")).status).toBe(202);
    await h.drain();
  });

  it("answers 400 for bad input, an unknown host or force without a host; 403 and 409 as nova", async () => {
    const id = await h.activeServer({ name: "live-rules" });
    expectFault(
      await live(id, { host: null, block_migration: "auto", force: true }, "2.30"),
      400,
      "Can't force to a non-provided destination",
    );
    // force is gone from 2.68; disk_over_commit from 2.25; both are required before
    expect((await live(id, { host: null, block_migration: "auto", force: false }, "2.68")).status).toBe(400);
    expect(
      (await live(id, { host: null, block_migration: "auto", disk_over_commit: false }, "2.25")).status,
    ).toBe(400);
    expect((await live(id, { host: null, block_migration: false }, "2.1")).status).toBe(400);
    expect((await live(id, { host: null, block_migration: "maybe" }, "2.25")).status).toBe(400);
    expectFault(
      await live(id, { host: "elsewhere", block_migration: "auto" }, "2.34"),
      400,
      "Compute host elsewhere could not be found.",
    );
    expectFault(
      await h.action(id, { "os-migrateLive": { host: null, block_migration: "auto" } }, { version: "2.34" }),
      403,
      "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live to be performed.",
    );
    expectFault(
      await h.action(id, { "os-migrateLive": { host: HOST, block_migration: "auto" } }, { version: "2.34" }),
      403,
      "Policy doesn't allow os_compute_api:os-migrate-server:migrate_live:host to be performed.",
    );
    await h.action(id, { "os-stop": null });
    await h.drain();
    expectFault(
      await live(id, { host: null, block_migration: "auto" }, "2.34"),
      409,
      invalidState("os-migrateLive", id, "vm_state", "stopped"),
    );
  });
});
