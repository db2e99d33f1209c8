/**
 * Nova on Neutron's security groups and floating IPs: a create's security_groups on its
 * ports, a server's groups (view, os-security-groups, add/remove actions), and nova's
 * proxy APIs (os-security-groups, os-security-group-rules, os-floating-ips,
 * os-floating-ip-pools, os-networks, os-tenant-networks) with their answers to 2.35 and
 * their 404 from 2.36.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  NETWORK_ID,
  TINY,
} from "../../../test/compute-harness.js";
import { PUBLIC_NETWORK_ID } from "../../services/network/bootstrap-network.js";

let h: ComputeHarness;

beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

const PROXY = "2.35";

async function neutron(
  method: "GET" | "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
  as: Caller = "demo",
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
): Promise<any> {
  const r = await h.call({ method, url: `/network/v2.0${path}`, body, as });
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.json;
}

const group = async (name: string, as: Caller = "demo"): Promise<string> =>
  (await neutron("POST", "/security-groups", { security_group: { name } }, as)).security_group.id;

const action = (id: string, body: unknown, version = "2.1", as: Caller = "demo") =>
  h.call({ method: "POST", url: `/servers/${id}/action`, body, version, as });

const portsOf = async (serverId: string) =>
  (await neutron("GET", `/ports?device_id=${serverId}`, undefined, "admin")).ports;

describe("security groups of servers", () => {
  it("puts a create's groups, named or by id, on the ports it makes and shows them from the ports", async () => {
    const web = await group("web");
    const db = await group("db");
    const { id, response } = await h.createServer({
      server: { security_groups: [{ name: "web" }, { name: db }], networks: [{ uuid: NETWORK_ID }] },
    });
    // the create answer echoes what was asked for
    expect(response.json.server.security_groups).toEqual([{ name: "web" }, { name: db }]);
    await h.drain();
    const [port] = await portsOf(id);
    expect(port.security_groups.sort()).toEqual([web, db].sort());
    const shown = await h.call({ url: `/servers/${id}` });
    expect(shown.json.server.security_groups).toEqual([{ name: "db" }, { name: "web" }]);
  });

  it("gives a server asking for none, or for default, the project's default group", async () => {
    const id = await h.activeServer({ server: { security_groups: [{ name: "default" }] } });
    expect((await h.call({ url: `/servers/${id}` })).json.server.security_groups).toEqual([
      { name: "default" },
    ]);
    const plain = await h.activeServer();
    expect((await h.call({ url: `/servers/${plain}` })).json.server.security_groups).toEqual([
      { name: "default" },
    ]);
  });

  it("shows no security_groups for a server without ports", async () => {
    const id = await h.activeServer({ version: "2.37", server: { networks: "none" } });
    const shown = await h.call({ url: `/servers/${id}`, version: "2.37" });
    expect(shown.json.server).not.toHaveProperty("security_groups");
  });

  it("refuses a create naming a group that is not there (400) or a name two groups share (409)", async () => {
    const missing = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: { name: "x", imageRef: IMAGE_ID, flavorRef: TINY, security_groups: [{ name: "nope" }] },
      },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.badRequest.message).toBe("Unable to find security_group with name or id 'nope'");
    await group("twin");
    await group("twin");
    const twins = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: { name: "x", imageRef: IMAGE_ID, flavorRef: TINY, security_groups: [{ name: "twin" }] },
      },
    });
    expect(twins.status).toBe(409);
    expect(twins.json.conflictingRequest.message).toBe(
      "Multiple security_group matches found for name 'twin', use an ID to be more specific.",
    );
    // another project's group is not found by its id either
    const foreign = await group("theirs", "other");
    const hidden = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: { name: "x", imageRef: IMAGE_ID, flavorRef: TINY, security_groups: [{ name: foreign }] },
      },
    });
    expect(hidden.status).toBe(400);
  });

  it("adds and removes a group on every port of a server, with nova's errors", async () => {
    await group("extra");
    const id = await h.activeServer();
    await h.call({ method: "POST", url: `/servers/${id}/os-interface`, body: { interfaceAttachment: {} } });
    expect((await action(id, { addSecurityGroup: { name: "extra" } })).status).toBe(202);
    for (const port of await portsOf(id)) expect(port.security_groups).toHaveLength(2);
    const listed = await h.call({ url: `/servers/${id}/os-security-groups` });
    expect(listed.status).toBe(200);
    // once per port holding it, sorted by project and name, in nova's format
    expect(listed.json.security_groups.map((g: { name: string }) => g.name)).toEqual([
      "default",
      "default",
      "extra",
      "extra",
    ]);
    const [first] = listed.json.security_groups;
    expect(Object.keys(first)).toEqual(["id", "description", "name", "tenant_id", "rules"]);
    // the default group's ingress rules name the group itself
    expect(first.rules).toHaveLength(2);
    expect(first.rules[0]).toMatchObject({ ip_protocol: null, group: { name: "default" }, ip_range: {} });

    const twice = await action(id, { addSecurityGroup: { name: "extra" } });
    expect(twice.status).toBe(400);
    const unknown = await action(id, { addSecurityGroup: { name: "nope" } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.itemNotFound.message).toMatch(/^Security group nope is not found for project /);
    expect((await action(id, { addSecurityGroup: { name: " " } })).status).toBe(400);

    expect((await action(id, { removeSecurityGroup: { name: "extra" } })).status).toBe(202);
    for (const port of await portsOf(id)) expect(port.security_groups).toHaveLength(1);
    const again = await action(id, { removeSecurityGroup: { name: "extra" } });
    expect(again.status).toBe(404);
    expect(again.json.itemNotFound.message).toBe(
      `Security group extra not associated with the instance ${id}`,
    );

    const bare = await h.activeServer({ version: "2.37", server: { networks: "none" } });
    const noPorts = await action(bare, { addSecurityGroup: { name: "default" } });
    expect(noPorts.status).toBe(404);
    expect(noPorts.json.itemNotFound.message).toBe(
      `instance_id ${bare} could not be found as device id on any ports`,
    );
  });
});

describe("nova's os-security-groups proxy", () => {
  it("creates, shows, updates, lists and deletes groups in nova's format", async () => {
    const created = await h.call({
      method: "POST",
      url: "/os-security-groups",
      version: PROXY,
      body: { security_group: { name: "proxied", description: "via nova" } },
    });
    expect(created.status).toBe(200);
    const sg = created.json.security_group;
    expect(sg).toEqual({
      id: expect.any(String),
      description: "via nova",
      name: "proxied",
      tenant_id: h.projects.demo,
      rules: [],
    });
    // Neutron sees it with its egress rules, which nova does not show
    const inNeutron = await neutron("GET", `/security-groups/${sg.id}`);
    expect(inNeutron.security_group.security_group_rules.length).toBeGreaterThan(0);

    const updated = await h.call({
      method: "PUT",
      url: `/os-security-groups/${sg.id}`,
      version: PROXY,
      body: { security_group: { name: "renamed", description: "again" } },
    });
    expect(updated.json.security_group).toMatchObject({ name: "renamed", description: "again" });
    const list = await h.call({ url: "/os-security-groups", version: PROXY });
    const names = list.json.security_groups.map((g: { name: string }) => g.name);
    expect(names).toContain("renamed");
    expect(names).toEqual([...names].sort());
    expect(
      (await h.call({ url: "/os-security-groups?limit=1&offset=1", version: PROXY })).json.security_groups,
    ).toHaveLength(1);

    expect(
      (await h.call({ url: "/os-security-groups/not-a-uuid", version: PROXY })).json.badRequest.message,
    ).toBe("Security group id should be uuid");
    expect(
      (await h.call({ method: "DELETE", url: `/os-security-groups/${sg.id}`, version: PROXY })).status,
    ).toBe(202);
    const gone = await h.call({ url: `/os-security-groups/${sg.id}`, version: PROXY });
    expect(gone.status).toBe(404);
    expect(gone.json.itemNotFound.message).toBe(`Security group ${sg.id} does not exist`);
  });

  it("creates CIDR and group rules as ingress rules, refusing duplicates and half rules", async () => {
    const parent = await group("ruled");
    const rule = (body: Record<string, unknown>) =>
      h.call({
        method: "POST",
        url: "/os-security-group-rules",
        version: PROXY,
        body: { security_group_rule: { parent_group_id: parent, ...body } },
      });
    const ssh = await rule({ ip_protocol: "tcp", from_port: 22, to_port: 22, cidr: "10.1.0.0/16" });
    expect(ssh.status).toBe(200);
    expect(ssh.json.security_group_rule).toEqual({
      id: expect.any(String),
      parent_group_id: parent,
      ip_protocol: "tcp",
      from_port: 22,
      to_port: 22,
      group: {},
      ip_range: { cidr: "10.1.0.0/16" },
    });
    const inNeutron = await neutron("GET", `/security-group-rules/${ssh.json.security_group_rule.id}`);
    expect(inNeutron.security_group_rule).toMatchObject({
      direction: "ingress",
      ethertype: "IPv4",
      port_range_min: 22,
      remote_ip_prefix: "10.1.0.0/16",
    });
    const dup = await rule({ ip_protocol: "tcp", from_port: 22, to_port: 22, cidr: "10.1.0.0/16" });
    expect(dup.json.badRequest.message).toBe(`This rule already exists in group ${parent}`);
    const half = await rule({ cidr: "10.2.0.0/16" });
    expect(half.json.badRequest.message).toBe("Not enough parameters to build a valid rule.");
    expect((await rule({ ip_protocol: "tcp", from_port: 30, to_port: 20 })).json.badRequest.message).toBe(
      "Invalid port range 30:20. Former value cannot be greater than the later",
    );
    expect((await rule({ ip_protocol: "gre", from_port: 1, to_port: 2 })).json.badRequest.message).toBe(
      "Invalid IP protocol gre.",
    );
    const fromGroup = await rule({ group_id: parent, ip_protocol: "icmp" });
    expect(fromGroup.json.security_group_rule).toMatchObject({
      from_port: -1,
      to_port: -1,
      group: { name: "ruled", tenant_id: h.projects.demo },
      ip_range: {},
    });
    const shown = await h.call({ url: `/os-security-groups/${parent}`, version: PROXY });
    expect(shown.json.security_group.rules).toHaveLength(2);

    const id = ssh.json.security_group_rule.id;
    expect(
      (await h.call({ method: "DELETE", url: `/os-security-group-rules/${id}`, version: PROXY })).status,
    ).toBe(202);
    const again = await h.call({ method: "DELETE", url: `/os-security-group-rules/${id}`, version: PROXY });
    expect(again.status).toBe(404);
    const unknownParent = await h.call({
      method: "POST",
      url: "/os-security-group-rules",
      version: PROXY,
      body: {
        security_group_rule: {
          parent_group_id: crypto.randomUUID(),
          ip_protocol: "tcp",
          from_port: 1,
          to_port: 2,
        },
      },
    });
    expect(unknownParent.status).toBe(404);
  });

  it("is gone from 2.36, while a server's groups stay", async () => {
    expect((await h.call({ url: "/os-security-groups", version: "2.36" })).status).toBe(404);
    const id = await h.activeServer();
    expect((await h.call({ url: `/servers/${id}/os-security-groups`, version: "2.36" })).status).toBe(200);
  });
});

describe("nova's floating IP proxy and actions", () => {
  it("lists the external networks as pools", async () => {
    const pools = await h.call({ url: "/os-floating-ip-pools", version: PROXY });
    expect(pools.json).toEqual({ floating_ip_pools: [{ name: "public" }] });
  });

  it("allocates from the default pool, associates with a server's fixed IP and releases", async () => {
    const created = await h.call({ method: "POST", url: "/os-floating-ips", version: PROXY, body: null });
    expect(created.status).toBe(200);
    const fip = created.json.floating_ip;
    expect(fip).toEqual({
      fixed_ip: null,
      id: expect.any(String),
      instance_id: null,
      ip: expect.any(String),
      pool: "public",
    });
    expect((await h.call({ url: `/os-floating-ips/${fip.id}`, version: PROXY })).json.floating_ip).toEqual(
      fip,
    );

    const id = await h.activeServer();
    expect((await action(id, { addFloatingIp: { address: fip.ip } })).status).toBe(202);
    const server = (await h.call({ url: `/servers/${id}` })).json.server;
    const addresses = server.addresses.private;
    const floating = addresses.find((a: Record<string, unknown>) => a["OS-EXT-IPS:type"] === "floating");
    expect(floating.addr).toBe(fip.ip);
    const fixed = addresses.find(
      (a: Record<string, unknown>) => a["OS-EXT-IPS:type"] === "fixed" && a.version === 4,
    );
    const listed = (await h.call({ url: "/os-floating-ips", version: PROXY })).json.floating_ips;
    expect(listed.find((f: { id: string }) => f.id === fip.id)).toEqual({
      ...fip,
      fixed_ip: fixed.addr,
      instance_id: id,
    });

    const other = await h.activeServer();
    const wrong = await action(other, { removeFloatingIp: { address: fip.ip } });
    expect(wrong.status).toBe(409);
    expect(wrong.json.conflictingRequest.message).toBe(
      `Floating IP ${fip.ip} is not associated with instance ${other}.`,
    );
    expect((await action(id, { removeFloatingIp: { address: fip.ip } })).status).toBe(202);
    expect((await neutron("GET", `/floatingips/${fip.id}`)).floatingip.port_id).toBeNull();
    expect(
      (await h.call({ method: "DELETE", url: `/os-floating-ips/${fip.id}`, version: PROXY })).status,
    ).toBe(202);
    const gone = await h.call({ url: `/os-floating-ips/${fip.id}`, version: PROXY });
    expect(gone.json.itemNotFound.message).toBe(`Floating IP not found for ID ${fip.id}`);
  });

  it("answers nova's errors for a pool, an address or a fixed address that is not there", async () => {
    const pool = await h.call({
      method: "POST",
      url: "/os-floating-ips",
      version: PROXY,
      body: { pool: "nope" },
    });
    expect(pool.status).toBe(404);
    expect(pool.json.itemNotFound.message).toBe("Floating IP pool not found.");
    const id = await h.activeServer();
    const unknown = await action(id, { addFloatingIp: { address: "203.0.113.9" } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.itemNotFound.message).toBe("floating IP not found");
    const fip = (
      await neutron("POST", "/floatingips", { floatingip: { floating_network_id: PUBLIC_NETWORK_ID } })
    ).floatingip;
    const badFixed = await action(id, {
      addFloatingIp: { address: fip.floating_ip_address, fixed_address: "10.9.9.9" },
    });
    expect(badFixed.json.badRequest.message).toBe("Specified fixed address not assigned to instance");
    const bare = await h.activeServer({ version: "2.37", server: { networks: "none" } });
    const notReady = await action(bare, { addFloatingIp: { address: fip.floating_ip_address } });
    expect(notReady.json.badRequest.message).toBe("Instance network is not ready yet");
    const removeUnknown = await action(id, { removeFloatingIp: { address: "203.0.113.9" } });
    expect(removeUnknown.status).toBe(404);
  });

  it("is gone from 2.36, and the actions from 2.44 (an action outside its versions is nova's 404)", async () => {
    expect((await h.call({ url: "/os-floating-ips", version: "2.36" })).status).toBe(404);
    expect((await h.call({ url: "/os-floating-ip-pools", version: "2.36" })).status).toBe(404);
    const id = await h.activeServer();
    const late = await action(id, { addFloatingIp: { address: "203.0.113.9" } }, "2.44");
    expect(late.status).toBe(404);
  });
});

describe("nova's os-networks and os-tenant-networks proxies", () => {
  it("shows the networks the caller sees in nova-network's shape", async () => {
    const list = await h.call({ url: "/os-networks", version: PROXY });
    const mine = list.json.networks.find((n: { id: string }) => n.id === NETWORK_ID);
    expect(mine).toEqual({
      id: NETWORK_ID,
      cidr: null,
      netmask: null,
      gateway: null,
      broadcast: null,
      dns1: null,
      dns2: null,
      cidr_v6: null,
      gateway_v6: null,
      label: "private",
      netmask_v6: null,
    });
    const admin = await h.call({ url: `/os-networks/${NETWORK_ID}`, version: PROXY, as: "admin" });
    expect(admin.json.network).toHaveProperty("vlan", null);
    const tenant = await h.call({ url: `/os-tenant-networks/${NETWORK_ID}`, version: PROXY });
    expect(tenant.json.network).toEqual({ id: NETWORK_ID, cidr: "None", label: "private" });
    const foreign = await neutron("POST", "/networks", { network: { name: "theirs" } }, "other");
    const hidden = await h.call({ url: `/os-networks/${foreign.network.id}`, version: PROXY });
    expect(hidden.status).toBe(404);
    expect(hidden.json.itemNotFound.message).toBe("Network not found");
    expect((await h.call({ url: "/os-tenant-networks", version: "2.36" })).status).toBe(404);
  });
});

describe("Neutron's port quota under a server create", () => {
  it("answers nova's PortLimitExceeded (403) and makes nothing", async () => {
    const project = h.projects.demo;
    const before = (await neutron("GET", "/ports")).ports.length;
    await neutron("PUT", `/quotas/${project}`, { quota: { port: before, force: true } }, "admin");
    try {
      const r = await h.call({
        method: "POST",
        url: "/servers",
        body: {
          server: { name: "over", imageRef: IMAGE_ID, flavorRef: TINY, networks: [{ uuid: NETWORK_ID }] },
        },
      });
      expect(r.status).toBe(403);
      expect(r.json.forbidden.message).toBe("Maximum number of ports exceeded");
      expect((await neutron("GET", "/ports")).ports).toHaveLength(before);
    } finally {
      await neutron("DELETE", `/quotas/${project}`, undefined, "admin");
    }
  });
});
