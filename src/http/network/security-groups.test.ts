import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { ADMIN, ALICE, BOB, PROJECT_A, PROJECT_B } from "../../services/image/testing.js";
import { NeutronService } from "../../services/network/neutron-service.js";
import { openTestDatabase } from "../../store/testing.js";
import { createHttpServer } from "../app.js";
import { registerNetwork } from "./router.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = { alice: ALICE, bob: BOB, admin: ADMIN };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would
type Json = Record<string, any>;

describe("Neutron security groups under /network", () => {
  let app: FastifyInstance;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openTestDatabase();
    close = t.close;
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent", publicUrl: PUBLIC_URL });
    app = createHttpServer(config);
    await registerNetwork(app, {
      neutron: new NeutronService(t.db),
      authenticate: async (token) => TOKENS[token],
      config,
    });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  function call(
    method: InjectOptions["method"],
    url: string,
    token: string | undefined,
    json?: unknown,
    headers: Record<string, string> = {},
  ): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { accept: "application/json", ...headers };
    if (token) h["x-auth-token"] = token;
    if (json !== undefined) h["content-type"] = "application/json";
    return app.inject({
      method,
      url: `/network${url}`,
      headers: h,
      payload: json === undefined ? undefined : JSON.stringify(json),
    });
  }

  async function ok(res: Promise<LightMyRequestResponse>, status: number): Promise<Json> {
    const r = await res;
    expect(r.statusCode, r.body).toBe(status);
    return r.body === "" ? {} : r.json();
  }

  async function fault(res: Promise<LightMyRequestResponse>, status: number, type: string): Promise<string> {
    const r = await res;
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().NeutronError.type).toBe(type);
    expect(r.json().NeutronError.detail).toBe("");
    return r.json().NeutronError.message;
  }

  const network = async (token: string, body: Json = {}) =>
    (await ok(call("POST", "/v2.0/networks", token, { network: { name: "net", ...body } }), 201)).network;
  const subnet = async (token: string, networkId: string, body: Json = {}) =>
    (
      await ok(
        call("POST", "/v2.0/subnets", token, {
          subnet: { network_id: networkId, ip_version: 4, cidr: "10.0.0.0/24", ...body },
        }),
        201,
      )
    ).subnet;
  const port = async (token: string, networkId: string, body: Json = {}) =>
    (await ok(call("POST", "/v2.0/ports", token, { port: { network_id: networkId, ...body } }), 201)).port;

  const group = async (token: string, body: Json = {}) =>
    (
      await ok(
        call("POST", "/v2.0/security-groups", token, { security_group: { name: "web", ...body } }),
        201,
      )
    ).security_group;
  const rule = (token: string, body: Json) =>
    call("POST", "/v2.0/security-group-rules", token, {
      security_group_rule: { direction: "ingress", ...body },
    });
  const groups = async (token: string, query = "") =>
    (await ok(call("GET", `/v2.0/security-groups${query}`, token), 200)).security_groups as Json[];
  const defaultOf = async (token: string) => (await groups(token)).find((g) => g.name === "default")!;

  describe("discovery", () => {
    it("lists the collections, the extensions and the quotas", async () => {
      const { resources } = await ok(call("GET", "/v2.0", "alice"), 200);
      const collections = resources.map((r: Json) => r.collection);
      expect(collections).toContain("security-groups");
      expect(collections).toContain("security-group-rules");
      const { extensions } = await ok(call("GET", "/v2.0/extensions", "alice"), 200);
      const aliases = extensions.map((e: Json) => e.alias);
      for (const alias of ["security-group", "stateful-security-group", "security-groups-normalized-cidr"])
        expect(aliases).toContain(alias);
      const { quota } = await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200);
      expect(quota).toMatchObject({ security_group: 10, security_group_rule: 100 });
    });
  });

  describe("the default group", () => {
    it("is made on a project's first list, with Neutron's four rules, once", async () => {
      const [first] = await groups("alice");
      expect(first).toMatchObject({
        name: "default",
        description: "Default security group",
        project_id: PROJECT_A,
        tenant_id: PROJECT_A,
        stateful: true,
        tags: [],
        revision_number: 1,
      });
      const rules = first!.security_group_rules.map((r: Json) => [
        r.direction,
        r.ethertype,
        r.remote_group_id,
      ]);
      expect(rules.sort()).toEqual(
        [
          ["egress", "IPv4", null],
          ["egress", "IPv6", null],
          ["ingress", "IPv4", first!.id],
          ["ingress", "IPv6", first!.id],
        ].sort(),
      );
      for (const r of first!.security_group_rules)
        expect(r).toMatchObject({
          protocol: null,
          port_range_min: null,
          port_range_max: null,
          remote_ip_prefix: null,
        });
      expect((await groups("alice")).map((g) => g.id)).toEqual([first!.id]);
      // bob's first list makes his own and shows him only that
      const bobs = await groups("bob");
      expect(bobs.map((g) => [g.name, g.project_id])).toEqual([["default", PROJECT_B]]);
      await fault(call("GET", `/v2.0/security-groups/${first!.id}`, "bob"), 404, "SecurityGroupNotFound");
      // the admin sees every project's
      const all = await groups("admin");
      expect(all.map((g) => g.id)).toEqual(expect.arrayContaining([first!.id, bobs[0]!.id]));
    });

    it("is made once when first uses come at once", async () => {
      const results = await Promise.all([
        ...Array.from({ length: 4 }, () => call("GET", "/v2.0/security-groups", "bob")),
        ...Array.from({ length: 2 }, (_, i) =>
          call("POST", "/v2.0/security-groups", "bob", { security_group: { name: `g${i}` } }),
        ),
      ]);
      for (const r of results) expect(r.statusCode, r.body).toBeLessThan(300);
      const defaults = (await groups("admin")).filter(
        (g) => g.name === "default" && g.project_id === PROJECT_B,
      );
      expect(defaults).toHaveLength(1);
      const rules = (await ok(call("GET", "/v2.0/security-group-rules", "admin"), 200)).security_group_rules;
      expect(rules.filter((r: Json) => r.security_group_id === defaults[0]!.id)).toHaveLength(4);
    });

    it("cannot be renamed, nor another group be named default; only an admin deletes it", async () => {
      const def = await defaultOf("alice");
      let message = await fault(
        call("POST", "/v2.0/security-groups", "alice", { security_group: { name: "default" } }),
        409,
        "SecurityGroupDefaultAlreadyExists",
      );
      expect(message).toBe("Default security group already exists.");
      await fault(
        call("POST", "/v2.0/security-groups", "alice", { security_group: { name: "Default" } }),
        409,
        "SecurityGroupDefaultAlreadyExists",
      );
      message = await fault(
        call("PUT", `/v2.0/security-groups/${def.id}`, "alice", { security_group: { name: "other" } }),
        409,
        "SecurityGroupCannotUpdateDefault",
      );
      expect(message).toBe("Updating default security group not allowed.");
      const described = await ok(
        call("PUT", `/v2.0/security-groups/${def.id}`, "alice", { security_group: { description: "mine" } }),
        200,
      );
      expect(described.security_group).toMatchObject({
        name: "default",
        description: "mine",
        revision_number: 2,
      });
      const web = await group("alice");
      await fault(
        call("PUT", `/v2.0/security-groups/${web.id}`, "alice", { security_group: { name: "default" } }),
        409,
        "SecurityGroupDefaultAlreadyExists",
      );
      message = await fault(
        call("DELETE", `/v2.0/security-groups/${def.id}`, "alice"),
        409,
        "SecurityGroupCannotRemoveDefault",
      );
      expect(message).toBe("Insufficient rights for removing default security group.");
      await ok(call("DELETE", `/v2.0/security-groups/${def.id}`, "admin"), 204);
      // the next first use makes a new one
      const again = await defaultOf("alice");
      expect(again.id).not.toBe(def.id);
    });
  });

  describe("groups", () => {
    it("creates, shows, lists with filters, updates, tags and deletes", async () => {
      const web = await group("alice", { description: "web servers" });
      expect(web).toMatchObject({
        name: "web",
        description: "web servers",
        project_id: PROJECT_A,
        stateful: true,
        tags: [],
        revision_number: 1,
      });
      expect(web.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // a new group lets its members out, nothing in
      expect(web.security_group_rules.map((r: Json) => [r.direction, r.ethertype]).sort()).toEqual([
        ["egress", "IPv4"],
        ["egress", "IPv6"],
      ]);
      // the project's default came with it
      expect((await groups("alice")).map((g) => g.name).sort()).toEqual(["default", "web"]);
      expect((await groups("alice", "?name=web")).map((g) => g.id)).toEqual([web.id]);
      expect(
        (await groups("alice", "?fields=id&fields=name&sort_key=name&sort_dir=desc")).map((g) => g.name),
      ).toEqual(["web", "default"]);
      expect(Object.keys((await groups("alice", "?fields=id"))[0]!)).toEqual(["id"]);
      const page = await ok(call("GET", "/v2.0/security-groups?limit=1&sort_key=name", "alice"), 200);
      expect(page.security_groups).toHaveLength(1);
      expect(page.security_groups_links[0].rel).toBe("next");
      await fault(call("GET", "/v2.0/security-groups?bogus=1", "alice"), 400, "HTTPBadRequest");

      const shown = await ok(call("GET", `/v2.0/security-groups/${web.id}`, "alice"), 200);
      expect(shown.security_group).toEqual(web);
      const updated = await ok(
        call("PUT", `/v2.0/security-groups/${web.id}`, "alice", {
          security_group: { name: "www", description: "" },
        }),
        200,
      );
      expect(updated.security_group).toMatchObject({ name: "www", description: "", revision_number: 2 });
      await fault(
        call(
          "PUT",
          `/v2.0/security-groups/${web.id}`,
          "alice",
          { security_group: { name: "x" } },
          { "if-match": "revision_number=1" },
        ),
        412,
        "RevisionNumberConstraintFailed",
      );
      await fault(
        call("PUT", `/v2.0/security-groups/${web.id}`, "alice", {
          security_group: { security_group_rules: [] },
        }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("PUT", `/v2.0/security-groups/${web.id}`, "bob", { security_group: { name: "mine" } }),
        404,
        "SecurityGroupNotFound",
      );

      await ok(call("PUT", `/v2.0/security-groups/${web.id}/tags/blue`, "alice"), 201);
      expect((await ok(call("GET", `/v2.0/security-groups/${web.id}/tags`, "alice"), 200)).tags).toEqual([
        "blue",
      ]);
      expect((await groups("alice", "?tags=blue")).map((g) => g.id)).toEqual([web.id]);
      await fault(
        call("PUT", `/v2.0/security-groups/${web.id}/tags/red`, "bob"),
        404,
        "SecurityGroupNotFound",
      );

      const stateless = await group("alice", { name: "udp", stateful: false });
      expect(stateless.stateful).toBe(false);
      expect((await groups("alice", "?stateful=false")).map((g) => g.id)).toEqual([stateless.id]);

      await fault(call("DELETE", `/v2.0/security-groups/${web.id}`, "bob"), 404, "SecurityGroupNotFound");
      await ok(call("DELETE", `/v2.0/security-groups/${web.id}`, "alice"), 204);
      const message = await fault(
        call("GET", `/v2.0/security-groups/${web.id}`, "alice"),
        404,
        "SecurityGroupNotFound",
      );
      expect(message).toBe(`Security group ${web.id} does not exist`);
      await fault(call("DELETE", `/v2.0/security-groups/${web.id}`, "alice"), 404, "SecurityGroupNotFound");
    });

    it("lets an admin make a group for another project, not a member", async () => {
      const theirs = await group("admin", { project_id: PROJECT_B });
      expect(theirs.project_id).toBe(PROJECT_B);
      expect((await groups("bob")).map((g) => g.id)).toContain(theirs.id);
      await fault(
        call("POST", "/v2.0/security-groups", "alice", {
          security_group: { name: "x", project_id: PROJECT_B },
        }),
        400,
        "InvalidInput",
      );
    });
  });

  describe("rules", () => {
    it("creates, shows, lists, filters and deletes, and the group shows them", async () => {
      const web = await group("alice");
      const created = await ok(
        rule("alice", {
          security_group_id: web.id,
          protocol: "TCP",
          port_range_min: 22,
          port_range_max: 22,
          remote_ip_prefix: "0.0.0.0/0",
          description: "ssh",
        }),
        201,
      );
      const ssh = created.security_group_rule;
      expect(ssh).toMatchObject({
        security_group_id: web.id,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
        remote_ip_prefix: "0.0.0.0/0",
        normalized_cidr: "0.0.0.0/0",
        remote_group_id: null,
        remote_address_group_id: null,
        description: "ssh",
        project_id: PROJECT_A,
        tenant_id: PROJECT_A,
      });
      expect(ssh.tags).toBeUndefined();
      expect(
        (await ok(call("GET", `/v2.0/security-group-rules/${ssh.id}`, "alice"), 200)).security_group_rule,
      ).toEqual(ssh);
      const shown = (await ok(call("GET", `/v2.0/security-groups/${web.id}`, "alice"), 200)).security_group;
      expect(shown.security_group_rules.map((r: Json) => r.id)).toContain(ssh.id);
      expect(shown.revision_number).toBe(2);

      const icmp = (await ok(rule("alice", { security_group_id: web.id, protocol: "icmp" }), 201))
        .security_group_rule;
      expect(icmp).toMatchObject({ protocol: "icmp", port_range_min: null, remote_ip_prefix: null });
      const byNumber = (
        await ok(
          rule("alice", { security_group_id: web.id, protocol: 17, port_range_min: 53, port_range_max: 53 }),
          201,
        )
      ).security_group_rule;
      expect(byNumber.protocol).toBe("17");
      const v6 = (
        await ok(
          rule("alice", {
            security_group_id: web.id,
            ethertype: "ipv6",
            protocol: "ipv6-icmp",
            remote_ip_prefix: "2001:DB8::1/64",
          }),
          201,
        )
      ).security_group_rule;
      expect(v6).toMatchObject({
        ethertype: "IPv6",
        remote_ip_prefix: "2001:db8::1/64",
        normalized_cidr: "2001:db8::/64",
      });
      const host = (
        await ok(
          rule("alice", {
            security_group_id: web.id,
            protocol: "udp",
            port_range_min: 1,
            port_range_max: 65535,
            remote_ip_prefix: "10.1.2.3",
          }),
          201,
        )
      ).security_group_rule;
      expect(host.remote_ip_prefix).toBe("10.1.2.3/32");
      const fromDefault = (
        await ok(
          rule("alice", { security_group_id: web.id, remote_group_id: (await defaultOf("alice")).id }),
          201,
        )
      ).security_group_rule;
      expect(fromDefault.remote_ip_prefix).toBeNull();

      const list = async (query: string) =>
        (await ok(call("GET", `/v2.0/security-group-rules${query}`, "alice"), 200)).security_group_rules.map(
          (r: Json) => r.id,
        );
      expect(await list(`?security_group_id=${web.id}&protocol=tcp`)).toEqual([ssh.id]);
      expect(await list(`?security_group_id=${web.id}&port_range_min=53`)).toEqual([byNumber.id]);
      expect((await list(`?security_group_id=${web.id}&direction=egress`)).length).toBe(2);
      expect(await list("?remote_ip_prefix=10.1.2.3/32")).toEqual([host.id]);
      expect(await ok(call("GET", "/v2.0/security-group-rules", "bob"), 200)).not.toContainEqual(
        expect.objectContaining({ id: ssh.id }),
      );
      expect(await list("")).toContain(ssh.id);

      await fault(
        call("GET", `/v2.0/security-group-rules/${ssh.id}`, "bob"),
        404,
        "SecurityGroupRuleNotFound",
      );
      await fault(
        call("DELETE", `/v2.0/security-group-rules/${ssh.id}`, "bob"),
        404,
        "SecurityGroupRuleNotFound",
      );
      await ok(call("DELETE", `/v2.0/security-group-rules/${ssh.id}`, "alice"), 204);
      const message = await fault(
        call("GET", `/v2.0/security-group-rules/${ssh.id}`, "alice"),
        404,
        "SecurityGroupRuleNotFound",
      );
      expect(message).toBe(`Security group rule ${ssh.id} does not exist`);
      await fault(
        call("DELETE", `/v2.0/security-group-rules/${ssh.id}`, "alice"),
        404,
        "SecurityGroupRuleNotFound",
      );
      // deleting the group takes its rules
      await ok(call("DELETE", `/v2.0/security-groups/${web.id}`, "alice"), 204);
      await fault(
        call("GET", `/v2.0/security-group-rules/${icmp.id}`, "alice"),
        404,
        "SecurityGroupRuleNotFound",
      );
    });

    it("refuses a rule twice, with the existing rule's id", async () => {
      const web = await group("alice");
      const first = (
        await ok(
          rule("alice", {
            security_group_id: web.id,
            protocol: "tcp",
            port_range_min: 80,
            port_range_max: 80,
          }),
          201,
        )
      ).security_group_rule;
      for (const again of [
        { protocol: "tcp", port_range_min: 80, port_range_max: 80 },
        { protocol: "6", port_range_min: 80, port_range_max: 80, remote_ip_prefix: "0.0.0.0/0" },
      ]) {
        const message = await fault(
          rule("alice", { security_group_id: web.id, ...again }),
          409,
          "SecurityGroupRuleExists",
        );
        expect(message).toBe(`Security group rule already exists. Rule id is ${first.id}.`);
      }
      // the group's own egress rule, too
      await fault(
        rule("alice", { security_group_id: web.id, direction: "egress", ethertype: "IPv6" }),
        409,
        "SecurityGroupRuleExists",
      );
    });

    it("checks each attribute as Neutron does", async () => {
      const web = await group("alice");
      const sg = { security_group_id: web.id };
      const cases: Array<[Json, string, string?]> = [
        [
          { port_range_min: 22, port_range_max: 22 },
          "SecurityGroupProtocolRequiredWithPorts",
          "Must also specify protocol if port range is given.",
        ],
        [
          { protocol: "tcp", port_range_min: 30, port_range_max: 20 },
          "SecurityGroupInvalidPortRange",
          "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        ],
        [{ protocol: "tcp", port_range_min: 22 }, "SecurityGroupInvalidPortRange"],
        [
          { protocol: "tcp", port_range_min: 0, port_range_max: 10 },
          "SecurityGroupInvalidPortValue",
          "Invalid value for port 0",
        ],
        [
          { protocol: "tcp", port_range_min: 70000, port_range_max: 70000 },
          "SecurityGroupInvalidPortValue",
          "Invalid value for port 70000",
        ],
        [{ protocol: "tcp", port_range_min: "x", port_range_max: 1 }, "SecurityGroupInvalidPortValue"],
        [
          { protocol: "icmp", port_range_min: 256 },
          "SecurityGroupInvalidIcmpValue",
          "Invalid value for ICMP type (port_range_min) 256. It must be 0 to 255.",
        ],
        [{ protocol: "icmp", port_range_min: 8, port_range_max: 300 }, "SecurityGroupInvalidIcmpValue"],
        [{ protocol: "icmp", port_range_max: 0 }, "SecurityGroupMissingIcmpType"],
        [
          { protocol: "gre", port_range_min: 1, port_range_max: 2 },
          "SecurityGroupInvalidProtocolForPortRange",
          "Invalid protocol 47 for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.",
        ],
        [{ protocol: "bogus" }, "SecurityGroupRuleInvalidProtocol"],
        [{ protocol: 256 }, "SecurityGroupRuleInvalidProtocol"],
        [{ protocol: -1 }, "SecurityGroupRuleInvalidProtocol"],
        [
          { remote_ip_prefix: "10.0.0.0/8", remote_group_id: web.id },
          "SecurityGroupRemoteGroupAndRemoteIpPrefix",
          "Only remote_ip_prefix or remote_group_id may be provided.",
        ],
        [
          { ethertype: "IPv6", remote_ip_prefix: "10.0.0.0/8" },
          "SecurityGroupRuleParameterConflict",
          "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8",
        ],
        [{ remote_ip_prefix: "::/0" }, "SecurityGroupRuleParameterConflict"],
        [
          { protocol: "ipv6-icmp" },
          "SecurityGroupEthertypeConflictWithProtocol",
          "Invalid ethertype IPv4 for protocol ipv6-icmp.",
        ],
        [{ remote_ip_prefix: "10.0.0.0/33" }, "InvalidCIDR", "Invalid CIDR 10.0.0.0/33 given as IP prefix."],
        [{ remote_ip_prefix: "nonsense" }, "InvalidCIDR"],
        [{ ethertype: "IPv5" }, "HTTPBadRequest"],
        [{ direction: "sideways" }, "HTTPBadRequest"],
        [{ remote_group_id: "not-a-uuid" }, "HTTPBadRequest"],
        [{ bogus: 1 }, "HTTPBadRequest"],
      ];
      for (const [body, type, message] of cases) {
        const text = await fault(rule("alice", { ...sg, ...body }), 400, type);
        if (message) expect(text).toBe(message);
      }
      await fault(
        call("POST", "/v2.0/security-group-rules", "alice", {
          security_group_rule: { security_group_id: web.id },
        }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("POST", "/v2.0/security-group-rules", "alice", {
          security_group_rule: { direction: "ingress" },
        }),
        400,
        "HTTPBadRequest",
      );
      const missing = "00000000-0000-4000-8000-000000000000";
      await fault(rule("alice", { security_group_id: missing }), 404, "SecurityGroupNotFound");
      await fault(rule("alice", { ...sg, remote_group_id: missing }), 404, "SecurityGroupNotFound");
      await fault(rule("alice", { ...sg, remote_address_group_id: missing }), 404, "AddressGroupNotFound");
    });

    it("keeps to the owner: another project's group is neither a rule's group nor its remote", async () => {
      const mine = await group("alice");
      const bobs = await group("bob");
      await fault(rule("bob", { security_group_id: mine.id }), 404, "SecurityGroupNotFound");
      await fault(
        rule("alice", { security_group_id: mine.id, remote_group_id: bobs.id }),
        404,
        "SecurityGroupNotFound",
      );
      // the admin sees both
      const cross = (await ok(rule("admin", { security_group_id: mine.id, remote_group_id: bobs.id }), 201))
        .security_group_rule;
      expect(cross.remote_group_id).toBe(bobs.id);
      // a rule that names a group goes with that group
      await ok(call("DELETE", `/v2.0/security-groups/${bobs.id}`, "bob"), 204);
      await fault(
        call("GET", `/v2.0/security-group-rules/${cross.id}`, "admin"),
        404,
        "SecurityGroupRuleNotFound",
      );
    });

    it("has no update and no tags", async () => {
      const web = await group("alice");
      const [egress] = web.security_group_rules;
      await fault(
        call("PUT", `/v2.0/security-group-rules/${egress.id}`, "alice", {
          security_group_rule: { description: "x" },
        }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("PUT", `/v2.0/security-group-rules/${egress.id}`, "alice", { security_group_rule: {} }),
        400,
        "SecurityGroupRuleUpdateNotSupported",
      );
      await fault(call("GET", `/v2.0/security-group-rules/${egress.id}/tags`, "alice"), 404, "HTTPNotFound");
    });
  });

  describe("ports", () => {
    it("are in their project's default group unless they ask for others", async () => {
      const net = await network("alice");
      await subnet("alice", net.id);
      const p = await port("alice", net.id);
      const def = await defaultOf("alice");
      expect(p.security_groups).toEqual([def.id]);
      const web = await group("alice");
      const inWeb = await port("alice", net.id, { security_groups: [web.id, web.id] });
      expect(inWeb.security_groups).toEqual([web.id]);
      const none = await port("alice", net.id, { security_groups: [] });
      expect(none.security_groups).toEqual([]);
      const dhcp = await port("alice", net.id, { device_owner: "network:dhcp" });
      expect(dhcp.security_groups).toEqual([]);
      const insecure = await port("alice", net.id, { port_security_enabled: false });
      expect(insecure.security_groups).toEqual([]);

      const filtered = (await ok(call("GET", `/v2.0/ports?security_groups=${web.id}`, "alice"), 200)).ports;
      expect(filtered.map((x: Json) => x.id)).toEqual([inWeb.id]);

      const message = await fault(
        call("POST", "/v2.0/ports", "alice", {
          port: { network_id: net.id, port_security_enabled: false, security_groups: [web.id] },
        }),
        400,
        "PortSecurityAndIPRequiredForSecurityGroups",
      );
      expect(message).toBe(
        "Port security must be enabled and port must have an IP address in order to use security groups.",
      );
      const bobs = await group("bob");
      await fault(
        call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id, security_groups: [bobs.id] } }),
        404,
        "SecurityGroupNotFound",
      );
      await fault(
        call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id, security_groups: "x" } }),
        400,
        "HTTPBadRequest",
      );

      // a group in use cannot go
      const inUse = await fault(
        call("DELETE", `/v2.0/security-groups/${web.id}`, "alice"),
        409,
        "SecurityGroupInUse",
      );
      expect(inUse).toBe(`Security Group ${web.id} in use.`);

      // PUT replaces; port security goes off only without groups
      const replaced = await ok(
        call("PUT", `/v2.0/ports/${inWeb.id}`, "alice", { port: { security_groups: [def.id, web.id] } }),
        200,
      );
      expect(replaced.port.security_groups.sort()).toEqual([def.id, web.id].sort());
      await fault(
        call("PUT", `/v2.0/ports/${inWeb.id}`, "alice", { port: { port_security_enabled: false } }),
        409,
        "PortSecurityPortHasSecurityGroup",
      );
      await fault(
        call("PUT", `/v2.0/ports/${inWeb.id}`, "alice", {
          port: { port_security_enabled: false, security_groups: [web.id] },
        }),
        400,
        "PortSecurityAndIPRequiredForSecurityGroups",
      );
      const cleared = await ok(
        call("PUT", `/v2.0/ports/${inWeb.id}`, "alice", {
          port: { port_security_enabled: false, security_groups: [] },
        }),
        200,
      );
      expect(cleared.port).toMatchObject({ port_security_enabled: false, security_groups: [] });
      await ok(call("DELETE", `/v2.0/security-groups/${web.id}`, "alice"), 204);

      // a port's delete frees its group
      const other = await group("alice", { name: "other" });
      const q = await port("alice", net.id, { security_groups: [other.id] });
      await ok(call("DELETE", `/v2.0/ports/${q.id}`, "alice"), 204);
      await ok(call("DELETE", `/v2.0/security-groups/${other.id}`, "alice"), 204);
    });

    it("of a project that never listed groups get its default group made", async () => {
      const net = await network("bob");
      await subnet("bob", net.id);
      const [a, b] = await Promise.all([port("bob", net.id), port("bob", net.id)]);
      expect(a.security_groups).toHaveLength(1);
      expect(b.security_groups).toEqual(a.security_groups);
      expect((await groups("bob")).map((g) => g.id)).toEqual(a.security_groups);
    });
  });
});
