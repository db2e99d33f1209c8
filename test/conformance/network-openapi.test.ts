/**
 * OpenAPI conformance of the Network API: a lifecycle that calls every route nimbus serves
 * under `/network`, with each answer checked against Neutron's OpenAPI description (see
 * network-openapi.ts). A problem fails the test unless ACCEPTED below names it, and an
 * entry of ACCEPTED that no answer needed fails it too, so the list stays current.
 */
import type { FastifyInstance, InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultConfig } from "../../src/config.js";
import { createHttpServer } from "../../src/http/app.js";
import { registerNetwork } from "../../src/http/network/router.js";
import type { AuthContext } from "../../src/services/context.js";
import { ADMIN, ALICE, PROJECT_A } from "../../src/services/image/testing.js";
import { NeutronService } from "../../src/services/network/neutron-service.js";
import { openTestDatabase } from "../../src/store/testing.js";
import {
  type AcceptedDifference,
  acceptedFor,
  formatProblem,
  NetworkContract,
  type Problem,
} from "./network-openapi.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = { member: ALICE, admin: ADMIN };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would
type Json = Record<string, any>;

const link = {
  type: "object",
  required: ["href", "rel"],
  properties: { href: { type: "string" }, rel: { type: "string" } },
  additionalProperties: false,
};

/**
 * What nimbus answers differently from the spec, and why that is right. Short on purpose:
 * where nimbus was wrong, it was fixed instead.
 */
