import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { ADMIN, ALICE, BOB, PROJECT_A } from "../../services/image/testing.js";
import { NeutronService } from "../../services/network/neutron-service.js";
import { openTestDatabase } from "../../store/testing.js";
import { createHttpServer } from "../app.js";
import { registerNetwork } from "./router.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = { alice: ALICE, bob: BOB, admin: ADMIN };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would
type Json = Record<string, any>;

describe("Neutron v2.0 under /network", () => {
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

  describe("discovery", () => {
    it("lists v2.0 at / without a token, and the resources and extensions behind one", async () => {
      const versions = await ok(call("GET", "/", undefined), 200);
      expect(versions.versions).toEqual([
        { id: "v2.0", status: "CURRENT", links: [{ href: `${PUBLIC_URL}/network/v2.0/`, rel: "self" }] },
      ]);
      const r = await call("GET", "/v2.0/networks", undefined);
      expect(r.statusCode).toBe(401);
      const resources = await ok(call("GET", "/v2.0", "alice"), 200);
      expect(resources.resources.map((x: Json) => x.collection)).toEqual([
        "networks",
        "subnets",
        "ports",
        "routers",
        "floatingips",
        "security-groups",
        "security-group-rules",
      ]);
      const { extensions } = await ok(call("GET", "/v2.0/extensions", "alice"), 200);
      const aliases = extensions.map((e: Json) => e.alias);
      for (const alias of [
        "external-net",
        "net-mtu",
        "binding",
        "port-security",
        "standard-attr-tag",
        "pagination",
      ])
        expect(aliases).toContain(alias);
      expect(aliases).not.toContain("l3_agent_scheduler");
      expect((await ok(call("GET", "/v2.0/extensions/net-mtu", "alice"), 200)).extension.alias).toBe(
        "net-mtu",
      );
      await fault(call("GET", "/v2.0/extensions/l3_agent_scheduler", "alice"), 404, "HTTPNotFound");
      const zones = await ok(call("GET", "/v2.0/availability_zones", "alice"), 200);
      expect(zones.availability_zones).toEqual([{ name: "nova", resource: "network", state: "available" }]);
    });

    it("answers unknown and unroutable URLs in Neutron's fault format", async () => {
      await fault(call("GET", "/v2.0/metering-labels", "alice"), 404, "HTTPNotFound");
      await fault(call("GET", "/v2.0/networks/%zz", "alice"), 400, "HTTPBadRequest");
      await fault(call("GET", `/v2.0/networks/${"x".repeat(600)}`, "alice"), 404, "HTTPNotFound");
    });

    it("reads quotas with Neutron's defaults, for the caller's project or any for an admin", async () => {
      const defaults = {
        quota: {
          network: 100,
          subnet: 100,
          port: 500,
          router: 10,
          floatingip: 50,
          security_group: 10,
          security_group_rule: 100,
        },
      };
      expect(await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200)).toEqual(defaults);
      expect(await ok(call("GET", `/v2.0/quotas/${PROJECT_A}/default`, "admin"), 200)).toEqual(defaults);
      await fault(call("GET", `/v2.0/quotas/${PROJECT_A}`, "bob"), 403, "PolicyNotAuthorized");
    });
  });

  describe("networks", () => {
    it("creates, shows, lists, updates and deletes with Neutron's defaults", async () => {
      const net = await network("alice", { description: "d" });
      expect(net).toMatchObject({
        name: "net",
        description: "d",
        project_id: PROJECT_A,
        tenant_id: PROJECT_A,
        admin_state_up: true,
        shared: false,
        "router:external": false,
        mtu: 1500,
        status: "ACTIVE",
        subnets: [],
        tags: [],
        revision_number: 1,
        availability_zone_hints: [],
        availability_zones: ["nova"],
        port_security_enabled: true,
      });
      expect(net.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(net).not.toHaveProperty("provider:network_type");
      expect((await ok(call("GET", `/v2.0/networks/${net.id}`, "alice"), 200)).network).toEqual(net);
      const updated = (
        await ok(call("PUT", `/v2.0/networks/${net.id}`, "alice", { network: { name: "renamed" } }), 200)
      ).network;
      expect(updated).toMatchObject({ name: "renamed", revision_number: 2 });
      await ok(call("DELETE", `/v2.0/networks/${net.id}`, "alice"), 204);
      expect(await fault(call("GET", `/v2.0/networks/${net.id}`, "alice"), 404, "NetworkNotFound")).toBe(
        `Network ${net.id} could not be found.`,
      );
    });

    it("refuses unknown and read-only attributes, bad values and a missing body with 400", async () => {
      await fault(call("POST", "/v2.0/networks", "alice", { network: { bogus: 1 } }), 400, "HTTPBadRequest");
      await fault(
        call("POST", "/v2.0/networks", "alice", { network: { status: "DOWN" } }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("POST", "/v2.0/networks", "alice", { network: { admin_state_up: "maybe" } }),
        400,
        "HTTPBadRequest",
      );
      await fault(call("POST", "/v2.0/networks", "alice", { network: { mtu: 10 } }), 400, "HTTPBadRequest");
      // port-security's network default is always true here: not settable
      await fault(
        call("POST", "/v2.0/networks", "alice", { network: { port_security_enabled: false } }),
        400,
        "HTTPBadRequest",
      );
      await fault(call("POST", "/v2.0/networks", "alice", { nothing: {} }), 400, "HTTPBadRequest");
      await fault(
        call("POST", "/v2.0/networks", "alice", { network: { availability_zone_hints: ["mars"] } }),
        404,
        "AvailabilityZoneNotFound",
      );
      const net = await network("alice");
      await fault(
        call("PUT", `/v2.0/networks/${net.id}`, "alice", { network: { availability_zone_hints: [] } }),
        400,
        "HTTPBadRequest",
      );
      await fault(call("GET", "/v2.0/networks?bogus=1", "alice"), 400, "HTTPBadRequest");
      await fault(call("GET", "/v2.0/networks?sort_key=bogus", "alice"), 400, "HTTPBadRequest");
    });

    it("lets only admins create shared, external or provider networks", async () => {
      for (const body of [{ shared: true }, { "router:external": true }, { "provider:network_type": "flat" }])
        await fault(call("POST", "/v2.0/networks", "alice", { network: body }), 403, "PolicyNotAuthorized");
      const net = await network("admin", {
        shared: true,
        "provider:network_type": "vlan",
        "provider:segmentation_id": 7,
      });
      expect(net).toMatchObject({
        shared: true,
        "provider:network_type": "vlan",
        "provider:segmentation_id": 7,
      });
      const own = await network("alice");
      await fault(
        call("PUT", `/v2.0/networks/${own.id}`, "alice", { network: { shared: true } }),
        403,
        "PolicyNotAuthorized",
      );
    });

    it("shows another project's network only when shared or external", async () => {
      const privateNet = await network("alice");
      const shared = await network("admin", { shared: true, name: "public" });
      const external = await network("admin", { "router:external": true, name: "ext" });
      const seen = (await ok(call("GET", "/v2.0/networks", "bob"), 200)).networks.map((n: Json) => n.id);
      expect(seen.sort()).toEqual([shared.id, external.id].sort());
      await fault(call("GET", `/v2.0/networks/${privateNet.id}`, "bob"), 404, "NetworkNotFound");
      await fault(call("DELETE", `/v2.0/networks/${privateNet.id}`, "bob"), 404, "NetworkNotFound");
      await fault(
        call("PUT", `/v2.0/networks/${shared.id}`, "bob", { network: { name: "x" } }),
        403,
        "PolicyNotAuthorized",
      );
      await fault(
        call("POST", "/v2.0/ports", "bob", { port: { network_id: privateNet.id } }),
        404,
        "NetworkNotFound",
      );
      const all = (await ok(call("GET", "/v2.0/networks", "admin"), 200)).networks;
      expect(all).toHaveLength(3);
    });

    it("filters, picks fields, sorts and pages with links", async () => {
      for (const name of ["c", "a", "b", "d"]) await network("alice", { name, admin_state_up: name !== "d" });
      const byName = await ok(
        call("GET", "/v2.0/networks?name=a&name=b&fields=name&fields=id", "alice"),
        200,
      );
      expect(byName.networks.map((n: Json) => n.name).sort()).toEqual(["a", "b"]);
      expect(Object.keys(byName.networks[0]).sort()).toEqual(["id", "name"]);
      const down = await ok(call("GET", "/v2.0/networks?admin_state_up=false", "alice"), 200);
      expect(down.networks.map((n: Json) => n.name)).toEqual(["d"]);
      const sorted = await ok(call("GET", "/v2.0/networks?sort_key=name&sort_dir=desc", "alice"), 200);
      expect(sorted.networks.map((n: Json) => n.name)).toEqual(["d", "c", "b", "a"]);
      const first = await ok(call("GET", "/v2.0/networks?sort_key=name&sort_dir=asc&limit=2", "alice"), 200);
      expect(first.networks.map((n: Json) => n.name)).toEqual(["a", "b"]);
      const next = first.networks_links.find((l: Json) => l.rel === "next");
      expect(next.href.startsWith(`${PUBLIC_URL}/network/v2.0/networks?`)).toBe(true);
      const second = await ok(call("GET", next.href.slice(`${PUBLIC_URL}/network`.length), "alice"), 200);
      expect(second.networks.map((n: Json) => n.name)).toEqual(["c", "d"]);
      expect(second.networks_links.map((l: Json) => l.rel)).toEqual(["previous"]);
      const previous = second.networks_links[0].href.slice(`${PUBLIC_URL}/network`.length);
      const back = await ok(call("GET", previous, "alice"), 200);
      expect(back.networks.map((n: Json) => n.name)).toEqual(["a", "b"]);
    });

    it("tags, filters by tags and counts tag changes as revisions", async () => {
      const a = await network("alice", { name: "a" });
      const b = await network("alice", { name: "b" });
      expect(
        (await ok(call("PUT", `/v2.0/networks/${a.id}/tags`, "alice", { tags: ["red", "blue"] }), 200)).tags,
      ).toEqual(["blue", "red"]);
      await ok(call("PUT", `/v2.0/networks/${b.id}/tags/red`, "alice"), 201);
      await ok(call("GET", `/v2.0/networks/${b.id}/tags/red`, "alice"), 204);
      await fault(call("GET", `/v2.0/networks/${b.id}/tags/blue`, "alice"), 404, "TagNotFound");
      const names = async (q: string) =>
        (await ok(call("GET", `/v2.0/networks?${q}`, "alice"), 200)).networks.map((n: Json) => n.name).sort();
      expect(await names("tags=red,blue")).toEqual(["a"]);
      expect(await names("tags-any=red")).toEqual(["a", "b"]);
      expect(await names("not-tags=red,blue")).toEqual(["b"]);
      expect(await names("not-tags-any=blue")).toEqual(["b"]);
      expect((await ok(call("GET", `/v2.0/networks/${a.id}`, "alice"), 200)).network.revision_number).toBe(2);
      await ok(call("DELETE", `/v2.0/networks/${a.id}/tags/red`, "alice"), 204);
      await ok(call("DELETE", `/v2.0/networks/${b.id}/tags`, "alice"), 204);
      expect((await ok(call("GET", `/v2.0/networks/${a.id}/tags`, "alice"), 200)).tags).toEqual(["blue"]);
      expect((await ok(call("GET", `/v2.0/networks/${b.id}/tags`, "alice"), 200)).tags).toEqual([]);
      await fault(call("PUT", `/v2.0/networks/${a.id}/tags/x`, "bob"), 404, "NetworkNotFound");
      await fault(call("PUT", `/v2.0/networks/${a.id}/tags/a,b`, "alice"), 400, "InvalidInput");
    });

    it("takes concurrent tag changes of one network in turn: none lost, never a 500", async () => {
      const net = await network("alice", { name: "tag-race" });
      const sets = Array.from({ length: 12 }, (_, i) => ["shared", `t${i}`]);
      const answers = await Promise.all([
        ...sets.map((tags) => call("PUT", `/v2.0/networks/${net.id}/tags`, "alice", { tags })),
        ...sets.map((_, i) => call("PUT", `/v2.0/networks/${net.id}/tags/extra${i}`, "alice")),
      ]);
      expect(answers.map((a) => a.statusCode).filter((s) => s >= 300)).toEqual([]);
      const final = (await ok(call("GET", `/v2.0/networks/${net.id}/tags`, "alice"), 200)).tags;
      expect(final).toContain("shared");
      expect((await ok(call("GET", `/v2.0/networks/${net.id}`, "alice"), 200)).network.revision_number).toBe(
        1 + answers.length,
      );
    });

    it("honours If-Match: revision_number with 412 on a mismatch", async () => {
      const net = await network("alice");
      await fault(
        call(
          "PUT",
          `/v2.0/networks/${net.id}`,
          "alice",
          { network: { name: "x" } },
          { "if-match": "revision_number=5" },
        ),
        412,
        "RevisionNumberConstraintFailed",
      );
      const r = await ok(
        call(
          "PUT",
          `/v2.0/networks/${net.id}`,
          "alice",
          { network: { name: "x" } },
          { "if-match": "revision_number=1" },
        ),
        200,
      );
      expect(r.network.revision_number).toBe(2);
      await fault(
        call("DELETE", `/v2.0/networks/${net.id}`, "alice", undefined, { "if-match": "revision_number=1" }),
        412,
        "RevisionNumberConstraintFailed",
      );
      await fault(
        call("DELETE", `/v2.0/networks/${net.id}`, "alice", undefined, { "if-match": "revision_number=x" }),
        400,
        "HTTPBadRequest",
      );
      await ok(
        call("DELETE", `/v2.0/networks/${net.id}`, "alice", undefined, { "if-match": "revision_number=2" }),
        204,
      );
    });

    it("creates in bulk, and refuses to delete a network with ports (NetworkInUse)", async () => {
      const bulk = await ok(
        call("POST", "/v2.0/networks", "alice", { networks: [{ name: "x" }, { name: "y" }] }),
        201,
      );
      expect(bulk.networks.map((n: Json) => n.name)).toEqual(["x", "y"]);
      const failed = await call("POST", "/v2.0/networks", "alice", {
        networks: [{ name: "z" }, { shared: true }],
      });
      expect(failed.statusCode).toBe(403);
      const names = (await ok(call("GET", "/v2.0/networks", "alice"), 200)).networks.map((n: Json) => n.name);
      expect(names.sort()).toEqual(["x", "y"]);
      const net = bulk.networks[0];
      await subnet("alice", net.id);
      const p = await port("alice", net.id);
      await fault(call("DELETE", `/v2.0/networks/${net.id}`, "alice"), 409, "NetworkInUse");
      await ok(call("DELETE", `/v2.0/ports/${p.id}`, "alice"), 204);
      await ok(call("DELETE", `/v2.0/networks/${net.id}`, "alice"), 204);
      expect((await ok(call("GET", "/v2.0/subnets", "alice"), 200)).subnets).toEqual([]);
    });
  });

  describe("subnets", () => {
    it("refuses keys that name no attribute, inherited names included, with 400", async () => {
      const net = await network("alice");
      const s = await subnet("alice", net.id);
      for (const key of ["__proto__", "constructor", "toString"]) {
        const route = JSON.parse(`{"destination": "10.10.0.0/16", "nexthop": "10.0.0.5", "${key}": true}`);
        await fault(
          call("PUT", `/v2.0/subnets/${s.id}`, "alice", { subnet: { host_routes: [route] } }),
          400,
          "HTTPBadRequest",
        );
        const body = JSON.parse(`{"subnet": {"name": "x", "${key}": 1}}`);
        await fault(call("PUT", `/v2.0/subnets/${s.id}`, "alice", body), 400, "HTTPBadRequest");
      }
    });

    it("defaults the gateway to the first host and the pools to the rest", async () => {
      const net = await network("alice");
      const s = await subnet("alice", net.id, {
        dns_nameservers: ["8.8.8.8"],
        host_routes: [{ destination: "192.168.0.0/24", nexthop: "10.0.0.254" }],
      });
      expect(s).toMatchObject({
        cidr: "10.0.0.0/24",
        gateway_ip: "10.0.0.1",
        allocation_pools: [{ start: "10.0.0.2", end: "10.0.0.254" }],
        enable_dhcp: true,
        ip_version: 4,
        ipv6_ra_mode: null,
        subnetpool_id: null,
        dns_nameservers: ["8.8.8.8"],
        host_routes: [{ destination: "192.168.0.0/24", nexthop: "10.0.0.254" }],
        project_id: PROJECT_A,
        revision_number: 1,
      });
      expect((await ok(call("GET", `/v2.0/networks/${net.id}`, "alice"), 200)).network.subnets).toEqual([
        s.id,
      ]);
      const v6 = await subnet("alice", net.id, {
        ip_version: 6,
        cidr: "2001:db8::/64",
        ipv6_address_mode: "slaac",
        ipv6_ra_mode: "slaac",
      });
      expect(v6).toMatchObject({
        gateway_ip: "2001:db8::1",
        allocation_pools: [{ start: "2001:db8::2", end: "2001:db8::ffff:ffff:ffff:ffff" }],
      });
      const noGateway = await subnet("alice", net.id, { cidr: "10.1.0.0/29", gateway_ip: null });
      expect(noGateway.allocation_pools).toEqual([{ start: "10.1.0.1", end: "10.1.0.6" }]);
      const updated = (
        await ok(
          call("PUT", `/v2.0/subnets/${s.id}`, "alice", { subnet: { name: "s", enable_dhcp: false } }),
          200,
        )
      ).subnet;
      expect(updated).toMatchObject({ name: "s", enable_dhcp: false, revision_number: 2 });
      expect(
        (await ok(call("GET", "/v2.0/subnets?ip_version=6", "alice"), 200)).subnets.map((x: Json) => x.id),
      ).toEqual([v6.id]);
    });

    it("refuses overlaps, bad cidrs, gateways, pools and modes with 400", async () => {
      const net = await network("alice");
      await subnet("alice", net.id);
      const post = (body: Json) =>
        call("POST", "/v2.0/subnets", "alice", { subnet: { network_id: net.id, ip_version: 4, ...body } });
      expect(await fault(post({ cidr: "10.0.0.128/25" }), 400, "InvalidInput")).toContain(
        "overlaps with another subnet",
      );
      await fault(post({ cidr: "10.0.0/24" }), 400, "InvalidInput");
      await fault(post({ cidr: "2001:db8::/64" }), 400, "InvalidInput");
      await fault(post({ cidr: "10.2.0.0/24", gateway_ip: "10.3.0.1" }), 400, "InvalidInput");
      await fault(
        post({ cidr: "10.2.0.0/24", allocation_pools: [{ start: "10.2.0.1", end: "10.2.0.9" }] }),
        400,
        "InvalidInput",
      );
      await fault(
        post({ cidr: "10.2.0.0/24", allocation_pools: [{ start: "10.2.1.1", end: "10.2.1.9" }] }),
        400,
        "InvalidInput",
      );
      await fault(post({ cidr: "10.2.0.0/24", ipv6_ra_mode: "slaac" }), 400, "InvalidInput");
      await fault(post({ cidr: "10.2.0.0/24", ip_version: 5 }), 400, "HTTPBadRequest");
      await fault(post({ cidr: "10.2.0.0/24", dns_nameservers: ["nope"] }), 400, "InvalidInput");
      await fault(
        call("POST", "/v2.0/subnets", "alice", { subnet: { ip_version: 4, cidr: "10.9.0.0/24" } }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("POST", "/v2.0/subnets", "alice", {
          subnet: { network_id: "00000000-0000-4000-8000-000000000000", ip_version: 4, cidr: "10.9.0.0/24" },
        }),
        404,
        "NetworkNotFound",
      );
    });

    it("shows subnets of shared networks to other projects, but only owners add them", async () => {
      const shared = await network("admin", { shared: true });
      const s = await subnet("admin", shared.id);
      const privateNet = await network("alice");
      const hidden = await subnet("alice", privateNet.id, { cidr: "10.5.0.0/24" });
      const seen = (await ok(call("GET", "/v2.0/subnets", "bob"), 200)).subnets.map((x: Json) => x.id);
      expect(seen).toEqual([s.id]);
      await fault(call("GET", `/v2.0/subnets/${hidden.id}`, "bob"), 404, "SubnetNotFound");
      await fault(
        call("POST", "/v2.0/subnets", "bob", {
          subnet: { network_id: shared.id, ip_version: 4, cidr: "10.7.0.0/24" },
        }),
        403,
        "PolicyNotAuthorized",
      );
    });

    it("refuses to delete a subnet with allocations (SubnetInUse)", async () => {
      const net = await network("alice");
      const s = await subnet("alice", net.id);
      const p = await port("alice", net.id);
      await fault(call("DELETE", `/v2.0/subnets/${s.id}`, "alice"), 409, "SubnetInUse");
      await ok(call("DELETE", `/v2.0/ports/${p.id}`, "alice"), 204);
      await ok(call("DELETE", `/v2.0/subnets/${s.id}`, "alice"), 204);
    });
  });

  describe("ports", () => {
    it("creates a port with a fa:16:3e MAC and an address from IPAM, DOWN", async () => {
      const net = await network("alice");
      const s = await subnet("alice", net.id);
      const p = await port("alice", net.id, { device_id: "vm-1", device_owner: "compute:nova" });
      expect(p.mac_address).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
      expect(p).toMatchObject({
        status: "DOWN",
        admin_state_up: true,
        port_security_enabled: true,
        fixed_ips: [{ subnet_id: s.id, ip_address: "10.0.0.2" }],
        device_id: "vm-1",
        device_owner: "compute:nova",
        allowed_address_pairs: [],
        "binding:vnic_type": "normal",
        project_id: PROJECT_A,
      });
      expect(p).not.toHaveProperty("binding:host_id");
      const seenByAdmin = (await ok(call("GET", `/v2.0/ports/${p.id}`, "admin"), 200)).port;
      expect(seenByAdmin).toMatchObject({
        "binding:host_id": "",
        "binding:vif_type": "unbound",
        "binding:vif_details": {},
        "binding:profile": {},
      });
      expect(p).not.toHaveProperty("binding:vif_details");
      expect(p).not.toHaveProperty("binding:profile");
      const bound = (
        await ok(call("PUT", `/v2.0/ports/${p.id}`, "admin", { port: { "binding:host_id": "host-1" } }), 200)
      ).port;
      expect(bound).toMatchObject({
        "binding:host_id": "host-1",
        "binding:vif_type": "ovs",
        "binding:vif_details": { port_filter: true, connectivity: "l2" },
        revision_number: 2,
      });
      await fault(
        call("PUT", `/v2.0/ports/${p.id}`, "alice", { port: { "binding:host_id": "h" } }),
        403,
        "PolicyNotAuthorized",
      );
      const byIp = await ok(call("GET", "/v2.0/ports?fixed_ips=ip_address%3D10.0.0.2", "alice"), 200);
      expect(byIp.ports.map((x: Json) => x.id)).toEqual([p.id]);
      expect((await ok(call("GET", "/v2.0/ports?device_id=vm-2", "alice"), 200)).ports).toEqual([]);
    });

    it("gives a requested address once: IpAddressAlreadyAllocated, and invalid ones are 400", async () => {
      const net = await network("alice");
      const s = await subnet("alice", net.id);
      const p = await port("alice", net.id, { fixed_ips: [{ ip_address: "10.0.0.50" }] });
      expect(p.fixed_ips).toEqual([{ subnet_id: s.id, ip_address: "10.0.0.50" }]);
      await fault(
        call("POST", "/v2.0/ports", "alice", {
          port: { network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: "10.0.0.50" }] },
        }),
        409,
        "IpAddressAlreadyAllocated",
      );
      await fault(
        call("POST", "/v2.0/ports", "alice", {
          port: { network_id: net.id, fixed_ips: [{ ip_address: "10.0.0.1" }] },
        }),
        409,
        "IpAddressAlreadyAllocated",
      );
      await fault(
        call("POST", "/v2.0/ports", "alice", {
          port: { network_id: net.id, fixed_ips: [{ ip_address: "10.9.0.5" }] },
        }),
        400,
        "InvalidIpForNetwork",
      );
      await fault(
        call("POST", "/v2.0/ports", "alice", {
          port: { network_id: net.id, fixed_ips: [{ subnet_id: s.id, ip_address: "10.0.0.255" }] },
        }),
        400,
        "InvalidIpForSubnet",
      );
      // the address moves to another port once its holder lets it go
      const moved = (
        await ok(
          call("PUT", `/v2.0/ports/${p.id}`, "alice", { port: { fixed_ips: [{ ip_address: "10.0.0.60" }] } }),
          200,
        )
      ).port;
      expect(moved.fixed_ips).toEqual([{ subnet_id: s.id, ip_address: "10.0.0.60" }]);
      const again = await port("alice", net.id, { fixed_ips: [{ ip_address: "10.0.0.50" }] });
      expect(again.fixed_ips[0].ip_address).toBe("10.0.0.50");
    });

    it("gives SLAAC subnets' ports the EUI-64 address of their MAC, besides an IPv4 one", async () => {
      const net = await network("alice");
      const v4 = await subnet("alice", net.id);
      const v6 = await subnet("alice", net.id, {
        ip_version: 6,
        cidr: "2001:db8:1::/64",
        ipv6_ra_mode: "slaac",
        ipv6_address_mode: "slaac",
      });
      const p = await port("alice", net.id, { mac_address: "fa:16:3e:12:34:56" });
      expect(p.fixed_ips).toEqual(
        expect.arrayContaining([
          { subnet_id: v4.id, ip_address: "10.0.0.2" },
          { subnet_id: v6.id, ip_address: "2001:db8:1:0:f816:3eff:fe12:3456" },
        ]),
      );
      expect(p.fixed_ips).toHaveLength(2);
    });

    it("runs out of a /29 with IpAddressGenerationFailure", async () => {
      const net = await network("alice");
      await subnet("alice", net.id, { cidr: "10.0.0.0/29" });
      const ips = [];
      for (let i = 0; i < 5; i++) ips.push((await port("alice", net.id)).fixed_ips[0].ip_address);
      expect(ips).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]);
      await fault(
        call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id } }),
        409,
        "IpAddressGenerationFailure",
      );
    });

    it("never hands one address out twice under 32 concurrent creates", async () => {
      const net = await network("alice");
      await subnet("alice", net.id, { cidr: "10.0.0.0/27" }); // 29 free addresses
      const results = await Promise.all(
        Array.from({ length: 32 }, () =>
          call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id } }),
        ),
      );
      const created = results.filter((r) => r.statusCode === 201);
      const refused = results.filter((r) => r.statusCode !== 201);
      expect(created).toHaveLength(29);
      for (const r of refused) expect(r.json().NeutronError.type).toBe("IpAddressGenerationFailure");
      const ips = created.map((r) => r.json().port.fixed_ips[0].ip_address);
      expect(new Set(ips).size).toBe(29);
    });

    it("keeps other projects' ports out of sight, and lets them use shared networks by subnet only", async () => {
      const shared = await network("admin", { shared: true });
      const s = await subnet("admin", shared.id);
      const mine = await port("alice", shared.id);
      const bobs = await port("bob", shared.id, { fixed_ips: [{ subnet_id: s.id }] });
      expect((await ok(call("GET", "/v2.0/ports", "bob"), 200)).ports.map((p: Json) => p.id)).toEqual([
        bobs.id,
      ]);
      await fault(call("GET", `/v2.0/ports/${mine.id}`, "bob"), 404, "PortNotFound");
      await fault(call("DELETE", `/v2.0/ports/${mine.id}`, "bob"), 404, "PortNotFound");
      await fault(
        call("POST", "/v2.0/ports", "bob", {
          port: { network_id: shared.id, fixed_ips: [{ ip_address: "10.0.0.99" }] },
        }),
        403,
        "PolicyNotAuthorized",
      );
      // the network's owner sees every port on it
      expect((await ok(call("GET", "/v2.0/ports", "admin"), 200)).ports).toHaveLength(2);
    });

    it("needs port security for allowed address pairs", async () => {
      const net = await network("alice");
      const p = await port("alice", net.id, { allowed_address_pairs: [{ ip_address: "10.0.0.0/24" }] });
      expect(p.allowed_address_pairs).toEqual([{ ip_address: "10.0.0.0/24", mac_address: p.mac_address }]);
      await fault(
        call("PUT", `/v2.0/ports/${p.id}`, "alice", { port: { port_security_enabled: false } }),
        409,
        "Conflict",
      );
      const open = (
        await ok(
          call("PUT", `/v2.0/ports/${p.id}`, "alice", {
            port: { port_security_enabled: false, allowed_address_pairs: [] },
          }),
          200,
        )
      ).port;
      expect(open.port_security_enabled).toBe(false);
      await fault(
        call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id, mac_address: "zz" } }),
        400,
        "HTTPBadRequest",
      );
      await fault(
        call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id, mac_address: p.mac_address } }),
        409,
        "MacAddressInUse",
      );
    });
  });
});
