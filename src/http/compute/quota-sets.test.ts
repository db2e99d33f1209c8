import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { insertTestInstance } from "../../store/testing.js";
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
});
afterAll(async () => t.close());
beforeEach(async () => {
  await t.quotas.reset(MEMBER_PROJECT);
  await t.db.deleteFrom("instances").execute();
});

const url = (suffix = "", project = MEMBER_PROJECT) => `/os-quota-sets/${project}${suffix}`;
const withoutId = (o: object) => keys(o).filter((k) => k !== "id");

describe("GET /os-quota-sets/{id}", () => {
  it.each([
    [undefined, "os-quota-sets/quotas-show-get-resp.json"],
    ["2.36", "os-quota-sets/v2.36/quotas-show-get-resp.json"],
    ["2.57", "os-quota-sets/v2.57/quotas-show-get-resp.json"],
  ])("shows nova's resources and defaults at %s", async (version, file) => {
    const r = await call(t.app, { url: url(), version, token: "member" });
    expect(r.status).toBe(200);
    const expected = sample(file).quota_set;
    expect(keys(r.json.quota_set)).toEqual(keys(expected));
    expect({ ...r.json.quota_set, id: "x" }).toEqual({ ...expected, id: "x" });
    expect(r.json.quota_set.id).toBe(MEMBER_PROJECT);
  });

  it.each([
    [undefined, "os-quota-sets/quotas-show-detail-get-resp.json"],
    ["2.36", "os-quota-sets/v2.36/quotas-show-detail-get-resp.json"],
    ["2.57", "os-quota-sets/v2.57/quotas-show-detail-get-resp.json"],
  ])("details limits and usage at %s", async (version, file) => {
    await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, vcpus: 2, memoryMb: 1024 });
    const r = await call(t.app, { url: url("/detail"), version, token: "member" });
    expect(r.status).toBe(200);
    expect(keys(r.json.quota_set)).toEqual(keys(sample(file).quota_set));
    expect(r.json.quota_set.instances).toEqual({ in_use: 1, limit: 10, reserved: 0 });
    expect(r.json.quota_set.cores).toEqual({ in_use: 2, limit: 20, reserved: 0 });
    expect(r.json.quota_set.ram).toEqual({ in_use: 1024, limit: 51200, reserved: 0 });
  });

  it.each([
    [undefined, "os-quota-sets/quotas-show-defaults-get-resp.json"],
    ["2.36", "os-quota-sets/v2.36/quotas-show-defaults-get-resp.json"],
    ["2.57", "os-quota-sets/v2.57/quotas-show-defaults-get-resp.json"],
  ])("shows the defaults at %s, whatever the project's limits", async (version, file) => {
    await t.quotas.update(MEMBER_PROJECT, { instances: 3 }, { force: false });
    const r = await call(t.app, { url: url("/defaults"), version, token: "other" });
    expect(r.status).toBe(200);
    expect(keys(r.json.quota_set)).toEqual(keys(sample(file).quota_set));
    expect(r.json.quota_set.instances).toBe(10);
  });

  it("lets project readers see their own project only (admins any)", async () => {
    const other = await call(t.app, { url: url(), token: "other" });
    expect(other.status).toBe(403);
    expect(other.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.",
    );
    expect((await call(t.app, { url: url("/detail"), token: "other" })).status).toBe(403);
    expect((await call(t.app, { url: url(), token: "norole" })).status).toBe(403);
    expect((await call(t.app, { url: url(), token: "admin" })).status).toBe(200);
  });

  it("answers 400 for a project Keystone does not know", async () => {
    const r = await call(t.app, { url: url("", UNKNOWN_PROJECT) });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(`Project ID ${UNKNOWN_PROJECT} is not a valid project.`);
  });
});

describe("PUT /os-quota-sets/{id}", () => {
  it.each([
    [undefined, "os-quota-sets/quotas-update-post-req.json", "os-quota-sets/quotas-update-post-resp.json"],
    [
      "2.36",
      "os-quota-sets/v2.36/quotas-update-post-req.json",
      "os-quota-sets/v2.36/quotas-update-post-resp.json",
    ],
    [
      "2.57",
      "os-quota-sets/v2.57/quotas-update-post-req.json",
      "os-quota-sets/v2.57/quotas-update-post-resp.json",
    ],
  ])("updates limits and answers nova's shape (no id) at %s", async (version, req, resp) => {
    const body = sample(req);
    const r = await call(t.app, { method: "PUT", url: url(), version, body });
    expect(r.status).toBe(200);
    expect(keys(r.json.quota_set)).toEqual(keys(sample(resp).quota_set));
    for (const [k, v] of Object.entries(body.quota_set)) expect(r.json.quota_set[k]).toBe(Number(v));
    const shown = await call(t.app, { url: url(), version, token: "member" });
    expect(withoutId(shown.json.quota_set)).toEqual(keys(r.json.quota_set));
  });

  it("refuses a limit below usage unless forced", async () => {
    await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, vcpus: 1, memoryMb: 64 });
    await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, vcpus: 1, memoryMb: 64 });
    const refused = await call(t.app, { method: "PUT", url: url(), body: { quota_set: { instances: 1 } } });
    expect(refused.status).toBe(400);
    expect(refused.json.badRequest.message).toBe(
      "Quota limit 1 for instances must be greater than or equal to already used and reserved 2.",
    );
    const forced = await call(t.app, {
      method: "PUT",
      url: url(),
      body: sample("os-quota-sets/quotas-update-force-post-req.json"),
    });
    expect(forced.status).toBe(200);
    expect(forced.json.quota_set.instances).toBe(45);
    const forcedLow = await call(t.app, {
      method: "PUT",
      url: url(),
      body: { quota_set: { instances: "1", force: "True" } },
    });
    expect(forcedLow.json.quota_set.instances).toBe(1);
    expect(
      (await call(t.app, { method: "PUT", url: url(), body: { quota_set: { instances: -1 } } })).status,
    ).toBe(200);
  });

  it("is admin only and validated per version", async () => {
    const member = await call(t.app, {
      method: "PUT",
      url: url(),
      token: "member",
      body: { quota_set: { cores: 1 } },
    });
    expect(member.status).toBe(403);
    expect(member.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.",
    );
    const gone = { quota_set: { floating_ips: 5 } };
    expect((await call(t.app, { method: "PUT", url: url(), version: "2.35", body: gone })).status).toBe(200);
    expect((await call(t.app, { method: "PUT", url: url(), version: "2.36", body: gone })).status).toBe(400);
    const personality = { quota_set: { injected_files: 5 } };
    expect(
      (await call(t.app, { method: "PUT", url: url(), version: "2.57", body: personality })).status,
    ).toBe(400);
    expect(
      (await call(t.app, { method: "PUT", url: url(), body: { quota_set: { cores: -2 } } })).status,
    ).toBe(400);
  });
});

