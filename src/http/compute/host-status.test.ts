/**
 * A server's host_status (2.16, admins only) follows its host's nova-compute service, as
 * nova reports it: UP while it runs, MAINTENANCE when disabled, DOWN when forced down; in
 * show, detail and (from 2.75) the update answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

describe("host_status", () => {
  it("is UP, MAINTENANCE or DOWN as the compute service is, and hidden from members", async () => {
    const id = await h.activeServer();
    const statusOf = async () => {
      const shown = await h.show(id, { as: "admin", version: "2.16" });
      const detail = await h.call({ url: "/servers/detail?all_tenants=1", as: "admin", version: "2.16" });
      const listed = detail.json.servers.find((s: { id: string }) => s.id === id);
      const updated = await h.call({
        method: "PUT",
        url: `/servers/${id}`,
        as: "admin",
        version: "2.75",
        body: { server: { description: "x" } },
      });
      expect(listed.host_status).toBe(shown.host_status);
      expect(updated.json.server.host_status).toBe(shown.host_status);
      return shown.host_status;
    };
    const services = await h.call({ url: "/os-services?binary=nova-compute", as: "admin", version: "2.53" });
    const service = services.json.services[0].id;
    const put = async (body: object) => {
      const r = await h.call({
        method: "PUT",
        url: `/os-services/${service}`,
        as: "admin",
        version: "2.53",
        body,
      });
      expect(r.status, r.text).toBe(200);
    };

    expect(await statusOf()).toBe("UP");
    await put({ status: "disabled" });
    expect(await statusOf()).toBe("MAINTENANCE");
    await put({ forced_down: true });
    expect(await statusOf()).toBe("DOWN");
    await put({ forced_down: false, status: "enabled" });
    expect(await statusOf()).toBe("UP");
    expect(await h.show(id, { version: "2.16" })).not.toHaveProperty("host_status");
  });
});
