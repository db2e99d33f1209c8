/**
 * `/os-server-groups` through inject(): the view at every microversion where it changes
 * (2.1, 2.13, 2.15, 2.64), bad input, quotas, policy and project scoping, paging; and
 * membership through server create: the `group` hint, the server_group_members quota,
 * each policy on nimbus's one host, members leaving when deleted, `server_groups` (2.71).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  keysOf,
  sample,
  TINY,
} from "../../../test/compute-harness.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "00000000-0000-4000-8000-000000000000";
const NO_VALID_HOST = "No valid host was found. There are not enough hosts available.";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
  // the tests make more groups than the default quota of 10; the quota test sets its own
  for (const project of ["admin", "demo", "other"] as const) await h.setQuota(project, { server_groups: -1 });
});
afterAll(async () => h.close());

interface GroupOptions {
  as?: Caller;
  version?: string;
}

const post = (serverGroup: Record<string, unknown>, o: GroupOptions = {}) =>
  h.call({
    method: "POST",
    url: "/os-server-groups",
    as: o.as,
    version: o.version,
    body: { server_group: serverGroup },
  });

/** A group made at 2.64 (policy and rules), its id. */
async function group(
  policy: string,
  o: GroupOptions & { rules?: Record<string, unknown>; name?: string } = {},
) {
  const r = await post(
    { name: o.name ?? policy, policy, ...(o.rules ? { rules: o.rules } : {}) },
    { as: o.as, version: "2.64" },
  );
  expect(r.status, r.text).toBe(200);
  return r.json.server_group.id as string;
}

const show = (id: string, o: GroupOptions = {}) =>
  h.call({ url: `/os-server-groups/${id}`, as: o.as, version: o.version });

/** Creates servers with the `group` hint (`min_count` = `max_count` = count); their ids. */
async function boot(groupId: string, o: { as?: Caller; count?: number; name?: string } = {}) {
  const count = o.count ?? 1;
  const created = await h.createServer({
    as: o.as,
    name: o.name ?? "member",
    server: count > 1 ? { min_count: count, max_count: count } : {},
    extra: { "os:scheduler_hints": { group: groupId } },
  });
  if (count === 1) return [created.id];
  const listed = await h.call({ url: `/servers?name=^${o.name ?? "member"}-&limit=1000`, as: o.as });
  return (listed.json.servers as Array<{ id: string }>).map((s) => s.id);
}