describe("DELETE /os-quota-sets/{id}", () => {
  it("reverts to the defaults with 202 (admin only)", async () => {
    await call(t.app, { method: "PUT", url: url(), body: { quota_set: { cores: 3 } } });
    expect((await call(t.app, { method: "DELETE", url: url(), token: "member" })).status).toBe(403);
    const r = await call(t.app, { method: "DELETE", url: url() });
    expect(r.status).toBe(202);
    expect(r.text).toBe("");
    expect((await call(t.app, { url: url(), token: "member" })).json.quota_set.cores).toBe(20);
  });

  it("does not touch other projects", async () => {
    await call(t.app, { method: "PUT", url: url("", OTHER_PROJECT), body: { quota_set: { cores: 7 } } });
    await call(t.app, { method: "DELETE", url: url() });
    expect((await call(t.app, { url: url("", OTHER_PROJECT), token: "other" })).json.quota_set.cores).toBe(7);
  });
});

describe("os-quota-sets with user_id", () => {
  const user = "alice-user-id";
  const forUser = (suffix = "", u = user) => `${url(suffix)}?user_id=${u}`;

  it("sets, shows and details one user's limits apart from the project's", async () => {
    await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, userId: user, vcpus: 2, memoryMb: 256 });
    await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, userId: "bob", vcpus: 1, memoryMb: 64 });
    const body = sample("os-quota-sets/user-quotas-update-post-req.json");
    const put = await call(t.app, { method: "PUT", url: forUser(), body });
    expect(put.status).toBe(200);
    expect(keys(put.json.quota_set)).toEqual(
      keys(sample("os-quota-sets/user-quotas-update-post-resp.json").quota_set),
    );
    expect(put.json.quota_set.instances).toBe(9);
    const shown = await call(t.app, { url: forUser(), token: "member" });
    expect(shown.json.quota_set).toMatchObject({ id: MEMBER_PROJECT, instances: 9, cores: 20 });
    expect((await call(t.app, { url: url(), token: "member" })).json.quota_set.instances).toBe(10);
    const detail = await call(t.app, { url: forUser("/detail"), token: "member" });
    expect(detail.json.quota_set.instances).toEqual({ in_use: 1, limit: 9, reserved: 0 });
    expect(detail.json.quota_set.cores).toEqual({ in_use: 2, limit: 20, reserved: 0 });
  });

  it("refuses a user's limit over what the project has left, unless forced", async () => {
    await call(t.app, { method: "PUT", url: forUser("", "bob"), body: { quota_set: { cores: 15 } } });
    const over = await call(t.app, { method: "PUT", url: forUser(), body: { quota_set: { cores: 6 } } });
    expect(over.status).toBe(400);
    expect(over.json.badRequest.message).toBe("Quota limit 6 for cores must be less than or equal to 5.");
    const forced = await call(t.app, {
      method: "PUT",
      url: forUser(),
      body: { quota_set: { cores: 6, force: true } },
    });
    expect(forced.json.quota_set.cores).toBe(6);
  });

  it("deletes one user's limits with 202, and the project's delete takes its users' too", async () => {
    await call(t.app, { method: "PUT", url: forUser(), body: { quota_set: { instances: 2 } } });
    await call(t.app, { method: "PUT", url: forUser("", "bob"), body: { quota_set: { instances: 3 } } });
    expect((await call(t.app, { method: "DELETE", url: forUser() })).status).toBe(202);
    expect((await call(t.app, { url: forUser() })).json.quota_set.instances).toBe(10);
    expect((await call(t.app, { url: forUser("", "bob") })).json.quota_set.instances).toBe(3);
    await call(t.app, { method: "DELETE", url: url() });
    expect((await call(t.app, { url: forUser("", "bob") })).json.quota_set.instances).toBe(10);
  });

  it("holds the user's key pairs to the user's key_pairs limit", async () => {
    const member = "member-user-id";
    await call(t.app, { method: "PUT", url: forUser("", member), body: { quota_set: { key_pairs: 0 } } });
    const refused = await call(t.app, {
      method: "POST",
      url: "/os-keypairs",
      token: "member",
      body: { keypair: { name: "k1" } },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.forbidden.message).toBe("Quota exceeded, too many key pairs.");
    await call(t.app, { method: "DELETE", url: forUser("", member) });
  });
});
