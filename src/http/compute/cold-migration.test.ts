/**
 * Cold migration between two simulated hosts: the server moves to the other host (or the
 * one named, 2.56) and waits in VERIFY_RESIZE; confirm ends it there and removes the old
 * guest, revert takes it back; the migration record and the claims follow each step.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

const NANO = "42";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness({ config: { fakeHosts: 2 } });
});
afterAll(async () => h.close());

const boot = (name: string) =>
  h.activeServer({ name, server: { flavorRef: NANO, networks: "none" }, version: "2.37" });

async function placed(id: string) {
  const s = await h.show(id, { as: "admin" });
  return { status: s.status, host: s["OS-EXT-SRV-ATTR:host"] as string, power: s["OS-EXT-STS:power_state"] };
}

const held = async (consumer: string) =>
  Object.fromEntries(await h.nimbus.compute.placement.allocationsOf(consumer));

async function migrationOf(id: string) {
  const r = await h.call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" });
  return r.json.migrations[0] as {
    uuid: string;
    status: string;
    migration_type: string;
    source_compute: string;
    dest_compute: string;
  };
}

const guestOn = async (host: string, id: string) => h.nimbus.drivers.get(host)!.powerState(id);
const NANO_CLAIM = { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 };

describe("cold migration with two hosts", () => {
  it("moves the server to the other host; confirm keeps it there and removes the old guest", async () => {
    const id = await boot("migrant");
    const { host: source } = await placed(id);
    expect((await h.action(id, { migrate: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    const moved = await placed(id);
    expect(moved.status).toBe("VERIFY_RESIZE");
    expect(moved.host).not.toBe(source);
    expect(moved.power).toBe(1);
    const migration = await migrationOf(id);
    expect(migration).toMatchObject({
      migration_type: "migration",
      status: "finished",
      source_compute: source,
      dest_compute: moved.host,
    });
    // both hosts hold the server until it is confirmed: the source through its migration
    expect(await held(id)).toEqual({ [moved.host]: NANO_CLAIM });
    expect(await held(migration.uuid)).toEqual({ [source]: NANO_CLAIM });

    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect(await placed(id)).toMatchObject({ status: "ACTIVE", host: moved.host });
    expect((await migrationOf(id)).status).toBe("confirmed");
    expect(await held(migration.uuid)).toEqual({});
    expect(await guestOn(source, id)).toBe(0);
    expect(await guestOn(moved.host, id)).toBe(1);
  });

  it("to a named host (2.56); revert takes it back where it was, running", async () => {
    const id = await boot("returner");
    const { host: source } = await placed(id);
    const other = (await h.call({ url: "/os-services?binary=nova-compute", as: "admin" })).json.services
      .map((s: { host: string }) => s.host)
      .find((host: string) => host !== source);
    const r = await h.action(id, { migrate: { host: other } }, { as: "admin", version: "2.56" });
    expect(r.status, r.text).toBe(202);
    await h.drain();
    expect(await placed(id)).toMatchObject({ status: "VERIFY_RESIZE", host: other });

    expect((await h.action(id, { revertResize: null })).status).toBe(202);
    await h.drain();
    expect(await placed(id)).toEqual({ status: "ACTIVE", host: source, power: 1 });
    expect((await migrationOf(id)).status).toBe("reverted");
    expect(await held(id)).toEqual({ [source]: NANO_CLAIM });
    expect(await guestOn(other, id)).toBe(0);
    // the instance action holds both sides' events
    const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
    const revert = actions.json.instanceActions[0];
    const detail = await h.call({
      url: `/servers/${id}/os-instance-actions/${revert.request_id}`,
      as: "admin",
    });
    expect(detail.json.instanceAction.events.map((e: { event: string }) => e.event).sort()).toEqual([
      "compute_finish_revert_resize",
      "compute_revert_resize",
    ]);
  });

  it("a stopped server arrives stopped", async () => {
    const id = await boot("sleeper");
    expect((await h.action(id, { "os-stop": null })).status).toBe(202);
    await h.drain();
    expect((await h.action(id, { migrate: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    const moved = await placed(id);
    expect([moved.status, moved.power]).toEqual(["VERIFY_RESIZE", 4]);
    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect((await placed(id)).status).toBe("SHUTOFF");
  });
});

describe("a server group's policy on a move", () => {
  async function groupOf(policy: string, names: string[]) {
    const created = await h.call({
      method: "POST",
      url: "/os-server-groups",
      version: "2.64",
      body: { server_group: { name: `${policy}-movers`, policy } },
    });
    expect(created.status, created.text).toBe(200);
    const ids: string[] = [];
    for (const name of names) {
      ids.push(
        await h.activeServer({
          name,
          server: { flavorRef: NANO, networks: "none" },
          version: "2.37",
          extra: { "os:scheduler_hints": { group: created.json.server_group.id } },
        }),
      );
    }
    return ids;
  }

  it("anti-affinity: a member cannot move onto another member's host", async () => {
    const [a, b] = await groupOf("anti-affinity", ["apart-a", "apart-b"]);
    const { host: source } = await placed(a!);
    expect((await placed(b!)).host).not.toBe(source);
    // the only other host holds b
    expect((await h.action(a!, { migrate: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    expect(await placed(a!)).toEqual({ status: "ACTIVE", host: source, power: 1 });
    expect((await migrationOf(a!)).status).toBe("error");
    expect(await held(a!)).toEqual({ [source]: NANO_CLAIM });
  });

  it("affinity: a member cannot leave the others' host; alone it may", async () => {
    const [a, b] = await groupOf("affinity", ["together-a", "together-b"]);
    const { host } = await placed(a!);
    expect((await placed(b!)).host).toBe(host);
    expect((await h.action(a!, { migrate: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    expect(await placed(a!)).toEqual({ status: "ACTIVE", host, power: 1 });
    // with b gone a is alone in the group and may move
    expect((await h.call({ method: "DELETE", url: `/servers/${b}` })).status).toBe(204);
    await h.drain();
    expect((await h.action(a!, { migrate: null }, { as: "admin" })).status).toBe(202);
    await h.drain();
    expect((await placed(a!)).status).toBe("VERIFY_RESIZE");
    expect((await placed(a!)).host).not.toBe(host);
  });
});