describe("POST /os-server-groups and the view per microversion", () => {
  it.each([
    ["2.1", "os-server-groups/server-groups-post-resp.json"],
    ["2.13", "os-server-groups/v2.13/server-groups-post-resp.json"],
    ["2.64", "os-server-groups/v2.64/server-groups-post-resp.json"],
  ])("answers 200 with nova's keys at %s", async (version, file) => {
    const body = sample(file.replace("-resp.json", "-req.json")).server_group;
    const r = await post(body, { version });
    expect(r.status).toBe(200);
    expect(keysOf(r.json)).toEqual(["server_group"]);
    expect(keysOf(r.json.server_group)).toEqual(keysOf(sample(file).server_group));
    expect(r.json.server_group).toMatchObject({ name: "test", members: [] });
    expect(r.json.server_group.id).toMatch(UUID);
  });

  it("shows the owner from 2.13 and keeps policies and an empty metadata until 2.63", async () => {
    const id = (await post({ name: "owned", policies: ["affinity"] }, { version: "2.1" })).json.server_group
      .id;
    expect((await show(id, { version: "2.12" })).json.server_group).toEqual({
      id,
      name: "owned",
      policies: ["affinity"],
      metadata: {},
      members: [],
    });
    expect((await show(id, { version: "2.13" })).json.server_group).toEqual({
      id,
      name: "owned",
      policies: ["affinity"],
      metadata: {},
      members: [],
      project_id: h.projects.demo,
      user_id: h.users.demo,
    });
    // a group made with `policies` shows its one policy and no rules from 2.64
    expect((await show(id, { version: "2.64" })).json.server_group).toEqual({
      id,
      name: "owned",
      policy: "affinity",
      rules: {},
      members: [],
      project_id: h.projects.demo,
      user_id: h.users.demo,
    });
  });

  it("takes the soft policies from 2.15", async () => {
    for (const policy of ["soft-affinity", "soft-anti-affinity"]) {
      const refused = await post({ name: "soft", policies: [policy] }, { version: "2.14" });
      expect(refused.status).toBe(400);
      const r = await post({ name: "soft", policies: [policy] }, { version: "2.15" });
      expect(r.status).toBe(200);
      expect(keysOf(r.json.server_group)).toEqual(
        keysOf(sample("os-server-groups/v2.13/server-groups-post-resp.json").server_group),
      );
      expect(r.json.server_group.policies).toEqual([policy]);
      // shown as it is at any version
      expect((await show(r.json.server_group.id, { version: "2.1" })).json.server_group.policies).toEqual([
        policy,
      ]);
    }
  });

  it("takes policy and rules from 2.64, an integer max_server_per_host even when sent as a string", async () => {
    const r = await post(
      { name: "spread", policy: "anti-affinity", rules: { max_server_per_host: "3" } },
      { version: "2.64" },
    );
    expect(r.status).toBe(200);
    expect(r.json.server_group).toMatchObject({ policy: "anti-affinity", rules: { max_server_per_host: 3 } });
    const old = await show(r.json.server_group.id, { version: "2.63" });
    expect(old.json.server_group.policies).toEqual(["anti-affinity"]);
    expect(old.json.server_group).not.toHaveProperty("rules");
    const plain = await post({ name: "plain", policy: "soft-affinity" }, { version: "2.64" });
    expect(plain.json.server_group.rules).toEqual({});
  });

  it("serves the legacy /v2 endpoint with the 2.0 view", async () => {
    const r = await h.call({
      method: "POST",
      url: "/compute/v2/os-server-groups",
      body: { server_group: { name: "legacy", policies: ["anti-affinity"], junk: 1 } },
    });
    expect(r.status).toBe(200);
    expect(keysOf(r.json.server_group)).toEqual(["id", "members", "metadata", "name", "policies"]);
  });

  it.each([
    ["2.1", { policies: ["affinity"] }, "'name' is a required property"],
    ["2.1", { name: "x" }, "'policies' is a required property"],
    ["2.1", { name: "x", policies: [] }, "[] should be non-empty"],
    ["2.1", { name: "x", policies: ["affinity", "anti-affinity"] }, "is too long"],
    ["2.1", { name: "x", policies: ["nearby"] }, "is not one of"],
    ["2.1", { name: " x", policies: ["affinity"] }, "An invalid 'name' value was provided."],
    [
      "2.1",
      { name: "x", policies: ["affinity"], policy: "affinity" },
      "Additional properties are not allowed",
    ],
    ["2.64", { name: "x", policies: ["affinity"] }, "'policy' is a required property"],
    [
      "2.64",
      { name: "x", policy: "affinity", policies: ["affinity"] },
      "Additional properties are not allowed",
    ],
    [
      "2.64",
      { name: "x", policy: "anti-affinity", rules: { max_server_per_host: 0 } },
      "less than the minimum",
    ],
    [
      "2.64",
      { name: "x", policy: "anti-affinity", rules: { other: 1 } },
      "Additional properties are not allowed",
    ],
    [
      "2.64",
      { name: "x", policy: "affinity", rules: { max_server_per_host: 2 } },
      "Only anti-affinity policy supports rules.",
    ],
  ])("refuses bad bodies at %s: %j", async (version, body, message) => {
    const r = await post(body, { version });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toContain(message);
  });
});

