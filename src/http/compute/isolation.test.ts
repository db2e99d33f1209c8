/**
 * What a member may not reach through server create and unshelve, as nova answers it:
 * another project's server group by its id (400, as if it did not exist), a requested host
 * or node (2.74, 403 before anything else), an unshelve to a host (2.91, 403 before the
 * server's state is looked at).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, IMAGE_ID, TINY } from "../../../test/compute-harness.js";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const boot = (
  as: "admin" | "demo" | "other",
  server: Record<string, unknown>,
  extra = {},
  version = "2.74",
) =>
  h.call({
    method: "POST",
    url: "/servers",
    as,
    version,
    body: {
      server: { name: "iso", flavorRef: TINY, imageRef: IMAGE_ID, networks: "none", ...server },
      ...extra,
    },
  });

describe("the group scheduler hint", () => {
  it("finds only the caller's own project's groups, unless the caller is an admin", async () => {
    const created = await h.call({
      method: "POST",
      url: "/os-server-groups",
      as: "demo",
      version: "2.64",
      body: { server_group: { name: "demo-only", policy: "anti-affinity" } },
    });
    expect(created.status).toBe(200);
    const groupId = created.json.server_group.id as string;
    const hint = { "os:scheduler_hints": { group: groupId } };

    const stranger = await boot("other", {}, hint);
    expect(stranger.status).toBe(400);
    expect(stranger.json.badRequest.message).toBe(`Instance group ${groupId} could not be found.`);
    const strangers = await h.call({ url: "/servers/detail", as: "other" });
    expect(strangers.json.servers).toEqual([]);

    const owner = await boot("demo", {}, hint);
    expect(owner.status).toBe(202);
    expect((await boot("admin", {}, hint)).status).toBe(202);
    await h.drain();
    const group = await h.call({ url: `/os-server-groups/${groupId}`, as: "demo" });
    // the owner's own member and the admin's; none of the stranger's
    expect(group.json.server_group.members).toHaveLength(2);
    expect(group.json.server_group.members).toContain(owner.json.server.id);
  });
});

describe("a requested destination (2.74)", () => {
  it("is refused to a member with 403, whether a host or a node is named", async () => {
    for (const server of [{ host: "anywhere" }, { hypervisor_hostname: "anywhere" }]) {
      const r = await boot("demo", server);
      expect(r.status, JSON.stringify(server)).toBe(403);
      expect(r.json.forbidden.message).toBe(
        "Policy doesn't allow compute:servers:create:requested_destination to be performed.",
      );
    }
  });

  it("is taken from an admin, and may not be mixed with zone:host", async () => {
    const hosts = await h.call({ url: "/os-hypervisors", as: "admin" });
    const host = hosts.json.hypervisors[0].hypervisor_hostname as string;
    expect((await boot("admin", { hypervisor_hostname: host })).status).toBe(202);
    expect((await boot("admin", { host })).status).toBe(202);
    const mixed = await boot("admin", { host, availability_zone: `nova:${host}` });
    expect(mixed.status).toBe(400);
    expect(mixed.json.badRequest.message).toMatch(/mutually exclusive/);
    await h.drain();
  });
});

describe("unshelve to a host (2.91)", () => {
  it("is refused to a member with 403 before the server's state is considered", async () => {
    const id = await h.activeServer({ name: "not-shelved" });
    const r = await h.action(id, { unshelve: { host: "elsewhere" } }, { version: "2.91" });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-shelve:unshelve_to_host to be performed.",
    );
    // the admin gets past the policy to the state check
    const admin = await h.action(id, { unshelve: { host: "elsewhere" } }, { as: "admin", version: "2.91" });
    expect(admin.status).toBe(409);
  });
});
