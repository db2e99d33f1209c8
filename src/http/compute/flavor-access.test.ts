import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  keys,
  MEMBER_PROJECT,
  OTHER_PROJECT,
  resourcesApp,
  sample,
  type TestApp,
  UNKNOWN_PROJECT,
} from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
  for (const [id, isPublic] of [
    ["10", false],
    ["11", false],
  ] as const) {
    const r = await call(t.app, {
      method: "POST",
      url: "/flavors",
      body: {
        flavor: { name: `f${id}`, id, ram: 64, vcpus: 1, disk: 0, "os-flavor-access:is_public": isPublic },
      },
    });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => t.close());

const action = (id: string, body: unknown, opts: { version?: string; token?: string } = {}) =>
  call(t.app, { method: "POST", url: `/flavors/${id}/action`, body, ...opts });

describe("flavor access", () => {
  it("adds and lists projects of a private flavor in nova's shape", async () => {
    const add = await action("10", { addTenantAccess: { tenant: MEMBER_PROJECT } });
    expect(add.status).toBe(200);
    expect(keys(add.json)).toEqual(keys(sample("flavor-access/flavor-access-add-tenant-resp.json")));
    expect(add.json).toEqual({ flavor_access: [{ flavor_id: "10", tenant_id: MEMBER_PROJECT }] });
    await action("10", { addTenantAccess: { tenant: OTHER_PROJECT } });
    const list = await call(t.app, { url: "/flavors/10/os-flavor-access" });
    expect(list.status).toBe(200);
    expect(keys(list.json.flavor_access[0])).toEqual(
      keys(sample("flavor-access/flavor-access-list-resp.json").flavor_access[0]),
    );
    expect(list.json.flavor_access.map((a: { tenant_id: string }) => a.tenant_id).sort()).toEqual(
      [MEMBER_PROJECT, OTHER_PROJECT].sort(),
    );
  });

  it("removes a project", async () => {
    await action("11", { addTenantAccess: { tenant: MEMBER_PROJECT } });
    const r = await action("11", { removeTenantAccess: { tenant: MEMBER_PROJECT } });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ flavor_access: [] });
    const again = await action("11", { removeTenantAccess: { tenant: MEMBER_PROJECT } });
    expect(again.status).toBe(404);
    expect(again.json.itemNotFound.message).toBe(
      `Flavor access not found for 11 / ${MEMBER_PROJECT} combination.`,
    );
  });

  it("answers 409 when the project already has access", async () => {
    await action("11", { addTenantAccess: { tenant: OTHER_PROJECT } });
    const r = await action("11", { addTenantAccess: { tenant: OTHER_PROJECT } });
    expect(r.status).toBe(409);
    expect(r.json.conflictingRequest.message).toBe(
      `Flavor access already exists for flavor 11 and project ${OTHER_PROJECT} combination.`,
    );
  });

  it("refuses public flavors: 404 for the list, 409 for adding from 2.7", async () => {
    const list = await call(t.app, { url: "/flavors/1/os-flavor-access" });
    expect(list.status).toBe(404);
    expect(list.json.itemNotFound.message).toBe("Access list not available for public flavors.");
    const at27 = await action("1", { addTenantAccess: { tenant: MEMBER_PROJECT } }, { version: "2.7" });
    expect(at27.status).toBe(409);
    expect(at27.json.conflictingRequest.message).toBe("Can not add access to a public flavor.");
    const at26 = await action("2", { addTenantAccess: { tenant: MEMBER_PROJECT } }, { version: "2.6" });
    expect(at26.status).toBe(200);
  });

  it("answers 400 for a project Keystone does not know", async () => {
    const r = await action("10", { addTenantAccess: { tenant: UNKNOWN_PROJECT } });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(`Project ID ${UNKNOWN_PROJECT} is not a valid project.`);
  });

  it("404s for unknown flavors", async () => {
    expect((await call(t.app, { url: "/flavors/nope/os-flavor-access" })).status).toBe(404);
    expect((await action("nope", { addTenantAccess: { tenant: MEMBER_PROJECT } })).status).toBe(404);
  });

  it("is admin only", async () => {
    const list = await call(t.app, { url: "/flavors/10/os-flavor-access", token: "member" });
    expect(list.status).toBe(403);
    expect(list.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-flavor-access to be performed.",
    );
    const add = await action("10", { addTenantAccess: { tenant: MEMBER_PROJECT } }, { token: "member" });
    expect(add.status).toBe(403);
    const remove = await action(
      "10",
      { removeTenantAccess: { tenant: MEMBER_PROJECT } },
      { token: "member" },
    );
    expect(remove.status).toBe(403);
  });

  it("validates action bodies", async () => {
    expect((await action("10", { addTenantAccess: {} })).status).toBe(400);
    expect((await action("10", { addTenantAccess: { tenant: "" } })).status).toBe(400);
    const unknown = await action("10", { shareWith: { tenant: MEMBER_PROJECT } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.badRequest.message).toBe("There is no such action: shareWith");
  });
});