describe("GET and DELETE /os-server-groups/{id}, policy and scoping", () => {
  let demoGroup: string;
  beforeAll(async () => {
    demoGroup = await group("affinity", { name: "demo-owned" });
  });

  it.each([
    ["2.1", "os-server-groups/server-groups-get-resp.json"],
    ["2.13", "os-server-groups/v2.13/server-groups-get-resp.json"],
    ["2.64", "os-server-groups/v2.64/server-groups-get-resp.json"],
  ])("shows a group with nova's keys at %s", async (version, file) => {
    const r = await show(demoGroup, { version });
    expect(r.status).toBe(200);
    expect(keysOf(r.json.server_group)).toEqual(keysOf(sample(file).server_group));
  });

  it("answers 404 with nova's message for an unknown group", async () => {
    for (const method of ["GET", "DELETE"] as const) {
      const r = await h.call({ method, url: `/os-server-groups/${MISSING}` });
      expect(r.status).toBe(404);
      expect(r.json.itemNotFound.message).toBe(`Instance group ${MISSING} could not be found.`);
    }
  });

  it("hides another project's group from its members (nova's project-scoped lookup), lets the admin in", async () => {
    const shown = await show(demoGroup, { as: "other" });
    expect(shown.status).toBe(404);
    expect(shown.json.itemNotFound.message).toBe(`Instance group ${demoGroup} could not be found.`);
    const deleted = await h.call({ method: "DELETE", url: `/os-server-groups/${demoGroup}`, as: "other" });
    expect(deleted.status).toBe(404);
    expect(deleted.json.itemNotFound.message).toBe(`Instance group ${demoGroup} could not be found.`);
    expect((await show(demoGroup, { as: "admin" })).status).toBe(200);
  });

  it("lists the caller's project only; all_projects for admins, ignored for members", async () => {
    const otherGroup = await group("anti-affinity", { as: "other", name: "other-owned" });
    const adminGroup = await group("affinity", { as: "admin", name: "admin-owned" });
    const ids = async (as: Caller, query = "") =>
      (await h.call({ url: `/os-server-groups${query}`, as })).json.server_groups.map(
        (g: { id: string }) => g.id,
      );
    expect(await ids("demo")).toContain(demoGroup);
    expect(await ids("demo")).not.toContain(otherGroup);
    expect(await ids("demo", "?all_projects=True")).not.toContain(otherGroup);
    expect(await ids("other")).toEqual([otherGroup]);
    expect(await ids("admin")).toEqual([adminGroup]);
    // any value: nova looks for the parameter only
    const all = await ids("admin", "?all_projects=0");
    expect(all).toEqual(expect.arrayContaining([demoGroup, otherGroup, adminGroup]));
  });

  it.each([
    ["2.1", "os-server-groups/server-groups-list-resp.json"],
    ["2.13", "os-server-groups/v2.13/server-groups-list-resp.json"],
    ["2.64", "os-server-groups/v2.64/server-groups-list-resp.json"],
  ])("lists with nova's keys at %s", async (version, file) => {
    const r = await h.call({ url: "/os-server-groups", version });
    expect(r.status).toBe(200);
    expect(keysOf(r.json)).toEqual(["server_groups"]);
    expect(keysOf(r.json.server_groups[0])).toEqual(keysOf(sample(file).server_groups[0]));
  });

  it("pages with limit and offset in creation order", async () => {
    await h.setQuota("other", { server_groups: -1 });
    const all = (await h.call({ url: "/os-server-groups", as: "other" })).json.server_groups.map(
      (g: { id: string }) => g.id,
    );
    const more = [await group("affinity", { as: "other" }), await group("affinity", { as: "other" })];
    const ids = [...all, ...more];
    const page = async (query: string) =>
      (await h.call({ url: `/os-server-groups?${query}`, as: "other" })).json.server_groups.map(
        (g: { id: string }) => g.id,
      );
    expect(await page("")).toEqual(ids);
    expect(await page("limit=1")).toEqual(ids.slice(0, 1));
    expect(await page("limit=2&offset=1")).toEqual(ids.slice(1, 3));
    expect(await page("offset=2")).toEqual(ids.slice(2));
    // limit=0 is nova's "no limit"
    expect(await page("limit=0")).toEqual(ids);
    expect(await page("offset=99")).toEqual([]);
  });

  it("refuses bad paging and, from 2.75, unknown query parameters", async () => {
    for (const query of ["limit=-1", "limit=x", "offset=-1", "offset="]) {
      const r = await h.call({ url: `/os-server-groups?${query}` });
      expect(r.status, query).toBe(400);
    }
    expect((await h.call({ url: "/os-server-groups?foo=1", version: "2.74" })).status).toBe(200);
    const strict = await h.call({ url: "/os-server-groups?foo=1", version: "2.75" });
    expect(strict.status).toBe(400);
    expect((await h.call({ url: `/os-server-groups/${demoGroup}?foo=1`, version: "2.102" })).status).toBe(
      400,
    );
  });

  it("deletes with 204; the group is gone", async () => {
    const id = await group("affinity", { name: "doomed" });
    const r = await h.call({ method: "DELETE", url: `/os-server-groups/${id}` });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await show(id)).status).toBe(404);
  });
});

