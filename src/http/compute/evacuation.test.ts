/**
 * Evacuation between two simulated hosts: with its host forced down, a server is rebuilt
 * on the other one (running, or stopped from 2.95); the failed host's old guest and claims
 * stay until it comes back, when they go and the migration is completed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness({ config: { fakeHosts: 2 } });
});
afterAll(async () => h.close());

const boot = (name: string) =>
  h.activeServer({ name, server: { flavorRef: "42", networks: "none" }, version: "2.37" });

async function placed(id: string) {
  const s = await h.show(id, { as: "admin" });
  return { status: s.status, host: s["OS-EXT-SRV-ATTR:host"] as string, power: s["OS-EXT-STS:power_state"] };
}

async function setDown(host: string, down: boolean) {
  const services = await h.call({ url: "/os-services?binary=nova-compute", as: "admin", version: "2.53" });
  const id = services.json.services.find((s: { host: string }) => s.host === host).id;
  const r = await h.call({
    method: "PUT",
    url: `/os-services/${id}`,
    as: "admin",
    version: "2.53",
    body: { forced_down: down },
  });
  expect(r.status, r.text).toBe(200);
}

async function evacuation(id: string) {
  const r = await h.call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" });
  return r.json.migrations[0] as {
    uuid: string;
    status: string;
    source_compute: string;
    dest_compute: string;
  };
}

const held = async (consumer: string) =>
  Object.fromEntries(await h.nimbus.compute.placement.allocationsOf(consumer));
const guestOn = (host: string, id: string) => h.nimbus.drivers.get(host)!.powerState(id);

describe("evacuate with two hosts", () => {
  it("rebuilds the server on the other host; the failed one is cleaned up when it comes back", async () => {
    const id = await boot("refugee");
    const { host: failed } = await placed(id);
    await setDown(failed, true);
    try {
      const r = await h.action(id, { evacuate: {} }, { as: "admin", version: "2.14" });
      expect(r.status, r.text).toBe(200);
      await h.drain();
      const rebuilt = await placed(id);
      expect(rebuilt.status).toBe("ACTIVE");
      expect(rebuilt.host).not.toBe(failed);
      expect(rebuilt.power).toBe(1);
      const migration = await evacuation(id);
      expect(migration).toMatchObject({ status: "done", source_compute: failed, dest_compute: rebuilt.host });
      // while the failed host is away, its old guest and claims are left as they were
      expect(await held(migration.uuid)).toEqual({ [failed]: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } });
      expect(await guestOn(failed, id)).not.toBe(0);
    } finally {
      await setDown(failed, false);
    }
    const migration = await evacuation(id);
    expect(migration.status).toBe("completed");
    expect(await held(migration.uuid)).toEqual({});
    expect(await guestOn(failed, id)).toBe(0);
  });

  it("from 2.95 the server arrives stopped", async () => {
    const id = await boot("stopped-refugee");
    const { host: failed } = await placed(id);
    await setDown(failed, true);
    try {
      const r = await h.action(id, { evacuate: {} }, { as: "admin", version: "2.95" });
      expect(r.status, r.text).toBe(200);
      await h.drain();
      expect(await placed(id)).toMatchObject({ status: "SHUTOFF", power: 4 });
    } finally {
      await setDown(failed, false);
    }
  });

  it("to the host the admin names, when it is up", async () => {
    const id = await boot("directed");
    const { host: failed } = await placed(id);
    const services = await h.call({ url: "/os-services?binary=nova-compute", as: "admin" });
    const other = services.json.services
      .map((s: { host: string }) => s.host)
      .find((x: string) => x !== failed);
    await setDown(failed, true);
    try {
      const r = await h.action(id, { evacuate: { host: other } }, { as: "admin", version: "2.29" });
      expect(r.status, r.text).toBe(200);
      await h.drain();
      expect(await placed(id)).toMatchObject({ status: "ACTIVE", host: other });
    } finally {
      await setDown(failed, false);
    }
  });
});
