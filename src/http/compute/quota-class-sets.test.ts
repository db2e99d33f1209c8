/**
 * `/os-quota-class-sets` through inject(): show and update at the microversions where the
 * resources change (2.50 server groups in, network ones out; 2.57 personality ones out),
 * the `default` class becoming every project's defaults (os-quota-sets defaults and show,
 * and the limit a server create is checked against), other classes stored without
 * effect, admin-only policy and nova's faults for bad input.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  sample,
  TINY,
} from "../../../test/compute-harness.js";
import { QUOTA_DEFAULTS } from "../../services/quota/quota-service.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const put = (className: string, set: Record<string, unknown>, version?: string) =>
  h.call({
    method: "PUT",
    url: `/os-quota-class-sets/${className}`,
    as: "admin",
    version,
    body: { quota_class_set: set },
  });
const show = (className: string, version?: string) =>
  h.call({ url: `/os-quota-class-sets/${className}`, as: "admin", version });

/** The default class back on the built-in defaults. */
afterEach(async () => {
  const { instances, cores, ram, key_pairs } = QUOTA_DEFAULTS;
  expect((await put("default", { instances, cores, ram, key_pairs })).status).toBe(200);
});

/** A project Keystone knows, with no limits of its own. */
async function newProject(name: string): Promise<string> {
  const r = await h.app.inject({
    method: "POST",
    url: "/identity/v3/projects",
    headers: { "x-auth-token": h.tokens.admin },
    payload: { project: { name } },
  });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().project.id;
}

describe("GET /os-quota-class-sets/{id}", () => {
  it.each([
    [undefined, "os-quota-class-sets/quota-classes-show-get-resp.json"],
    ["2.50", "os-quota-class-sets/v2.50/quota-classes-show-get-resp.json"],
    ["2.57", "os-quota-class-sets/v2.57/quota-classes-show-get-resp.json"],
  ])("shows nova's resources and defaults at %s", async (version, file) => {
    const r = await show("default", version);
    expect(r.status).toBe(200);
    expect(r.json).toEqual(sample(file));
  });

  it("shows any class name, unset limits at the built-in defaults", async () => {
    const r = await show("no-such-class", "2.57");
    expect(r.status).toBe(200);
    expect(r.json.quota_class_set).toMatchObject({ id: "no-such-class", instances: 10, cores: 20 });
  });
});

describe("PUT /os-quota-class-sets/{id}", () => {
  it.each([
    [undefined, "os-quota-class-sets/quota-classes-update-post"],
    ["2.50", "os-quota-class-sets/v2.50/quota-classes-update-post"],
    ["2.57", "os-quota-class-sets/v2.57/quota-classes-update-post"],
  ])("answers nova's update body at %s", async (version, prefix) => {
    const r = await put("test_class", sample(`${prefix}-req.json`).quota_class_set, version);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual(sample(`${prefix}-resp.json`));
  });

  it("takes the server group limits before 2.50 without showing them", async () => {
    const r = await put("sg_class", { server_groups: 3 }, "2.49");
    expect(r.status).toBe(200);
    expect(r.json.quota_class_set.server_groups).toBeUndefined();
    expect((await show("sg_class", "2.50")).json.quota_class_set.server_groups).toBe(3);
  });

  it.each([
    ["2.50", { floating_ips: 1 }],
    ["2.57", { injected_files: 1 }],
    ["2.1", { instances: -2 }],
    ["2.1", { instances: "ten" }],
    ["2.1", { bogus: 1 }],
  ])("answers 400 at %s for %j", async (version, set) => {
    const r = await put("default", set, version);
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toContain("Invalid input for field/attribute");
  });

  it("refuses a class name longer than 255 characters", async () => {
    const r = await put("c".repeat(256), { instances: 1 });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe("quota_class_name has 256 characters, more than 255.");
    expect((await put("c".repeat(255), { instances: 1 })).status).toBe(200);
  });

  it("takes limits on the legacy /v2 endpoint, refusing what is not a limit", async () => {
    const url = "/compute/v2/os-quota-class-sets/legacy_class";
    const ok = await h.call({
      method: "PUT",
      url,
      as: "admin",
      body: { quota_class_set: { instances: "7", x: 1 } },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.json.quota_class_set.instances).toBe(7);
    const bad = await h.call({
      method: "PUT",
      url,
      as: "admin",
      body: { quota_class_set: { instances: "many" } },
    });
    expect(bad.status).toBe(400);
    expect((await h.call({ method: "PUT", url, as: "admin", body: { other: {} } })).status).toBe(400);
  });
});

describe("the default class", () => {
  it("gives new projects their limits and os-quota-sets its defaults", async () => {
    expect((await put("default", { instances: 20, cores: 40 })).status).toBe(200);
    const project = await newProject("class-defaults");
    const quotas = await h.call({ url: `/os-quota-sets/${project}`, as: "admin" });
    expect(quotas.json.quota_set).toMatchObject({ instances: 20, cores: 40, ram: QUOTA_DEFAULTS.ram });
    const defaults = await h.call({ url: `/os-quota-sets/${h.projects.demo}/defaults` });
    expect(defaults.json.quota_set).toMatchObject({ instances: 20, cores: 40 });
    // a project's own limits still win over the class
    const demo = await h.call({ url: `/os-quota-sets/${h.projects.demo}`, as: "admin" });
    expect(demo.json.quota_set.instances).toBe(-1);
  });

  it("is the limit a new server is checked against", async () => {
    // the "other" project back on the defaults, which now allow one server
    expect(
      (await h.call({ method: "DELETE", url: `/os-quota-sets/${h.projects.other}`, as: "admin" })).status,
    ).toBe(202);
    expect((await put("default", { instances: 1 })).status).toBe(200);
    await h.createServer({ as: "other", name: "class-first" });
    const second = await h.call({
      method: "POST",
      url: "/servers",
      as: "other",
      body: { server: { name: "class-second", imageRef: IMAGE_ID, flavorRef: TINY } },
    });
    expect(second.status).toBe(403);
    expect(second.json.forbidden.message).toContain("Quota exceeded for instances");
  });

  it("is the only class with an effect", async () => {
    expect((await put("gold", { instances: 99 })).status).toBe(200);
    const defaults = await h.call({ url: `/os-quota-sets/${h.projects.demo}/defaults` });
    expect(defaults.json.quota_set.instances).toBe(QUOTA_DEFAULTS.instances);
    expect((await show("gold")).json.quota_class_set.instances).toBe(99);
  });
});

describe("policy", () => {
  it("is admin only", async () => {
    const read = await h.call({ url: "/os-quota-class-sets/default", as: "demo" });
    expect(read.status).toBe(403);
    expect(read.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-quota-class-sets:show to be performed.",
    );
    const write = await h.call({
      method: "PUT",
      url: "/os-quota-class-sets/default",
      as: "demo",
      body: { quota_class_set: { instances: 1 } },
    });
    expect(write.status).toBe(403);
    expect(write.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-quota-class-sets:update to be performed.",
    );
  });
});
