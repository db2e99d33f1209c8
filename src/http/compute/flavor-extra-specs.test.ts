import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, keys, resourcesApp, sample, type TestApp } from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
  await call(t.app, {
    method: "POST",
    url: "/flavors",
    body: {
      flavor: {
        name: "hidden",
        id: "hidden",
        ram: 64,
        vcpus: 1,
        disk: 0,
        "os-flavor-access:is_public": false,
      },
    },
  });
});
afterAll(async () => t.close());

const specs = (id: string) => `/flavors/${id}/os-extra_specs`;

describe("flavor extra specs", () => {
  it("creates, lists, shows, updates and deletes in nova's shapes", async () => {
    const createBody = sample("flavor-extra-specs/flavor-extra-specs-create-req.json");
    const created = await call(t.app, { method: "POST", url: specs("3"), body: createBody });
    expect(created.status).toBe(200);
    expect(created.json).toEqual(sample("flavor-extra-specs/flavor-extra-specs-create-resp.json"));

    const list = await call(t.app, { url: specs("3"), token: "member" });
    expect(list.status).toBe(200);
    expect(list.json).toEqual(sample("flavor-extra-specs/flavor-extra-specs-list-resp.json"));

    const one = await call(t.app, { url: `${specs("3")}/hw:numa_nodes`, token: "member" });
    expect(one.json).toEqual(sample("flavor-extra-specs/flavor-extra-specs-get-resp.json"));

    const updated = await call(t.app, {
      method: "PUT",
      url: `${specs("3")}/hw:numa_nodes`,
      body: sample("flavor-extra-specs/flavor-extra-specs-update-req.json"),
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toEqual(sample("flavor-extra-specs/flavor-extra-specs-update-resp.json"));
    expect((await call(t.app, { url: `${specs("3")}/hw:numa_nodes` })).json).toEqual({
      "hw:numa_nodes": "2",
    });

    const deleted = await call(t.app, { method: "DELETE", url: `${specs("3")}/hw:numa_nodes` });
    expect(deleted.status).toBe(200);
    expect(deleted.text).toBe("");
    const gone = await call(t.app, { url: `${specs("3")}/hw:numa_nodes` });
    expect(gone.status).toBe(404);
    expect(gone.json.itemNotFound.message).toBe("Flavor 3 has no extra specs with key hw:numa_nodes.");
    expect((await call(t.app, { method: "DELETE", url: `${specs("3")}/hw:numa_nodes` })).status).toBe(404);
  });

  it("stores numbers as strings and shows them in flavor views from 2.61", async () => {
    const r = await call(t.app, {
      method: "POST",
      url: specs("4"),
      body: { extra_specs: { "hw:numa_nodes": 2 } },
    });
    expect(r.status).toBe(200);
    const flavor = await call(t.app, { url: "/flavors/4", version: "2.61" });
    expect(flavor.json.flavor.extra_specs).toEqual({ "hw:numa_nodes": "2" });
    expect(keys(flavor.json.flavor)).toContain("extra_specs");
  });

  it("answers 400 when the body does not name the key in the URL", async () => {
    const r = await call(t.app, { method: "PUT", url: `${specs("3")}/a`, body: { b: "1" } });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe("Request body and URI mismatch");
    expect(
      (await call(t.app, { method: "PUT", url: `${specs("3")}/a`, body: { a: "1", b: "2" } })).status,
    ).toBe(400);
  });

  it("lets readers read and only admins write", async () => {
    expect((await call(t.app, { url: specs("3"), token: "norole" })).status).toBe(403);
    const post = await call(t.app, {
      method: "POST",
      url: specs("3"),
      token: "member",
      body: { extra_specs: { a: "b" } },
    });
    expect(post.status).toBe(403);
    expect(post.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.",
    );
    expect((await call(t.app, { method: "DELETE", url: `${specs("3")}/a`, token: "member" })).status).toBe(
      403,
    );
  });

  it("404s for unknown flavors and for private flavors the caller cannot see", async () => {
    expect((await call(t.app, { url: specs("nope") })).status).toBe(404);
    expect((await call(t.app, { url: specs("hidden"), token: "member" })).status).toBe(404);
    expect((await call(t.app, { url: specs("hidden") })).status).toBe(200);
  });

  it("validates known namespaces from 2.86", async () => {
    const body = { extra_specs: { "hw:cpu_policy": "sometimes" } };
    const at286 = await call(t.app, { method: "POST", url: specs("5"), version: "2.86", body });
    expect(at286.status).toBe(400);
    expect(at286.json.badRequest.message).toBe(
      "Validation failed; 'sometimes' is not one of: dedicated, shared, mixed.",
    );
    expect((await call(t.app, { method: "POST", url: specs("5"), version: "2.85", body })).status).toBe(200);
    const put = await call(t.app, {
      method: "PUT",
      url: `${specs("5")}/hw:numa_nodes`,
      version: "2.86",
      body: { "hw:numa_nodes": "0" },
    });
    expect(put.status).toBe(400);
    const ok = { extra_specs: { "hw:cpu_policy": "dedicated", "custom:thing": "x" } };
    expect((await call(t.app, { method: "POST", url: specs("5"), version: "2.86", body: ok })).status).toBe(
      200,
    );
  });

  it("validates keys and values with nova's schema", async () => {
    const badKey = await call(t.app, {
      method: "POST",
      url: specs("3"),
      body: { extra_specs: { "bad/key": "x" } },
    });
    expect(badKey.status).toBe(400);
    const long = await call(t.app, {
      method: "POST",
      url: specs("3"),
      body: { extra_specs: { a: "x".repeat(256) } },
    });
    expect(long.status).toBe(400);
  });
});