const ACCEPTED: readonly AcceptedDifference[] = [
  // The spec is generated from Neutron's resource controllers; version discovery is
  // Neutron's neutron/api/versions.py and the v2.0 index its api/v2/router.py, which it
  // does not describe. Their bodies are checked against these schemas, after Neutron's code.
  {
    operation: "GET /",
    kind: "path",
    reason: "version discovery: not in the spec",
    schema: {
      type: "object",
      required: ["versions"],
      additionalProperties: false,
      properties: {
        versions: {
          type: "array",
          minItems: 1,
          items: {
            type: "object",
            required: ["id", "status", "links"],
            additionalProperties: false,
            properties: {
              id: { type: "string" },
              status: { enum: ["CURRENT", "SUPPORTED", "DEPRECATED"] },
              links: { type: "array", items: link },
            },
          },
        },
      },
    },
  },
  ...["GET /v2.0", "GET /v2.0/"].map((operation) => ({
    operation,
    kind: "path" as const,
    reason: "the v2.0 resource index: not in the spec",
    schema: {
      type: "object",
      required: ["resources"],
      additionalProperties: false,
      properties: {
        resources: {
          type: "array",
          items: {
            type: "object",
            required: ["name", "collection", "links"],
            additionalProperties: false,
            properties: {
              name: { type: "string" },
              collection: { type: "string" },
              links: { type: "array", items: link },
            },
          },
        },
      },
    },
  })),
  // The spec names tenant_id only; Neutron's project-id extension (listed by nimbus)
  // shows project_id beside it on every resource.
  { operation: "*", kind: "undocumented", at: "**.project_id", reason: "project-id extension" },
  // Pagination: Neutron's api/v2/base.py adds `<collection>_links` to a list answer when
  // limit= is given; the spec describes the unpaged list only.
  { operation: "*", kind: "undocumented", at: "$.*_links", reason: "pagination links" },
  // neutron/api/extensions.py writes `links: []` into every extension's view.
  ...["GET /v2.0/extensions", "GET /v2.0/extensions/{id}"].map((operation) => ({
    operation,
    kind: "undocumented" as const,
    at: ["$.extensions[].links", "$.extension.links"],
    reason: "Neutron's extension view has links",
  })),
  // A typo of the spec: an address pair's items name `max_address`; Neutron's
  // allowed-address-pairs definition (and every Neutron answer) has mac_address.
  {
    operation: "*",
    kind: "undocumented",
    at: "**.allowed_address_pairs[].mac_address",
    reason: "the spec spells mac_address max_address",
  },
  // Bulk create: a POST of `{"networks": [...]}` answers `{"networks": [...]}` (Neutron's
  // base controller, native or emulated bulk); the spec describes the one-resource form.
  { operation: "POST /v2.0/networks", kind: "undocumented", at: "$.networks", reason: "bulk create" },
  // Attributes neutron-lib defines with a default of None, which Neutron shows as null
  // (a rule for any protocol or from anywhere, a subnet without IPv6 modes, a local or
  // flat network's segmentation, a floating IP without a port): the spec's types drop
  // the null. Only a null value is accepted here.
  {
    operation: "*",
    kind: "schema",
    whenNull: true,
    at: [
      "**.protocol",
      "**.remote_ip_prefix",
      "**.remote_group_id",
      "**.remote_address_group_id",
      "**.ipv6_ra_mode",
      "**.ipv6_address_mode",
      "**.provider:physical_network",
      "**.provider:segmentation_id",
      "**.port_details",
    ],
    reason: "None defaults shown as null",
  },
  // The interface answer's project ids: the spec gives them format uuid, but Keystone's
  // project ids are 32 hex digits without dashes, which Neutron passes through as they are.
  ...["PUT /v2.0/routers/{id}/add_router_interface", "PUT /v2.0/routers/{id}/remove_router_interface"].map(
    (operation) => ({
      operation,
      kind: "schema" as const,
      at: ["$.tenant_id", "$.project_id"],
      reason: "Keystone project ids are not dashed UUIDs",
    }),
  ),
  // ... and so are those of the quota list and of an auto-allocated topology, whose id
  // is Neutron's "dry-run=pass" when only checked (services/auto_allocate/db.py)
  {
    operation: "GET /v2.0/quotas",
    kind: "schema",
    at: "$.quotas[].project_id",
    reason: "Keystone project ids are not dashed UUIDs",
  },
  {
    operation: "GET /v2.0/auto-allocated-topology/{id}",
    kind: "schema",
    at: ["$.auto_allocated_topology.id", "$.auto_allocated_topology.tenant_id"],
    reason: "Keystone project ids, and the dry run's id",
  },
  // The quota list shows tenant_id beside project_id, as Neutron's quota driver does.
  { operation: "GET /v2.0/quotas", kind: "undocumented", at: "$.quotas[].tenant_id", reason: "quota list" },
  // `GET /v2.0/quotas/project` and `/tenant` are Neutron's (quotasv2's project and tenant
  // actions, answering the caller's project id); the spec reads them as a project named so.
  {
    operation: "GET /v2.0/quotas/{id}",
    kind: "undocumented",
    at: ["$.project", "$.tenant"],
    reason: "the caller's project id actions",
  },
  // The spec types the availability counts and the subnet list as strings; Neutron's
  // network_ip_availability plugin answers integers and a list of objects.
  ...["GET /v2.0/network-ip-availabilities", "GET /v2.0/network-ip-availabilities/{id}"].map((operation) => ({
    operation,
    kind: "schema" as const,
    at: [
      "$.network_ip_availabilities[].total_ips",
      "$.network_ip_availabilities[].used_ips",
      "$.network_ip_availabilities[].subnet_ip_availability",
      "$.network_ip_availability.total_ips",
      "$.network_ip_availability.used_ips",
      "$.network_ip_availability.subnet_ip_availability",
    ],
    reason: "the spec types integers and a list as strings",
  })),
];

/** Every route registered under /network, as `METHOD /url` with fastify's `:param`s. */
function routeKey(method: string, url: string): string {
  return `${method} ${url}`;
}

