/**
 * `/os-availability-zone` through inject(): the zone servers are placed in ("nova", the
 * zone the server views name, unless an aggregate gives the host another), the detail
 * view with the internal zone and each host's services, the admin-only detail, and
 * 2.102's closed query.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, keysOf, sample } from "../../../test/compute-harness.js";

const HOST = os.hostname();
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

describe("GET /os-availability-zone", () => {
  it("lists the nova zone, available, to any user", async () => {
    const r = await h.call({ url: "/os-availability-zone" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(sample("os-availability-zone/availability-zone-list-resp.json"));
  });

  it("is the zone servers are placed in", async () => {
    const id = await h.activeServer({ name: "zoned" });
    expect((await h.show(id))["OS-EXT-AZ:availability_zone"]).toBe("nova");
    // a host with servers cannot change zones (the aggregate test below moves it)
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
  });

  it("takes no query parameters from 2.102", async () => {
    expect((await h.call({ url: "/os-availability-zone?x=1", version: "2.101" })).status).toBe(200);
    const r = await h.call({ url: "/os-availability-zone?x=1", version: "2.102" });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toMatch(/Additional properties are not allowed/);
  });
});

describe("GET /os-availability-zone/detail", () => {
  it("lists the internal zone (conductor, scheduler) and nova (compute) with their hosts", async () => {
    const r = await h.call({ url: "/os-availability-zone/detail", as: "admin" });
    expect(r.status, r.text).toBe(200);
    const zones = r.json.availabilityZoneInfo;
    expect(zones.map((z: { zoneName: string }) => z.zoneName)).toEqual(["internal", "nova"]);
    const [internal, nova] = zones;
    expect(keysOf(internal)).toEqual(
      keysOf(sample("os-availability-zone/availability-zone-detail-resp.json").availabilityZoneInfo[0]),
    );
    expect(internal.zoneState).toEqual({ available: true });
    expect(Object.keys(internal.hosts)).toEqual([HOST]);
    expect(Object.keys(internal.hosts[HOST])).toEqual(["nova-conductor", "nova-scheduler"]);
    expect(Object.keys(nova.hosts[HOST])).toEqual(["nova-compute"]);
    const compute = nova.hosts[HOST]["nova-compute"];
    expect(compute).toEqual({ available: true, active: true, updated_at: expect.stringMatching(MICROS) });
  });

  it("leaves a disabled service out, and its zone unavailable when none is left", async () => {
    const set = (action: string) =>
      h.call({
        method: "PUT",
        url: `/os-services/${action}`,
        as: "admin",
        body: { host: HOST, binary: "nova-compute" },
      });
    await set("disable");
    try {
      const zones = (await h.call({ url: "/os-availability-zone/detail", as: "admin" })).json
        .availabilityZoneInfo;
      expect(zones.map((z: { zoneName: string; zoneState: object }) => [z.zoneName, z.zoneState])).toEqual([
        ["internal", { available: true }],
        ["nova", { available: false }],
      ]);
      expect(zones[1].hosts).toBeNull();
    } finally {
      await set("enable");
    }
  });

  it("names the zone of the compute host's aggregate, as its services do", async () => {
    const admin = (method: "POST" | "DELETE", url: string, body?: unknown) =>
      h.call({ method, url, as: "admin", body });
    const created = await admin("POST", "/os-aggregates", {
      aggregate: { name: "east", availability_zone: "az-east" },
    });
    expect(created.status, created.text).toBe(200);
    const id = created.json.aggregate.id;
    const added = await admin("POST", `/os-aggregates/${id}/action`, { add_host: { host: HOST } });
    expect(added.status, added.text).toBe(200);
    try {
      const zones = (await h.call({ url: "/os-availability-zone" })).json.availabilityZoneInfo;
      expect(zones.map((z: { zoneName: string }) => z.zoneName)).toEqual(["az-east"]);
      const detail = (await h.call({ url: "/os-availability-zone/detail", as: "admin" })).json;
      expect(detail.availabilityZoneInfo.map((z: { zoneName: string }) => z.zoneName)).toEqual([
        "az-east",
        "internal",
      ]);
      const services = (await h.call({ url: "/os-services?binary=nova-compute", as: "admin" })).json.services;
      expect(services[0].zone).toBe("az-east");
    } finally {
      await admin("POST", `/os-aggregates/${id}/action`, { remove_host: { host: HOST } });
      await admin("DELETE", `/os-aggregates/${id}`);
    }
    expect((await h.call({ url: "/os-availability-zone" })).json.availabilityZoneInfo[0].zoneName).toBe(
      "nova",
    );
  });

  it("is for admins only", async () => {
    const r = await h.call({ url: "/os-availability-zone/detail" });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.",
    );
  });
});
