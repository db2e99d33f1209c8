import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  call,
  keys,
  MEMBER_PROJECT,
  resourcesApp,
  sample,
  type TestApp,
  TOKENS,
} from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
  await t.flavors.setExtraSpecs(TOKENS.admin!, "2", { "hw:numa_nodes": "1" });
});
afterAll(async () => t.close());

const showAt = (version: string | undefined, id = "1", token = "admin") =>
  call(t.app, { url: `/flavors/${id}`, version, token });

describe("GET /flavors/{id}", () => {
  it.each([
    [undefined, "flavors/flavor-get-resp.json"],
    ["2.55", "flavors/v2.55/flavor-get-resp.json"],
    ["2.61", "flavors/v2.61/flavor-get-resp.json"],
    ["2.75", "flavors/v2.75/flavor-get-resp.json"],
    ["2.102", "flavors/v2.102/flavor-get-resp.json"],
  ])("has nova's keys at %s", async (version, file) => {
    const r = await showAt(version, "2");
    expect(r.status).toBe(200);
    expect(keys(r.json.flavor)).toEqual(keys(sample(file).flavor));
  });

  it('writes swap 0 as "" before 2.75 and as 0 from 2.75; rxtx_factor and disabled go at 2.102', async () => {
    expect((await showAt("2.74")).json.flavor.swap).toBe("");
    expect((await showAt("2.75")).json.flavor.swap).toBe(0);
    const v2101 = (await showAt("2.101")).json.flavor;
    expect(v2101).toMatchObject({ rxtx_factor: 1, "OS-FLV-DISABLED:disabled": false });
    expect((await showAt("2.102")).json.flavor).not.toHaveProperty("rxtx_factor");
  });

  it("shows the values and links of m1.tiny", async () => {
    const r = await showAt("2.61");
    expect(r.json.flavor).toEqual({
      id: "1",
      name: "m1.tiny",
      ram: 512,
      disk: 1,
      swap: "",
      vcpus: 1,
      "OS-FLV-EXT-DATA:ephemeral": 0,
      "OS-FLV-DISABLED:disabled": false,
      "os-flavor-access:is_public": true,
      rxtx_factor: 1,
      description: null,
      extra_specs: {},
      links: [
        { href: "http://localhost:80/compute/v2.1/flavors/1", rel: "self" },
        { href: "http://localhost:80/compute/flavors/1", rel: "bookmark" },
      ],
    });
    const withProject = await call(t.app, {
      url: `/compute/v2.1/${MEMBER_PROJECT}/flavors/1`,
      token: "member",
    });
    expect(withProject.json.flavor.links[1].href).toBe(
      `http://localhost:80/compute/${MEMBER_PROJECT}/flavors/1`,
    );
  });

  it("shows extra_specs (2.61+) to project readers only", async () => {
    expect((await showAt("2.61", "2", "member")).json.flavor.extra_specs).toEqual({ "hw:numa_nodes": "1" });
    expect((await showAt("2.61", "2", "norole")).json.flavor).not.toHaveProperty("extra_specs");
    expect((await showAt("2.60", "2", "member")).json.flavor).not.toHaveProperty("extra_specs");
  });

  it("answers 404 for an unknown flavor", async () => {
    const r = await showAt(undefined, "nope");
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ itemNotFound: { code: 404, message: "Flavor nope could not be found." } });
  });

  it("serves the legacy /v2 endpoint with the 2.1 shape", async () => {
    const r = await call(t.app, { url: "/compute/v2/flavors/1" });
    expect(r.status).toBe(200);
    expect(keys(r.json.flavor)).toEqual(keys(sample("flavors/flavor-get-resp.json").flavor));
  });
});