describe("Network API responses against the Neutron OpenAPI description", () => {
  const contract = NetworkContract.load();
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const served = new Set<string>();
  const called = new Set<string>();
  const problems: Problem[] = [];
  const used = new Set<AcceptedDifference>();

  beforeAll(async () => {
    const t = await openTestDatabase();
    close = t.close;
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent", publicUrl: PUBLIC_URL });
    app = createHttpServer(config);
    app.addHook("onRoute", (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      // nimbus's own OpenAPI document is not Neutron's API (src/http/openapi tests it)
      if (route.url === "/network/openapi.json") return;
      for (const m of methods)
        if (m !== "HEAD" && route.url.startsWith("/network")) served.add(routeKey(m, route.url));
    });
    app.addHook("onResponse", async (request) => {
      const url = request.routeOptions.url;
      if (url) called.add(routeKey(request.method, url));
    });
    await registerNetwork(app, {
      neutron: new NeutronService(t.db),
      authenticate: async (token) => TOKENS[token],
      config,
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await close?.();
  });

  /** Sends a request, expects the status, and checks the answer against the contract. */
  async function send(
    method: NonNullable<InjectOptions["method"]> & string,
    url: string,
    status: number,
    options: { as?: "member" | "admin" | null; json?: unknown } = {},
  ): Promise<Json> {
    const headers: Record<string, string> = { accept: "application/json" };
    const as = options.as === undefined ? "member" : options.as;
    if (as) headers["x-auth-token"] = as;
    if (options.json !== undefined) headers["content-type"] = "application/json";
    const res = await app.inject({
      method,
      url: `/network${url}`,
      headers,
      payload: options.json === undefined ? undefined : JSON.stringify(options.json),
    });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(status);
    const body = res.body === "" ? undefined : (res.json() as Json);
    for (const p of contract.check(method, url, res.statusCode, body)) {
      const accepted = acceptedFor(p, ACCEPTED);
      if (accepted) {
        used.add(accepted);
        if (accepted.schema)
          problems.push(...contract.validate(accepted.schema as Record<string, unknown>, body, p.operation));
      } else problems.push(p);
    }
    return body ?? {};
  }

  it("validator: rejects a body that breaks the schema, and reports undocumented keys", () => {
    const router = {
      id: "0b4d1f4e-2b1a-4c47-9d40-9a0c1d7a9f00",
      name: "r1",
      external_gateway_info: { network_id: "c2b9c0a4-5f0e-4a86-9b5e-4cbbd3f2d111", enable_snat: true },
    };
    expect(contract.check("GET", `/v2.0/routers/${router.id}`, 200, { router })).toEqual([]);
    // external_gateway_info must name its network (a required key of the spec)
    const missing = { router: { ...router, external_gateway_info: { enable_snat: true } } };
    expect(contract.check("GET", `/v2.0/routers/${router.id}`, 200, missing)).toEqual([
      expect.objectContaining({
        operation: "GET /v2.0/routers/{id}",
        kind: "schema",
        at: "$.router.external_gateway_info",
        message: expect.stringContaining("network_id"),
      }),
    ]);
    const wrongType = { router: { ...router, admin_state_up: "yes", id: 7 } };
    expect(
      contract.check("GET", `/v2.0/routers/${router.id}`, 200, wrongType).map((p) => [p.kind, p.at]),
    ).toEqual(expect.arrayContaining([["schema", "$.router.id"]]));
    const invented = { routers: [{ ...router, colour: "blue" }] };
    expect(contract.check("GET", "/v2.0/routers", 200, invented)).toEqual([
      expect.objectContaining({ kind: "undocumented", at: "$.routers[0].colour" }),
    ]);
    expect(contract.check("GET", "/v2.0/routers/x/colours", 200, {})[0]?.kind).toBe("path");
    expect(contract.check("POST", "/v2.0/routers", 200, { router })[0]?.kind).toBe("status");
    expect(contract.check("DELETE", `/v2.0/routers/${router.id}`, 204, undefined)).toEqual([]);
  });

  it("a lifecycle over every route validates against the spec", async () => {
    // discovery
    await send("GET", "/", 200, { as: null });
    await send("GET", "/v2.0", 200);
    await send("GET", "/v2.0/", 200);
    const { extensions } = await send("GET", "/v2.0/extensions", 200);
    expect(extensions.length).toBeGreaterThan(0);
    await send("GET", "/v2.0/extensions/router", 200);
    await send("GET", "/v2.0/availability_zones", 200);
    await send("GET", "/v2.0/availability_zones?resource=network&fields=name", 200);

    // the external network and its subnet, as admin
    const ext = (
      await send("POST", "/v2.0/networks", 201, {
        as: "admin",
        json: { network: { name: "public", "router:external": true, shared: false } },
      })
    ).network;
    await send("GET", `/v2.0/networks/${ext.id}`, 200, { as: "admin" });
    const extSubnet = (
      await send("POST", "/v2.0/subnets", 201, {
        as: "admin",
        json: {
          subnet: {
            network_id: ext.id,
            ip_version: 4,
            cidr: "203.0.113.0/24",
            enable_dhcp: false,
            gateway_ip: "203.0.113.1",
          },
        },
      })
    ).subnet;

    // networks
    const net = (await send("POST", "/v2.0/networks", 201, { json: { network: { name: "private" } } }))
      .network;
    const bulk = (
      await send("POST", "/v2.0/networks", 201, {
        json: { networks: [{ name: "bulk-1" }, { name: "bulk-2", admin_state_up: false }] },
      })
    ).networks;
    expect(bulk).toHaveLength(2);
    await send("PUT", `/v2.0/networks/${net.id}`, 200, {
      json: { network: { description: "the private network", mtu: 1400 } },
    });
    await send("GET", `/v2.0/networks/${net.id}`, 200);
    await send("GET", `/v2.0/networks/${net.id}?fields=id&fields=name`, 200);
    await send("GET", "/v2.0/networks", 200);
    await send("GET", "/v2.0/networks", 200, { as: "admin" });
    const page = await send("GET", "/v2.0/networks?limit=1&sort_key=name&sort_dir=asc", 200);
    expect(page.networks_links.length).toBeGreaterThan(0);
    const next = new URL(page.networks_links[0].href).search;
    const page2 = await send("GET", `/v2.0/networks${next}`, 200);
    expect(page2.networks_links.map((l: Json) => l.rel)).toContain("previous");
    await send("GET", "/v2.0/networks?fields=id&fields=status&name=private", 200);

    // subnets, IPv4 and IPv6
    const v4 = (
      await send("POST", "/v2.0/subnets", 201, {
        json: {
          subnet: {
            network_id: net.id,
            ip_version: 4,
            cidr: "10.0.0.0/24",
            name: "v4",
            allocation_pools: [{ start: "10.0.0.10", end: "10.0.0.200" }],
            dns_nameservers: ["192.0.2.53"],
            host_routes: [{ destination: "192.0.2.0/24", nexthop: "10.0.0.254" }],
          },
        },
      })
    ).subnet;
    const v6 = (
      await send("POST", "/v2.0/subnets", 201, {
        json: {
          subnet: {
            network_id: net.id,
            ip_version: 6,
            cidr: "2001:db8:1::/64",
            name: "v6",
            ipv6_ra_mode: "slaac",
            ipv6_address_mode: "slaac",
          },
        },
      })
    ).subnet;
    await send("PUT", `/v2.0/subnets/${v4.id}`, 200, { json: { subnet: { name: "v4-renamed" } } });
    await send("GET", `/v2.0/subnets/${v6.id}`, 200);
    await send("GET", "/v2.0/subnets", 200);
    await send("GET", "/v2.0/subnets?ip_version=6&fields=id&fields=cidr", 200);
    await send("GET", "/v2.0/subnets?limit=1", 200);

    // security groups and rules
    const sg = (
      await send("POST", "/v2.0/security-groups", 201, {
        json: { security_group: { name: "web", description: "web servers" } },
      })
    ).security_group;
    await send("PUT", `/v2.0/security-groups/${sg.id}`, 200, {
      json: { security_group: { description: "the web servers" } },
    });
    await send("GET", `/v2.0/security-groups/${sg.id}`, 200);
    await send("GET", "/v2.0/security-groups", 200);
    await send("GET", "/v2.0/security-groups?limit=1&fields=id&fields=name", 200);
    const rule = (
      await send("POST", "/v2.0/security-group-rules", 201, {
        json: {
          security_group_rule: {
            security_group_id: sg.id,
            direction: "ingress",
            ethertype: "IPv4",
            protocol: "tcp",
            port_range_min: 80,
            port_range_max: 80,
            remote_ip_prefix: "0.0.0.0/0",
          },
        },
      })
    ).security_group_rule;
    await send("POST", "/v2.0/security-group-rules", 201, {
      json: {
        security_group_rule: {
          security_group_id: sg.id,
          direction: "ingress",
          ethertype: "IPv6",
          protocol: "icmp",
          remote_group_id: sg.id,
        },
      },
    });
    // the spec lists a 200, but Neutron's plugin has no update_security_group_rule: every
    // attribute of a rule is read-only, and so is a 400 here
    await send("PUT", `/v2.0/security-group-rules/${rule.id}`, 400, {
      json: { security_group_rule: { description: "http" } },
    });
    await send("GET", `/v2.0/security-group-rules/${rule.id}`, 200);
    await send("GET", "/v2.0/security-group-rules", 200);
    await send("GET", `/v2.0/security-group-rules?security_group_id=${sg.id}&limit=1`, 200);

    // ports: fixed IPs on both subnets, allowed address pairs, and a binding set by admin
    const port = (
      await send("POST", "/v2.0/ports", 201, {
        json: {
          port: {
            network_id: net.id,
            name: "p1",
            fixed_ips: [{ subnet_id: v4.id, ip_address: "10.0.0.20" }, { subnet_id: v6.id }],
            allowed_address_pairs: [
              { ip_address: "10.0.0.99" },
              { ip_address: "10.0.1.0/24", mac_address: "fa:16:3e:00:00:01" },
            ],
            security_groups: [sg.id],
          },
        },
      })
    ).port;
    await send("PUT", `/v2.0/ports/${port.id}`, 200, {
      as: "admin",
      json: { port: { "binding:host_id": "compute-1", device_owner: "compute:nova", device_id: "vm-1" } },
    });
    await send("GET", `/v2.0/ports/${port.id}`, 200, { as: "admin" });
    await send("GET", `/v2.0/ports/${port.id}`, 200);
    await send("GET", `/v2.0/ports/${port.id}?fields=fixed_ips`, 200);
    await send("GET", "/v2.0/ports", 200);
    await send("GET", "/v2.0/ports", 200, { as: "admin" });
    await send("GET", `/v2.0/ports?network_id=${net.id}&limit=1`, 200);
    const spare = (
      await send("POST", "/v2.0/ports", 201, {
        json: {
          port: { network_id: net.id, fixed_ips: [{ subnet_id: v6.id }], port_security_enabled: false },
        },
      })
    ).port;

    // routers: gateway, interfaces by subnet and by port, routes
    const router = (
      await send("POST", "/v2.0/routers", 201, {
        json: { router: { name: "r1", external_gateway_info: { network_id: ext.id } } },
      })
    ).router;
    await send("PUT", `/v2.0/routers/${router.id}/add_router_interface`, 200, { json: { subnet_id: v4.id } });
    await send("PUT", `/v2.0/routers/${router.id}/add_router_interface`, 200, {
      json: { port_id: spare.id },
    });
    await send("PUT", `/v2.0/routers/${router.id}`, 200, {
      json: { router: { routes: [{ destination: "198.51.100.0/24", nexthop: "10.0.0.254" }] } },
    });
    await send("GET", `/v2.0/routers/${router.id}`, 200);
    await send("GET", `/v2.0/routers/${router.id}`, 200, { as: "admin" });
    await send("GET", "/v2.0/routers", 200);
    await send("GET", "/v2.0/routers?limit=1&fields=id&fields=external_gateway_info", 200);

    // floating IPs: associate, disassociate
    const fip = (
      await send("POST", "/v2.0/floatingips", 201, { json: { floatingip: { floating_network_id: ext.id } } })
    ).floatingip;
    await send("PUT", `/v2.0/floatingips/${fip.id}`, 200, { json: { floatingip: { port_id: port.id } } });
    await send("GET", `/v2.0/floatingips/${fip.id}`, 200);
    await send("GET", "/v2.0/floatingips", 200);
    await send("GET", "/v2.0/floatingips?limit=1", 200);
    await send("PUT", `/v2.0/floatingips/${fip.id}`, 200, { json: { floatingip: { port_id: null } } });

    // tags on every tagged collection
    for (const [collection, id] of [
      ["networks", net.id],
      ["subnets", v4.id],
      ["ports", port.id],
      ["routers", router.id],
      ["floatingips", fip.id],
      ["security-groups", sg.id],
    ] as const) {
      await send("PUT", `/v2.0/${collection}/${id}/tags`, 200, { json: { tags: ["blue", "green"] } });
      await send("PUT", `/v2.0/${collection}/${id}/tags/red`, 201);
      await send("GET", `/v2.0/${collection}/${id}/tags`, 200);
      await send("GET", `/v2.0/${collection}/${id}/tags/red`, 204);
      await send("DELETE", `/v2.0/${collection}/${id}/tags/red`, 204);
      await send("GET", `/v2.0/${collection}?tags=blue`, 200);
      await send("DELETE", `/v2.0/${collection}/${id}/tags`, 204);
    }

    // quotas
    await send("GET", `/v2.0/quotas/${PROJECT_A}`, 200);
    await send("GET", `/v2.0/quotas/${PROJECT_A}/default`, 200);
    await send("GET", `/v2.0/quotas/${PROJECT_A}/details`, 200);
    await send("GET", "/v2.0/quotas/project", 200);
    await send("GET", "/v2.0/quotas/tenant", 200);
    await send("PUT", `/v2.0/quotas/${PROJECT_A}`, 200, { as: "admin", json: { quota: { port: 50 } } });
    await send("GET", "/v2.0/quotas", 200, { as: "admin" });
    await send("DELETE", `/v2.0/quotas/${PROJECT_A}`, 204, { as: "admin" });

    // IP availability (an admin's)
    await send("GET", "/v2.0/network-ip-availabilities", 200, { as: "admin" });
    await send("GET", `/v2.0/network-ip-availabilities/${net.id}`, 200, { as: "admin" });

    // tear down, which also calls every DELETE
    await send("PUT", `/v2.0/routers/${router.id}`, 200, { json: { router: { routes: [] } } });
    // removing the interface by its port deletes the port, as in Neutron
    await send("PUT", `/v2.0/routers/${router.id}/remove_router_interface`, 200, {
      json: { port_id: spare.id },
    });
    await send("PUT", `/v2.0/routers/${router.id}/remove_router_interface`, 200, {
      json: { subnet_id: v4.id },
    });
    await send("DELETE", `/v2.0/floatingips/${fip.id}`, 204);
    await send("PUT", `/v2.0/routers/${router.id}`, 200, { json: { router: { external_gateway_info: {} } } });
    await send("DELETE", `/v2.0/routers/${router.id}`, 204);
    await send("DELETE", `/v2.0/ports/${port.id}`, 204);
    await send("DELETE", `/v2.0/security-group-rules/${rule.id}`, 204);
    await send("DELETE", `/v2.0/security-groups/${sg.id}`, 204);
    await send("DELETE", `/v2.0/subnets/${v6.id}`, 204);
    await send("DELETE", `/v2.0/subnets/${v4.id}`, 204);
    await send("DELETE", `/v2.0/subnets/${extSubnet.id}`, 204, { as: "admin" });
    for (const n of [net, ...bulk]) await send("DELETE", `/v2.0/networks/${n.id}`, 204);

    // the project's auto-allocated topology, on the external network (the only one left)
    await send("GET", `/v2.0/auto-allocated-topology/${PROJECT_A}?fields=dry-run`, 200);
    await send("GET", `/v2.0/auto-allocated-topology/${PROJECT_A}`, 200);
    await send("DELETE", `/v2.0/auto-allocated-topology/${PROJECT_A}`, 204);
    await send("DELETE", `/v2.0/networks/${ext.id}`, 204, { as: "admin" });

    expect(problems.map(formatProblem)).toEqual([]);
    expect(served.size).toBeGreaterThan(50);
    expect([...served].filter((r) => !called.has(r)).sort(), "routes the lifecycle never called").toEqual([]);
    expect(
      ACCEPTED.filter((a) => !used.has(a)).map((a) => `${a.operation} ${a.kind} ${a.at ?? ""}`),
      "accepted differences no answer needed",
    ).toEqual([]);
  });
});