describe("quotas", () => {
  it("refuses a group over server_groups with nova's 403, and counts groups in /limits and quota detail", async () => {
    // the admin project holds only the group made in the scoping test
    await h.setQuota("admin", { server_groups: 2 });
    const limits = async () => (await h.call({ url: "/limits", as: "admin" })).json.limits.absolute;
    expect(await limits()).toMatchObject({ maxServerGroups: 2, totalServerGroupsUsed: 1 });
    const second = await group("affinity", { as: "admin" });
    expect((await limits()).totalServerGroupsUsed).toBe(2);
    const detail = await h.call({ url: `/os-quota-sets/${h.projects.admin}/detail`, as: "admin" });
    expect(detail.json.quota_set.server_groups).toEqual({ limit: 2, in_use: 2, reserved: 0 });

    const over = await post({ name: "third", policies: ["affinity"] }, { as: "admin" });
    expect(over.status).toBe(403);
    expect(over.json.forbidden.message).toBe("Quota exceeded, too many server groups.");
    // a limit below usage is refused unless forced
    const lower = await h.call({
      method: "PUT",
      url: `/os-quota-sets/${h.projects.admin}`,
      as: "admin",
      body: { quota_set: { server_groups: 1 } },
    });
    expect(lower.status).toBe(400);

    await h.call({ method: "DELETE", url: `/os-server-groups/${second}`, as: "admin" });
    expect((await limits()).totalServerGroupsUsed).toBe(1);
    expect((await post({ name: "again", policies: ["affinity"] }, { as: "admin" })).status).toBe(200);
    await h.setQuota("admin", { server_groups: -1 });
  });

  it("refuses servers over server_group_members (per group and user) with nova's 403", async () => {
    await h.setQuota("demo", { server_group_members: 2 });
    try {
      const id = await group("soft-anti-affinity");
      const create = (count: number, as: Caller = "demo") =>
        h.call({
          method: "POST",
          url: "/servers",
          as,
          body: {
            server: {
              name: "quota-member",
              imageRef: IMAGE_ID,
              flavorRef: TINY,
              min_count: count,
              max_count: count,
            },
            "os:scheduler_hints": { group: id },
          },
        });
      expect((await create(1)).status).toBe(202);
      const over = await create(2);
      expect(over.status).toBe(403);
      expect(over.json.forbidden.message).toBe("Quota exceeded, too many servers in group");
      expect((await create(1)).status).toBe(202);
      expect((await create(1)).status).toBe(403);
      // the refused creates left nothing behind
      await h.drain();
      expect((await show(id)).json.server_group.members).toHaveLength(2);
      // another user's servers count on their own
      expect((await create(1, "admin")).status).toBe(202);
      await h.drain();
    } finally {
      await h.setQuota("demo", { server_group_members: 10 });
    }
  });
});

