import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertTestInstance } from "../../store/testing.js";
import {
  call,
  keys,
  MEMBER_PROJECT,
  OTHER_PROJECT,
  resourcesApp,
  sample,
  type TestApp,
} from "./resources-test-app.js";

let t: TestApp;
beforeAll(async () => {
  t = await resourcesApp();
  await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, vcpus: 2, memoryMb: 2048 });
  await insertTestInstance(t.db, { projectId: MEMBER_PROJECT, vcpus: 1, memoryMb: 512, deleted: true });
  await t.quotas.update(OTHER_PROJECT, { instances: 4 }, { force: false });
});
afterAll(async () => t.close());

describe("GET /limits", () => {
  it.each([
    [undefined, "limits/limit-get-resp.json"],
    ["2.35", "limits/limit-get-resp.json"],
    ["2.36", "limits/v2.36/limit-get-resp.json"],
    ["2.38", "limits/v2.36/limit-get-resp.json"],
    ["2.39", "limits/v2.39/limit-get-resp.json"],
    ["2.56", "limits/v2.39/limit-get-resp.json"],
    ["2.57", "limits/v2.57/limit-get-resp.json"],
    ["2.104", "limits/v2.57/limit-get-resp.json"],
  ])("has nova's shape at %s", async (version, file) => {
    const r = await call(t.app, { url: "/limits", version, token: "other" });
    expect(r.status).toBe(200);
    const expected = sample(file).limits;
    expect(r.json.limits.rate).toEqual([]);
    expect(keys(r.json.limits.absolute)).toEqual(keys(expected.absolute));
  });

  it("matches nova's sample values for a fresh project", async () => {
    const r = await call(t.app, { url: "/limits", version: "2.57", token: "admin" });
    expect(r.json).toEqual(sample("limits/v2.57/limit-get-resp.json"));
  });

  it("reports the caller's project limits and live usage", async () => {
    const r = await call(t.app, { url: "/limits", token: "member" });
    expect(r.json.limits.absolute).toMatchObject({
      maxTotalInstances: 10,
      totalInstancesUsed: 1,
      totalCoresUsed: 2,
      totalRAMUsed: 2048,
      totalServerGroupsUsed: 0,
    });
    expect(
      (await call(t.app, { url: "/limits", token: "other" })).json.limits.absolute.maxTotalInstances,
    ).toBe(4);
  });

  it("shows another project with tenant_id to admins only", async () => {
    const admin = await call(t.app, { url: `/limits?tenant_id=${MEMBER_PROJECT}` });
    expect(admin.json.limits.absolute.totalInstancesUsed).toBe(1);
    const member = await call(t.app, { url: `/limits?tenant_id=${OTHER_PROJECT}`, token: "member" });
    expect(member.status).toBe(403);
    expect(member.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:limits:other_project to be performed.",
    );
  });

  it("drops unknown query parameters before 2.75 and refuses them from 2.75", async () => {
    expect((await call(t.app, { url: "/limits?foo=1", version: "2.74", token: "member" })).status).toBe(200);
    expect((await call(t.app, { url: "/limits?foo=1", version: "2.75", token: "member" })).status).toBe(400);
  });
});