describe("GET /flavors and /flavors/detail", () => {
  it.each([
    ["/flavors", undefined, "flavors/flavors-list-resp.json"],
    ["/flavors", "2.55", "flavors/v2.55/flavors-list-resp.json"],
    ["/flavors", "2.102", "flavors/v2.102/flavors-list-resp.json"],
    ["/flavors/detail", undefined, "flavors/flavors-detail-resp.json"],
    ["/flavors/detail", "2.55", "flavors/v2.55/flavors-detail-resp.json"],
    ["/flavors/detail", "2.61", "flavors/v2.61/flavors-detail-resp.json"],
    ["/flavors/detail", "2.75", "flavors/v2.75/flavors-detail-resp.json"],
    ["/flavors/detail", "2.102", "flavors/v2.102/flavors-detail-resp.json"],
  ])("%s has nova's keys at %s", async (url, version, file) => {
    const r = await call(t.app, { url, version });
    expect(r.status).toBe(200);
    expect(keys(r.json)).toEqual(["flavors"]);
    expect(keys(r.json.flavors[0])).toEqual(keys(sample(file).flavors[0]));
  });

  it("lists the default flavors in flavorid order", async () => {
    const r = await call(t.app, { url: "/flavors", token: "member" });
    expect(r.json.flavors.map((f: { id: string }) => f.id)).toEqual(["1", "2", "3", "4", "42", "5", "84"]);
  });

  it("pages with limit and marker and links the next page", async () => {
    const first = await call(t.app, { url: "/flavors?limit=3", token: "member" });
    expect(first.json.flavors.map((f: { id: string }) => f.id)).toEqual(["1", "2", "3"]);
    expect(first.json.flavors_links).toEqual([
      { href: "http://localhost:80/compute/v2.1/flavors?limit=3&marker=3", rel: "next" },
    ]);
    const second = await call(t.app, { url: "/flavors?limit=3&marker=3", token: "member" });
    expect(second.json.flavors.map((f: { id: string }) => f.id)).toEqual(["4", "42", "5"]);
    const last = await call(t.app, { url: "/flavors?limit=3&marker=5", token: "member" });
    expect(last.json.flavors.map((f: { id: string }) => f.id)).toEqual(["84"]);
    expect(last.json).not.toHaveProperty("flavors_links");
    const detail = await call(t.app, { url: "/flavors/detail?limit=1&sort_key=memory_mb&sort_dir=desc" });
    expect(detail.json.flavors[0].id).toBe("5");
    expect(detail.json.flavors_links[0].href).toBe(
      "http://localhost:80/compute/v2.1/flavors/detail?limit=1&marker=5&sort_dir=desc&sort_key=memory_mb",
    );
  });

  it("filters by minRam and minDisk, refusing non-integers", async () => {
    const r = await call(t.app, { url: "/flavors?minRam=4096&minDisk=80" });
    expect(r.json.flavors.map((f: { id: string }) => f.id)).toEqual(["4", "5"]);
    const bad = await call(t.app, { url: "/flavors?minRam=lots" });
    expect(bad.status).toBe(400);
    expect(bad.json.badRequest.message).toBe("Invalid minRam filter [lots]");
  });

  it("filters by name only from 2.102", async () => {
    const at2102 = await call(t.app, { url: "/flavors?name=^m1.n", version: "2.102" });
    expect(at2102.json.flavors.map((f: { id: string }) => f.id)).toEqual(["42"]);
    // before: an unknown parameter, dropped until 2.74 and refused from 2.75
    const v274 = await call(t.app, { url: "/flavors?name=^m1.n", version: "2.74" });
    expect(v274.json.flavors).toHaveLength(7);
    expect((await call(t.app, { url: "/flavors?name=^m1.n", version: "2.101" })).status).toBe(400);
  });

  it("refuses an unknown marker, sort key or limit", async () => {
    const marker = await call(t.app, { url: "/flavors?marker=zzz" });
    expect(marker.status).toBe(400);
    expect(marker.json.badRequest.message).toBe("marker [zzz] not found");
    expect((await call(t.app, { url: "/flavors?sort_key=bogus" })).status).toBe(400);
    expect((await call(t.app, { url: "/flavors?limit=-1" })).status).toBe(400);
    // unknown parameters: dropped before 2.75, refused after
    expect((await call(t.app, { url: "/flavors?foo=1", version: "2.74" })).status).toBe(200);
    expect((await call(t.app, { url: "/flavors?foo=1", version: "2.75" })).status).toBe(400);
  });
});

