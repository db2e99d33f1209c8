/**
 * `POST /os-server-external-events` through inject(): per-event codes (200, 404 unknown
 * server, 400 missing tag, 422 no host) and the overall 200 or 207, the event names each
 * microversion admits (2.51, 2.76, 2.82, 2.93), power-update switching a server's power
 * and state as nova does (recorded as start or stop), volume-extended recorded, and the
 * policy (admin or the service role).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  type Response,
  sample,
} from "../../../test/compute-harness.js";

const MISSING = "00000000-0000-4000-8000-000000000000";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

interface Event {
  name: string;
  server_uuid: string;
  tag?: string;
  status?: string;
}

const send = (events: Event[], version = "2.1", as: "admin" | "demo" = "admin") =>
  h.call({ method: "POST", url: "/os-server-external-events", as, version, body: { events } });

async function states(id: string) {
  const s = await h.show(id, { as: "admin" });
  return {
    status: s.status,
    vm: s["OS-EXT-STS:vm_state"],
    task: s["OS-EXT-STS:task_state"],
    power: s["OS-EXT-STS:power_state"],
  };
}

/** The server's newest instance action and its events, as [action, [event, result]...]. */
async function lastAction(id: string) {
  const list = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
  const action = list.json.instanceActions[0];
  const shown = await h.call({ url: `/servers/${id}/os-instance-actions/${action.request_id}`, as: "admin" });
  return [
    action.action,
    shown.json.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]),
  ];
}

describe("codes", () => {
  it("200 when every event is taken, each echoed with code 200 and status completed", async () => {
    const id = await h.activeServer();
    const r = await send([{ name: "network-changed", server_uuid: id, tag: "foo", status: "failed" }]);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({
      events: [{ name: "network-changed", server_uuid: id, tag: "foo", status: "completed", code: 200 }],
    });
    expect(keysOf(r.json.events[0])).toEqual(
      keysOf(sample("os-server-external-events/event-create-resp.json").events[0]),
    );
    const untagged = await send([{ name: "network-vif-plugged", server_uuid: id }]);
    expect(untagged.json.events).toEqual([
      { name: "network-vif-plugged", server_uuid: id, status: "completed", code: 200 },
    ]);
  });

  it("207 when any fails: 404 for an unknown server, 422 for one on no host (all failing is 207 too)", async () => {
    const id = await h.activeServer();
    const offloaded = await h.activeServer();
    await h.action(offloaded, { shelve: null });
    await h.drain();
    const r = await send([
      { name: "network-vif-unplugged", server_uuid: id },
      { name: "network-vif-deleted", server_uuid: MISSING, tag: "port" },
      { name: "network-changed", server_uuid: offloaded },
    ]);
    expect(r.status, r.text).toBe(207);
    expect(r.json.events.map((e: Event & { code: number }) => [e.code, e.status])).toEqual([
      [200, "completed"],
      [404, "failed"],
      [422, "failed"],
    ]);
    const none = await send([{ name: "network-changed", server_uuid: MISSING }]);
    expect(none.status).toBe(207);
    expect(none.json.events[0]).toMatchObject({ code: 404, status: "failed" });
    // a deleted server is unknown
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
    expect((await send([{ name: "network-changed", server_uuid: id }])).json.events[0].code).toBe(404);
  });

  it("400 for an event whose tag is required and missing", async () => {
    const id = await h.activeServer();
    const r = await send(
      [
        { name: "volume-extended", server_uuid: id },
        { name: "power-update", server_uuid: id },
        { name: "accelerator-request-bound", server_uuid: id },
        { name: "volume-reimaged", server_uuid: id },
      ],
      "2.93",
    );
    expect(r.status).toBe(207);
    expect(r.json.events.map((e: { code: number }) => e.code)).toEqual([400, 400, 400, 200]);
  });
});

