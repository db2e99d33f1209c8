/**
 * The evacuate action with nimbus's one compute host, answered as nova answers: its
 * refusals in nova's order and words, and — with the host forced down — 200, then no
 * other host for the conductor: the server in ERROR with the scheduler's fault, the
 * evacuation migration in error, the action failed.
 */
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, expectFault } from "../../../test/compute-harness.js";

const HOST = hostname();

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const evacuate = (id: string, body: object, version = "2.14", as: "admin" | "demo" = "admin") =>
  h.action(id, { evacuate: body }, { as, version });

async function forceDown(down: boolean) {
  const services = await h.call({ url: "/os-services?binary=nova-compute", as: "admin", version: "2.53" });
  const r = await h.call({
    method: "PUT",
    url: `/os-services/${services.json.services[0].id}`,
    as: "admin",
    version: "2.53",
    body: { forced_down: down },
  });
  expect(r.status, r.text).toBe(200);
}

describe("evacuate while the server's host is up", () => {
  it("is admin's: a member is refused by policy", async () => {
    const id = await h.activeServer({ name: "evac-policy" });
    expectFault(
      await evacuate(id, {}, "2.14", "demo"),
      403,
      "Policy doesn't allow os_compute_api:os-evacuate to be performed.",
    );
  });

  it("refuses an unknown host (404), the server's own host (400), then the live host (400)", async () => {
    const id = await h.activeServer({ name: "evac-refusals" });
    expectFault(await evacuate(id, { host: "nowhere" }), 404, "Compute host nowhere not found.");
    expectFault(await evacuate(id, { host: HOST }), 400, "The target host can't be the same one.");
    expectFault(await evacuate(id, {}), 400, `Compute service of ${HOST} is still in use.`);
  });

  it("checks the server's state before its host's", async () => {
    const id = await h.activeServer({ name: "evac-paused" });
    expect((await h.action(id, { pause: null })).status).toBe(202);
    await h.drain();
    expectFault(
      await evacuate(id, {}),
      409,
      `Cannot 'evacuate' instance ${id} while it is in vm_state paused`,
    );
  });

  it("reads the body of each microversion: onSharedStorage before 2.14, force from 2.29", async () => {
    const id = await h.activeServer({ name: "evac-bodies" });
    expectFault(
      await evacuate(id, { onSharedStorage: true, adminPass: "x" }, "2.13"),
      400,
      "admin password can't be changed on existing disk",
    );
    expect((await evacuate(id, {}, "2.13")).status).toBe(400);
    expectFault(
      await evacuate(id, { force: true }, "2.29"),
      400,
      "Can't force to a non-provided destination",
    );
    expect((await evacuate(id, { force: true }, "2.68")).status).toBe(400);
  });
});

describe("evacuate from a host forced down", () => {
  it("answers 200, then the conductor finds no other host: ERROR, fault, migration error", async () => {
    const id = await h.activeServer({ name: "evac-down" });
    await forceDown(true);
    try {
      const old = await evacuate(id, { onSharedStorage: false }, "2.13");
      expect(old.status, old.text).toBe(200);
      expect(typeof old.json.adminPass).toBe("string");
      await h.drain();
      let shown = await h.show(id, { as: "admin" });
      expect(shown.status).toBe("ERROR");
      expect(shown.fault.message).toBe("No valid host was found. There are not enough hosts available.");

      // from 2.14 the answer has no body; an ERROR server may be evacuated again
      const r = await evacuate(id, {}, "2.14");
      expect(r.status, r.text).toBe(200);
      expect(r.text).toBe("");
      await h.drain();
      shown = await h.show(id, { as: "admin" });
      expect([shown.status, shown["OS-EXT-STS:task_state"]]).toEqual(["ERROR", null]);
    } finally {
      await forceDown(false);
    }
    const migrations = await h.call({
      url: `/os-migrations?instance_uuid=${id}`,
      as: "admin",
      version: "2.23",
    });
    expect(
      migrations.json.migrations.map((m: { migration_type: string; status: string }) => [
        m.migration_type,
        m.status,
      ]),
    ).toEqual([
      ["evacuation", "error"],
      ["evacuation", "error"],
    ]);
    const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
    const newest = actions.json.instanceActions[0];
    expect([newest.action, newest.message]).toEqual(["evacuate", "Error"]);
    const detail = await h.call({
      url: `/servers/${id}/os-instance-actions/${newest.request_id}`,
      as: "admin",
      version: "2.51",
    });
    expect(
      detail.json.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]),
    ).toEqual([["conductor_rebuild_server", "Error"]]);
  });
});