describe("private flavors", () => {
  beforeAll(async () => {
    const r = await call(t.app, {
      method: "POST",
      url: "/flavors",
      body: {
        flavor: {
          name: "private.one",
          id: "p1",
          ram: 64,
          vcpus: 1,
          disk: 0,
          "os-flavor-access:is_public": false,
        },
      },
    });
    expect(r.status).toBe(200);
    expect(r.json.flavor["os-flavor-access:is_public"]).toBe(false);
  });

  it("are hidden from projects without access", async () => {
    expect((await showAt(undefined, "p1", "member")).status).toBe(404);
    const list = await call(t.app, { url: "/flavors", token: "member" });
    expect(list.json.flavors.map((f: { id: string }) => f.id)).not.toContain("p1");
  });

  it("admins list them with is_public=false or none", async () => {
    const ids = async (q: string) =>
      (await call(t.app, { url: `/flavors${q}` })).json.flavors.map((f: { id: string }) => f.id);
    expect(await ids("")).not.toContain("p1");
    expect(await ids("?is_public=false")).toEqual(["p1"]);
    expect(await ids("?is_public=None")).toContain("p1");
    expect(await ids("?is_public=None")).toContain("1");
    expect((await call(t.app, { url: "/flavors?is_public=maybe" })).status).toBe(400);
    // for others is_public is ignored
    const member = await call(t.app, { url: "/flavors?is_public=false", token: "member" });
    expect(member.json.flavors.map((f: { id: string }) => f.id)).not.toContain("p1");
  });

  it("become visible to a project they are shared with, only", async () => {
    const add = await call(t.app, {
      method: "POST",
      url: "/flavors/p1/action",
      body: { addTenantAccess: { tenant: MEMBER_PROJECT } },
    });
    expect(add.status).toBe(200);
    expect((await showAt(undefined, "p1", "member")).status).toBe(200);
    expect((await showAt(undefined, "p1", "other")).status).toBe(404);
    const list = await call(t.app, { url: "/flavors", token: "member" });
    expect(list.json.flavors.map((f: { id: string }) => f.id)).toContain("p1");
  });
});