describe("the event names of each microversion", () => {
  it("are nova's: volume-extended from 2.51, power-update 2.76, accelerator-request-bound 2.82, volume-reimaged 2.93", async () => {
    const id = await h.activeServer();
    const names: Array<[string, string, string]> = [
      ["volume-extended", "2.50", "2.51"],
      ["power-update", "2.75", "2.76"],
      ["accelerator-request-bound", "2.81", "2.82"],
      ["volume-reimaged", "2.92", "2.93"],
    ];
    for (const [name, before, from] of names) {
      const event = { name, server_uuid: id, tag: "x" };
      expect((await send([event], before)).status, `${name} at ${before}`).toBe(400);
      expect((await send([event], from)).status, `${name} at ${from}`).toBe(200);
    }
    expect((await send([{ name: "test-event", server_uuid: id }], "2.93")).status).toBe(400);
    expect((await send([], "2.93")).status).toBe(400);
  });
});

describe("what the events do", () => {
  it("power-update POWER_OFF stops an ACTIVE server, POWER_ON starts it again, each recorded", async () => {
    const id = await h.activeServer();
    const off = await send([{ name: "power-update", server_uuid: id, tag: "POWER_OFF" }], "2.76");
    expect(off.status, off.text).toBe(200);
    expect(await states(id)).toEqual({ status: "SHUTOFF", vm: "stopped", task: null, power: 4 });
    expect(await lastAction(id)).toEqual(["stop", [["compute_power_update", "Success"]]]);
    // the guest itself went down: the host has nothing to report on a stopped guest
    expect((await h.call({ url: `/servers/${id}/diagnostics`, as: "admin" })).status).toBe(409);
    await send([{ name: "power-update", server_uuid: id, tag: "POWER_ON" }], "2.76");
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect(await lastAction(id)).toEqual(["start", [["compute_power_update", "Success"]]]);
  });

  it("power-update is recorded but changes nothing unless the server is settled in the opposite state", async () => {
    const id = await h.activeServer();
    await send([{ name: "power-update", server_uuid: id, tag: "POWER_ON" }], "2.76");
    expect(await states(id)).toEqual({ status: "ACTIVE", vm: "active", task: null, power: 1 });
    expect(await lastAction(id)).toEqual(["start", [["compute_power_update", "Success"]]]);
    await h.action(id, { pause: null });
    await h.drain();
    await send([{ name: "power-update", server_uuid: id, tag: "POWER_OFF" }], "2.76");
    expect((await states(id)).status).toBe("PAUSED");
    // an unknown power state is skipped (nova logs it), though the event was taken
    const r = await send([{ name: "power-update", server_uuid: id, tag: "HIBERNATE" }], "2.76");
    expect(r.json.events[0].code).toBe(200);
    expect((await lastAction(id))[0]).toBe("stop");
  });

  it("volume-extended is recorded as extend_volume (nimbus attaches no volume to grow)", async () => {
    const id = await h.activeServer();
    await send([{ name: "volume-extended", server_uuid: id, tag: MISSING }], "2.51");
    expect(await lastAction(id)).toEqual(["extend_volume", [["compute_extend_volume", "Success"]]]);
    expect((await states(id)).status).toBe("ACTIVE");
  });
});

describe("policy", () => {
  it("refuses members", async () => {
    const id = await h.activeServer();
    const r: Response = await send([{ name: "network-changed", server_uuid: id }], "2.1", "demo");
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-server-external-events:create to be performed.",
    );
  });

  it("admits the service role, which sees the servers of its project", async () => {
    const token = await h.otherWithRole("service");
    const own = await h.activeServer({ as: "other" });
    const demo = await h.activeServer();
    const r = await h.call({
      method: "POST",
      url: "/os-server-external-events",
      as: null,
      headers: { "x-auth-token": token },
      body: {
        events: [
          { name: "network-changed", server_uuid: own },
          { name: "network-changed", server_uuid: demo },
        ],
      },
    });
    expect(r.status, r.text).toBe(207);
    expect(r.json.events.map((e: { code: number }) => e.code)).toEqual([200, 404]);
  });
});
