/**
 * `GET /servers/{id}/diagnostics` and `/servers/{id}/topology` through inject(): what the
 * fake host reports of a running guest (libvirt's format before 2.48, nova's standard one
 * from 2.48), nova's 409s for a guest not running or on no host, the admin-only policy,
 * and the topology of a server without NUMA (2.78).
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  type Response,
  SMALL,
  sample,
} from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

function expectFault(r: Response, status: number, message: string) {
  const key = { 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest" }[status];
  expect(r.status, r.text).toBe(status);
  expect(r.json).toEqual({ [key!]: { code: status, message } });
}

const diagnostics = (id: string, version = "2.48", as: "admin" | "demo" = "admin") =>
  h.call({ url: `/servers/${id}/diagnostics`, as, version });

describe("GET /servers/{id}/diagnostics", () => {
  it("2.48: nova's standard format with what the fake host knows: state, uptime, size, ports, disk", async () => {
    const id = await h.activeServer({ server: { flavorRef: SMALL, config_drive: true } });
    const server = await h.show(id);
    const mac = (Object.values(server.addresses)[0] as Array<{ "OS-EXT-IPS-MAC:mac_addr": string }>)[0]![
      "OS-EXT-IPS-MAC:mac_addr"
    ];
    const r = await diagnostics(id);
    expect(r.status, r.text).toBe(200);
    expect(keysOf(r.json)).toEqual(
      keysOf(sample("os-server-diagnostics/v2.48/server-diagnostics-get-resp.json")),
    );
    const nulls = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, null]));
    expect(r.json).toEqual({
      state: "running",
      driver: "libvirt",
      hypervisor: "fake",
      hypervisor_os: os.platform(),
      uptime: expect.any(Number),
      config_drive: true,
      num_cpus: 1,
      num_nics: 1,
      num_disks: 1,
      cpu_details: [{ id: 0, time: null, utilisation: null }],
      nic_details: [
        {
          mac_address: mac,
          ...nulls(["rx_octets", "rx_errors", "rx_drop", "rx_packets", "rx_rate"]),
          ...nulls(["tx_octets", "tx_errors", "tx_drop", "tx_packets", "tx_rate"]),
        },
      ],
      disk_details: [nulls(["read_bytes", "read_requests", "write_bytes", "write_requests", "errors_count"])],
      // m1.small: 2048 MB
      memory_details: { maximum: 2048, used: null },
    });
    expect(r.json.uptime).toBeGreaterThanOrEqual(0);
    expect(mac).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
  });

  it("before 2.48: the driver's own libvirt-style keys, only what it can read (the memory, in KiB)", async () => {
    const id = await h.activeServer();
    const r = await diagnostics(id, "2.47");
    expect(r.status, r.text).toBe(200);
    // m1.tiny: 512 MB
    expect(r.json).toEqual({ memory: 512 * 1024 });
    expect((await diagnostics(id, "2.1")).json).toEqual({ memory: 512 * 1024 });
  });

  it("counts the guest's vCPUs, and its config drive only when it has one", async () => {
    const flavor = await h.call({
      method: "POST",
      url: "/flavors",
      as: "admin",
      body: { flavor: { name: "diag.quad", ram: 256, vcpus: 4, disk: 1 } },
    });
    const id = await h.activeServer({ server: { flavorRef: flavor.json.flavor.id } });
    const r = await diagnostics(id);
    expect(r.json).toMatchObject({ num_cpus: 4, config_drive: false, memory_details: { maximum: 256 } });
    expect(r.json.cpu_details.map((c: { id: number }) => c.id)).toEqual([0, 1, 2, 3]);
  });

  it("409 for a guest not running, naming its power state; 409 not ready for a server on no host", async () => {
    const id = await h.activeServer();
    await h.action(id, { pause: null });
    await h.drain();
    expectFault(
      await diagnostics(id),
      409,
      `Cannot 'get_diagnostics' instance ${id} while it is in power state paused`,
    );
    await h.action(id, { unpause: null });
    await h.action(id, { "os-stop": null });
    await h.drain();
    expectFault(
      await diagnostics(id, "2.1"),
      409,
      `Cannot 'get_diagnostics' instance ${id} while it is in power state shutdown`,
    );
    await h.action(id, { shelve: null });
    await h.drain();
    expectFault(await diagnostics(id), 409, `Instance ${id} is not ready`);
  });

  it("is for admins; another project's server is not found", async () => {
    const id = await h.activeServer();
    expectFault(
      await diagnostics(id, "2.48", "demo"),
      403,
      "Policy doesn't allow os_compute_api:os-server-diagnostics to be performed.",
    );
    const r = await h.call({ url: `/servers/${id}/diagnostics`, as: "other" });
    expectFault(r, 404, `Instance ${id} could not be found.`);
  });
});

describe("GET /servers/{id}/topology", () => {
  it("2.78: no NUMA nodes for the owner and admins; 404 before 2.78 and for other projects", async () => {
    const id = await h.activeServer();
    for (const as of ["demo", "admin"] as const) {
      const r = await h.call({ url: `/servers/${id}/topology`, as, version: "2.78" });
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ nodes: [], pagesize_kb: null });
    }
    expect((await h.call({ url: `/servers/${id}/topology`, version: "2.77" })).status).toBe(404);
    expectFault(
      await h.call({ url: `/servers/${id}/topology`, as: "other", version: "2.78" }),
      404,
      `Instance ${id} could not be found.`,
    );
  });
});