describe("POST /flavors", () => {
  const body = (flavor: Record<string, unknown>) => ({
    flavor: { ram: 1024, vcpus: 2, disk: 10, ...flavor },
  });

  it.each([
    [undefined, "flavor-manage/flavor-create-post-resp.json"],
    ["2.55", "flavor-manage/v2.55/flavor-create-post-resp.json"],
    ["2.61", "flavor-manage/v2.61/flavor-create-post-resp.json"],
    ["2.75", "flavor-manage/v2.75/flavor-create-post-resp.json"],
    ["2.102", "flavor-manage/v2.102/flavor-create-post-resp.json"],
  ])("answers 200 with nova's keys at %s", async (version, file) => {
    const n = version ?? "2.1";
    const desc = version ? { description: "d" } : {}; // every listed version is 2.55+
    const r = await call(t.app, {
      method: "POST",
      url: "/flavors",
      version,
      body: body({ name: `c${n}`, ...desc }),
    });
    expect(r.status).toBe(200);
    expect(keys(r.json.flavor)).toEqual(keys(sample(file).flavor));
  });

  it("generates a UUID id when id is absent or null, and keeps given ids and descriptions", async () => {
    const absent = await call(t.app, { method: "POST", url: "/flavors", body: body({ name: "noid" }) });
    expect(absent.json.flavor.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const nulled = await call(t.app, {
      method: "POST",
      url: "/flavors",
      body: body({ name: "nullid", id: null }),
    });
    expect(nulled.json.flavor.id).toMatch(/^[0-9a-f-]{36}$/);
    const given = await call(t.app, {
      method: "POST",
      url: "/flavors",
      version: "2.55",
      body: body({ name: "given", id: "given-1", description: "a flavor", swap: 512, rxtx_factor: 2.5 }),
    });
    expect(given.json.flavor).toMatchObject({
      id: "given-1",
      description: "a flavor",
      swap: 512,
      rxtx_factor: 2.5,
    });
  });

  it("answers 409 for a taken name or id", async () => {
    const name = await call(t.app, { method: "POST", url: "/flavors", body: body({ name: "m1.tiny" }) });
    expect(name.status).toBe(409);
    expect(name.json.conflictingRequest.message).toBe("Flavor with name m1.tiny already exists.");
    const id = await call(t.app, { method: "POST", url: "/flavors", body: body({ name: "new", id: "1" }) });
    expect(id.status).toBe(409);
    expect(id.json.conflictingRequest.message).toBe("Flavor with ID 1 already exists.");
  });

  it("is admin only", async () => {
    const r = await call(t.app, {
      method: "POST",
      url: "/flavors",
      token: "member",
      body: body({ name: "x" }),
    });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
    );
  });

  it("validates the body against nova's schema", async () => {
    const r = await call(t.app, { method: "POST", url: "/flavors", body: body({ name: "v", ram: "lots" }) });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toMatch(/^Invalid input for field\/attribute ram/);
    const desc = await call(t.app, {
      method: "POST",
      url: "/flavors",
      version: "2.54",
      body: body({ name: "v", description: "x" }),
    });
    expect(desc.status).toBe(400);
  });
});

describe("PUT /flavors/{id}", () => {
  it.each([
    ["2.55", "flavor-manage/v2.55/flavor-update-resp.json"],
    ["2.61", "flavor-manage/v2.61/flavor-update-resp.json"],
    ["2.75", "flavor-manage/v2.75/flavor-update-resp.json"],
    ["2.102", "flavor-manage/v2.102/flavor-update-resp.json"],
  ])("updates the description with nova's keys at %s", async (version, file) => {
    const r = await call(t.app, {
      method: "PUT",
      url: "/flavors/3",
      version,
      body: { flavor: { description: `updated ${version}` } },
    });
    expect(r.status).toBe(200);
    expect(r.json.flavor.description).toBe(`updated ${version}`);
    expect(keys(r.json.flavor)).toEqual(keys(sample(file).flavor));
  });

  it("does not exist before 2.55, is admin only, 404s for unknown flavors", async () => {
    const body = { flavor: { description: "x" } };
    expect((await call(t.app, { method: "PUT", url: "/flavors/3", version: "2.54", body })).status).toBe(404);
    const member = await call(t.app, {
      method: "PUT",
      url: "/flavors/3",
      version: "2.55",
      token: "member",
      body,
    });
    expect(member.status).toBe(403);
    expect((await call(t.app, { method: "PUT", url: "/flavors/nope", version: "2.55", body })).status).toBe(
      404,
    );
  });
});

describe("DELETE /flavors/{id}", () => {
  it("deletes with 202 (admin only) and 404s afterwards", async () => {
    await call(t.app, {
      method: "POST",
      url: "/flavors",
      body: { flavor: { name: "gone", id: "gone", ram: 1, vcpus: 1, disk: 0 } },
    });
    expect((await call(t.app, { method: "DELETE", url: "/flavors/gone", token: "member" })).status).toBe(403);
    const r = await call(t.app, { method: "DELETE", url: "/flavors/gone" });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect((await call(t.app, { method: "DELETE", url: "/flavors/gone" })).status).toBe(404);
    expect((await showAt(undefined, "gone")).status).toBe(404);
  });
});