describe("membership and scheduling through server create", () => {
  it("adds a hinted server to the group and shows the group in the server's own view from 2.71", async () => {
    const id = await group("affinity", { name: "members" });
    const [server] = await boot(id);
    await h.drain();
    expect((await show(id)).json.server_group.members).toEqual([server]);
    expect((await h.show(server!, { version: "2.71" })).server_groups).toEqual([id]);
    expect(await h.show(server!, { version: "2.70" })).not.toHaveProperty("server_groups");
    const detail = await h.call({ url: `/servers/detail?uuid=${server}`, version: "2.71" });
    expect(detail.json.servers[0]).not.toHaveProperty("server_groups");

    const updated = await h.call({
      method: "PUT",
      url: `/servers/${server}`,
      version: "2.71",
      body: { server: { name: "renamed" } },
    });
    expect(updated.json.server.server_groups).toEqual([id]);
    const rebuilt = await h.action(server!, { rebuild: { imageRef: IMAGE_ID } }, { version: "2.71" });
    expect(rebuilt.status).toBe(202);
    expect(rebuilt.json.server.server_groups).toEqual([id]);
    await h.drain();
  });

  it("takes the hint under either key, and a one-element list", async () => {
    const id = await group("soft-affinity");
    const a = await h.createServer({ extra: { "OS-SCH-HNT:scheduler_hints": { group: id } } });
    const b = await h.createServer({ extra: { "os:scheduler_hints": { group: [id] } } });
    await h.drain();
    expect((await show(id)).json.server_group.members).toEqual([a.id, b.id]);
  });

  it("refuses a hint naming no group with nova's 400, creating nothing", async () => {
    const before = (await h.call({ url: "/servers?limit=1000" })).json.servers.length;
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: { name: "orphan", imageRef: IMAGE_ID, flavorRef: TINY },
        "os:scheduler_hints": { group: MISSING },
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(`Instance group ${MISSING} could not be found.`);
    const notUuid = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: { name: "orphan", imageRef: IMAGE_ID, flavorRef: TINY },
        "os:scheduler_hints": { group: "g" },
      },
    });
    expect(notUuid.status).toBe(400);
    expect((await h.call({ url: "/servers?limit=1000" })).json.servers.length).toBe(before);
  });

  it("fails a second anti-affinity server on the one host as nova does: ERROR with NoValidHost", async () => {
    const id = await group("anti-affinity");
    const [first] = await boot(id, { name: "anti-first" });
    await h.drain();
    expect((await h.show(first!)).status).toBe("ACTIVE");

    const [second] = await boot(id, { name: "anti-second" });
    await h.drain();
    const failed = await h.show(second!, { as: "admin", version: "2.71" });
    expect(failed).toMatchObject({
      status: "ERROR",
      "OS-EXT-STS:vm_state": "error",
      "OS-EXT-STS:task_state": null,
      "OS-EXT-SRV-ATTR:host": null,
      server_groups: [id],
    });
    expect(failed.fault).toMatchObject({ code: 500, message: NO_VALID_HOST });
    // the owner sees the fault without its details (code 500)
    expect((await h.show(second!)).fault).toEqual({
      code: 500,
      created: expect.any(String),
      message: NO_VALID_HOST,
    });
    // it is a member all the same, and its create action failed
    expect((await show(id)).json.server_group.members).toEqual([first, second]);
    const actions = await h.call({ url: `/servers/${second}/os-instance-actions` });
    expect(actions.json.instanceActions[0]).toMatchObject({ action: "create", message: "Error" });
  });

  it("counts a member still being built against the host", async () => {
    const id = await group("anti-affinity");
    const [building, second] = await h.withEngineStopped(async () => {
      const [a] = await boot(id, { name: "pending-a" });
      const [b] = await boot(id, { name: "pending-b" });
      return [a, b];
    });
    expect((await h.show(building!)).status).toBe("ACTIVE");
    expect((await h.show(second!)).status).toBe("ERROR");
  });

  it("places a multi-create one by one: the first fits, the rest fail", async () => {
    const id = await group("anti-affinity");
    const servers = await boot(id, { count: 3, name: "multi-anti" });
    await h.drain();
    const statuses = await Promise.all(servers.map(async (s) => (await h.show(s)).status));
    expect(statuses.sort()).toEqual(["ACTIVE", "ERROR", "ERROR"]);
    expect((await show(id)).json.server_group.members).toHaveLength(3);
  });

  it("honours max_server_per_host", async () => {
    const id = await group("anti-affinity", { rules: { max_server_per_host: 2 } });
    const servers = await boot(id, { count: 2, name: "two-per-host" });
    const [third] = await boot(id, { name: "third-per-host" });
    await h.drain();
    for (const s of servers) expect((await h.show(s)).status).toBe("ACTIVE");
    expect((await h.show(third!)).status).toBe("ERROR");
  });

  it.each(["affinity", "soft-affinity", "soft-anti-affinity"])(
    "always fits %s on the one host",
    async (policy) => {
      const id = await group(policy);
      const servers = [...(await boot(id, { count: 2, name: `fits-${policy}` })), ...(await boot(id))];
      await h.drain();
      for (const s of servers) expect((await h.show(s)).status).toBe("ACTIVE");
    },
  );

  it("drops a deleted server from its group; its place is free again", async () => {
    const id = await group("anti-affinity");
    const [first] = await boot(id, { name: "leaving" });
    await h.drain();
    expect((await h.call({ method: "DELETE", url: `/servers/${first}` })).status).toBe(204);
    await h.drain();
    expect((await show(id)).json.server_group.members).toEqual([]);
    const [next] = await boot(id, { name: "arriving" });
    await h.drain();
    expect((await h.show(next!)).status).toBe("ACTIVE");
    expect((await show(id)).json.server_group.members).toEqual([next]);
  });

  it("leaves the servers of a deleted group outside any group", async () => {
    const id = await group("affinity");
    const [server] = await boot(id);
    await h.drain();
    expect((await h.call({ method: "DELETE", url: `/os-server-groups/${id}` })).status).toBe(204);
    expect((await h.show(server!, { version: "2.71" })).server_groups).toEqual([]);
    expect((await h.show(server!)).status).toBe("ACTIVE");
  });
});
