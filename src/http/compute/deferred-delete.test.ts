/**
 * Deferred delete (nova's `reclaim_instance_interval` and the os-deferred-delete actions):
 * DELETE soft-deletes with an interval and deletes without one, `restore` and
 * `forceDelete`, quota freed and taken back, the reclaim sweep; and nova's local delete of
 * a server whose build failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, expectFault } from "../../../test/compute-harness.js";

async function states(h: ComputeHarness, id: string) {
  const s = await h.show(id);
  return { status: s.status, vm: s["OS-EXT-STS:vm_state"], task: s["OS-EXT-STS:task_state"] };
}

async function actionNames(h: ComputeHarness, id: string): Promise<string[]> {
  // 2.21 shows the actions of deleted servers too
  const r = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin", version: "2.21" });
  return (r.json.instanceActions as Array<{ action: string }>).map((a) => a.action);
}

const deleteServer = (h: ComputeHarness, id: string) => h.call({ method: "DELETE", url: `/servers/${id}` });
const MISSING = "8f9e1c2d-0000-4000-8000-000000000000";

describe("without a reclaim interval (nova's default)", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness();
  });
  afterAll(async () => h.close());

  it("deletes at once, and restore of a live server is 409, of a missing one 404", async () => {
    const id = await h.activeServer({ name: "no-defer" });
    expectFault(
      await h.action(id, { restore: null }),
      409,
      `Cannot 'restore' instance ${id} while it is in vm_state active`,
    );
    expectFault(await h.action(MISSING, { restore: null }), 404, `Instance ${MISSING} could not be found.`);
    expect((await deleteServer(h, id)).status).toBe(204);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
  });

  it("forceDelete deletes a live server; of a missing one it is 404", async () => {
    const id = await h.activeServer({ name: "forced" });
    expect((await h.action(id, { forceDelete: null })).status).toBe(202);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
    expect(await actionNames(h, id)).toEqual(["delete", "create"]);
    expectFault(
      await h.action(MISSING, { forceDelete: null }),
      404,
      `Instance ${MISSING} could not be found.`,
    );
  });

  it("deletes a server whose build failed within the request: off its host, so the next GET is 404", async () => {
    const { id } = await h.createServer({ name: "nimbus-fake-fail-build" });
    await h.drain();
    const failed = await h.show(id, { as: "admin" });
    expect(failed.status).toBe("ERROR");
    // nova clears host and node when a build fails
    expect(failed["OS-EXT-SRV-ATTR:host"]).toBeNull();
    expect(failed["OS-EXT-SRV-ATTR:hypervisor_hostname"]).toBeNull();
    await h.withEngineStopped(async () => {
      expect((await deleteServer(h, id)).status).toBe(204);
      // no task ran: the delete finished in the request
      expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
    });
    const ports = await h.call({ url: `/network/v2.0/ports?device_id=${id}`, as: "admin" });
    expect(ports.json.ports).toEqual([]);
  });
});

describe("with a reclaim interval", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness({ config: { reclaimInstanceIntervalSeconds: 3600 } });
  });
  afterAll(async () => h.close());

  const used = async () =>
    (await h.call({ url: "/limits" })).json.limits.absolute.totalInstancesUsed as number;

  it("DELETE soft-deletes: soft-deleting, then SOFT_DELETED and powered off, still listed", async () => {
    const id = await h.activeServer({ name: "soft" });
    const before = await used();
    await h.withEngineStopped(async () => {
      expect((await deleteServer(h, id)).status).toBe(204);
      expect(await states(h, id)).toEqual({ status: "ACTIVE", vm: "active", task: "soft-deleting" });
    });
    expect(await states(h, id)).toEqual({ status: "SOFT_DELETED", vm: "soft-delete", task: null });
    expect((await h.show(id))["OS-EXT-STS:power_state"]).toBe(4);
    const listed = await h.call({ url: "/servers?status=SOFT_DELETED" });
    expect(listed.json.servers.map((s: { id: string }) => s.id)).toContain(id);
    // a soft-deleted server holds no quota
    expect(await used()).toBe(before - 1);
    expect(await actionNames(h, id)).toEqual(["delete", "create"]);
  });

  it("restore: restoring, then ACTIVE and running again, holding its quota again", async () => {
    const id = await h.activeServer({ name: "restorable" });
    expect((await deleteServer(h, id)).status).toBe(204);
    await h.drain();
    const before = await used();
    await h.withEngineStopped(async () => {
      expect((await h.action(id, { restore: null })).status).toBe(202);
      expect(await states(h, id)).toEqual({ status: "SOFT_DELETED", vm: "soft-delete", task: "restoring" });
      expect(await used()).toBe(before + 1);
    });
    expect(await states(h, id)).toEqual({ status: "ACTIVE", vm: "active", task: null });
    expect((await h.show(id))["OS-EXT-STS:power_state"]).toBe(1);
    expect(await actionNames(h, id)).toEqual(["restore", "delete", "create"]);
  });

  it("restore over quota is 403 with nova's quota message", async () => {
    const id = await h.activeServer({ name: "over", as: "other" });
    expect((await h.call({ method: "DELETE", url: `/servers/${id}`, as: "other" })).status).toBe(204);
    await h.drain();
    await h.setQuota("other", { instances: 1 });
    try {
      await h.activeServer({ name: "taker", as: "other" });
      expectFault(
        await h.action(id, { restore: null }, { as: "other" }),
        403,
        "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances",
      );
    } finally {
      await h.setQuota("other", { instances: -1 });
    }
  });

  it("forceDelete deletes a soft-deleted server now", async () => {
    const id = await h.activeServer({ name: "force-soft" });
    await deleteServer(h, id);
    await h.drain();
    expect((await h.action(id, { forceDelete: null })).status).toBe(202);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
  });

  it("a server that never launched is deleted, not soft-deleted", async () => {
    await h.withEngineStopped(async () => {
      const { id } = await h.createServer({ name: "never-launched" });
      expect((await deleteServer(h, id)).status).toBe(204);
      // not yet scheduled, so on no host: deleted within the request
      expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
    });
  });

  it("reclaims soft-deleted servers once the interval has passed, and none before", async () => {
    const id = await h.activeServer({ name: "reclaimed" });
    await deleteServer(h, id);
    await h.drain();
    const deletion = h.nimbus.compute.deletion;
    expect(await deletion.reclaim(new Date(Date.now() + 3500_000))).toBe(0);
    expect(await deletion.reclaim(new Date(Date.now() + 3601_000))).toBeGreaterThanOrEqual(1);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
    // the reclaim is no one's request: nova records no action for it
    expect(await actionNames(h, id)).toEqual(["delete", "create"]);
  });
});
