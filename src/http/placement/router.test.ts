/**
 * The read-only Placement API over nimbus's claims: versions, resource providers (one per
 * compute node) with inventories, usages and allocations, a consumer's allocations, a
 * project's usages, allocation candidates; admin only, placement's error bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";

const NANO = "42";

let h: ComputeHarness;
let server: string;
beforeAll(async () => {
  h = await computeHarness({ config: { fakeHosts: 2 } });
  server = await h.activeServer({
    name: "placed",
    server: { flavorRef: NANO, networks: "none" },
    version: "2.37",
  });
});
afterAll(async () => h.close());

const get = (url: string, version?: string, as: "admin" | "demo" = "admin") =>
  h.call({
    url: `/placement${url}`,
    as,
    headers: version ? { "openstack-api-version": `placement ${version}` } : {},
  });

describe("the placement API", () => {
  it("lists its version without a token, and negotiates microversions", async () => {
    const root = await h.app.inject({ method: "GET", url: "/placement/" });
    expect(root.statusCode).toBe(200);
    expect(root.json().versions[0]).toMatchObject({ id: "v1.0", min_version: "1.0", max_version: "1.27" });
    const r = await get("/resource_providers", "1.14");
    expect(r.headers["openstack-api-version"]).toBe("placement 1.14");
    const tooNew = await get("/resource_providers", "1.99");
    expect(tooNew.status).toBe(406);
    // the range, which osc-placement reads to negotiate down
    expect(tooNew.json.errors[0]).toMatchObject({
      status: 406,
      title: "Not Acceptable",
      min_version: "1.0",
      max_version: "1.27",
    });
  });

  it("is the admin's: a member is refused in placement's words", async () => {
    const r = await get("/resource_providers", undefined, "demo");
    expect(r.status).toBe(403);
    expect(r.json.errors[0]).toMatchObject({ status: 403, detail: "Access was denied to this resource." });
  });

  it("has a provider per compute node, with nova's inventories and the server's usage", async () => {
    const list = await get("/resource_providers", "1.14");
    const providers = list.json.resource_providers as Array<{ uuid: string; name: string }>;
    const hypervisors = await h.call({ url: "/os-hypervisors", as: "admin", version: "2.53" });
    expect(providers.map((p) => p.uuid).sort()).toEqual(
      hypervisors.json.hypervisors.map((hv: { id: string }) => hv.id).sort(),
    );
    const host = (await h.show(server, { as: "admin" }))["OS-EXT-SRV-ATTR:host"];
    const mine = providers.find((p) => p.name === host)!;
    expect(list.json.resource_providers[0].root_provider_uuid).toBe(list.json.resource_providers[0].uuid);

    const inventories = await get(`/resource_providers/${mine.uuid}/inventories`);
    expect(inventories.json.inventories.MEMORY_MB).toMatchObject({ reserved: 512, allocation_ratio: 1 });
    expect(inventories.json.inventories.VCPU.allocation_ratio).toBe(4);
    const usages = await get(`/resource_providers/${mine.uuid}/usages`);
    expect(usages.json.usages).toEqual({ VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 });
    const allocations = await get(`/resource_providers/${mine.uuid}/allocations`);
    expect(allocations.json.allocations).toEqual({
      [server]: { resources: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } },
    });

    const consumer = await get(`/allocations/${server}`, "1.12");
    expect(consumer.json).toMatchObject({
      allocations: { [mine.uuid]: { resources: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } } },
      project_id: h.projects.demo,
      user_id: h.users.demo,
    });
    const project = await get(`/usages?project_id=${h.projects.demo}`, "1.9");
    expect(project.json.usages).toMatchObject({ VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 });
  });

  it("filters providers by name and by room; unknown ones are placement's 404", async () => {
    const all = (await get("/resource_providers")).json.resource_providers as Array<{ name: string }>;
    const named = await get(`/resource_providers?name=${all[0]!.name}`);
    expect(named.json.resource_providers).toHaveLength(1);
    const roomy = await get("/resource_providers?resources=MEMORY_MB:1024", "1.4");
    expect(roomy.json.resource_providers).toHaveLength(2);
    const none = await get("/resource_providers?resources=MEMORY_MB:99999999", "1.4");
    expect(none.json.resource_providers).toEqual([]);
    const missing = await get("/resource_providers/8f9e1c2d-0000-4000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.json.errors[0].status).toBe(404);
  });

  it("offers allocation candidates on every host with room", async () => {
    const r = await get("/allocation_candidates?resources=VCPU:1,MEMORY_MB:128", "1.12");
    expect(r.status, r.text).toBe(200);
    expect(r.json.allocation_requests).toHaveLength(2);
    const [uuid] = Object.keys(r.json.allocation_requests[0].allocations);
    expect(r.json.provider_summaries[uuid!].resources.MEMORY_MB).toHaveProperty("capacity");
    expect((await get("/allocation_candidates?resources=VCPU:1", "1.9")).status).toBe(404);
    expect((await get("/allocation_candidates?resources=bad", "1.12")).status).toBe(400);
  });

  it("is in the catalog", async () => {
    const catalog = await h.call({ url: "/identity/v3/auth/catalog" });
    expect(catalog.json.catalog.map((s: { type: string }) => s.type)).toContain("placement");
  });
});
