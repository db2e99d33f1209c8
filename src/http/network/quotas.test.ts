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

const DEFAULTS = {
  network: 100,
  subnet: 100,
  port: 500,
  router: 10,
  floatingip: 50,
  security_group: 10,
  security_group_rule: 100,
};

describe("Neutron quotas under /network", () => {
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
  ): Promise<LightMyRequestResponse> {
    const h: Record<string, string> = { accept: "application/json" };
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
    return r.json().NeutronError.message;
  }

  const setQuota = (project: string, quota: Json) =>
    ok(call("PUT", `/v2.0/quotas/${project}`, "admin", { quota }), 200);
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
  const createPort = (token: string, networkId: string) =>
    call("POST", "/v2.0/ports", token, { port: { network_id: networkId } });
  const overQuota = (res: Promise<LightMyRequestResponse>) => fault(res, 409, "OverQuota");

  describe("reading", () => {
    it("lists the quotas and quota_details extensions", async () => {
      const { extensions } = await ok(call("GET", "/v2.0/extensions", "alice"), 200);
      expect(extensions).toContainEqual({
        alias: "quotas",
        name: "Quota management support",
        description: "Expose functions for quotas management per project",
        updated: "2012-07-29T10:00:00-00:00",
        links: [],
      });
      expect(extensions.map((e: Json) => e.alias)).toContain("quota_details");
    });

    it("shows a project's limits and the defaults to its members and to admins only", async () => {
      expect(await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200)).toEqual({ quota: DEFAULTS });
      expect(await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "admin"), 200)).toEqual({ quota: DEFAULTS });
      expect(await ok(call("GET", `/v2.0/quotas/${PROJECT_B}/default`, "admin"), 200)).toEqual({
        quota: DEFAULTS,
      });
      expect(await fault(call("GET", `/v2.0/quotas/${PROJECT_B}`, "alice"), 403, "PolicyNotAuthorized")).toBe(
        "(rule:get_quota) is disallowed by policy",
      );
      await fault(call("GET", `/v2.0/quotas/${PROJECT_B}/default`, "alice"), 403, "PolicyNotAuthorized");
      expect(await ok(call("GET", "/v2.0/quotas/project", "alice"), 200)).toEqual({
        project: { project_id: PROJECT_A },
      });
    });

    it("lists, for an admin only, the projects with limits of their own", async () => {
      expect(await ok(call("GET", "/v2.0/quotas", "admin"), 200)).toEqual({ quotas: [] });
      await setQuota(PROJECT_B, { port: 7 });
      expect(await ok(call("GET", "/v2.0/quotas", "admin"), 200)).toEqual({
        quotas: [{ ...DEFAULTS, port: 7, project_id: PROJECT_B, tenant_id: PROJECT_B }],
      });
      await fault(call("GET", "/v2.0/quotas", "alice"), 403, "PolicyNotAuthorized");
    });

    it("details limit, use and reservations; another project's only to an admin", async () => {
      const net = await network("alice");
      await subnet("alice", net.id);
      await ok(createPort("alice", net.id), 201);
      const { quota } = await ok(call("GET", `/v2.0/quotas/${PROJECT_A}/details`, "alice"), 200);
      expect(quota).toEqual({
        network: { limit: 100, used: 1, reserved: 0 },
        subnet: { limit: 100, used: 1, reserved: 0 },
        port: { limit: 500, used: 1, reserved: 0 },
        router: { limit: 10, used: 0, reserved: 0 },
        floatingip: { limit: 50, used: 0, reserved: 0 },
        // the port made the project's default group, with its four rules
        security_group: { limit: 10, used: 1, reserved: 0 },
        security_group_rule: { limit: 100, used: 4, reserved: 0 },
      });
      expect((await ok(call("GET", `/v2.0/quotas/${PROJECT_A}/details`, "admin"), 200)).quota.port.used).toBe(
        1,
      );
      expect(await fault(call("GET", `/v2.0/quotas/${PROJECT_A}/details`, "bob"), 403, "AdminRequired")).toBe(
        "User does not have admin privileges: Only admin is authorized to access quotas for another project.",
      );
    });
  });

  describe("changing", () => {
    it("sets limits as an admin, and deletes them back to the defaults", async () => {
      const { quota } = await setQuota(PROJECT_A, { network: 3, port: "7", router: -1 });
      expect(quota).toEqual({ ...DEFAULTS, network: 3, port: 7, router: -1 });
      expect((await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200)).quota.port).toBe(7);
      await ok(call("DELETE", `/v2.0/quotas/${PROJECT_A}`, "admin"), 204);
      expect((await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200)).quota).toEqual(DEFAULTS);
      expect(
        await fault(call("DELETE", `/v2.0/quotas/${PROJECT_A}`, "admin"), 404, "TenantQuotaNotFound"),
      ).toBe(`Quota for project ${PROJECT_A} could not be found.`);
    });

    it("refuses members, unknown resources and limits that are not integers from -1", async () => {
      const put = (token: string, body: unknown) => call("PUT", `/v2.0/quotas/${PROJECT_A}`, token, body);
      expect(await fault(put("alice", { quota: { port: 5 } }), 403, "PolicyNotAuthorized")).toBe(
        "(rule:update_quota) is disallowed by policy",
      );
      // policy comes before the body
      await fault(put("alice", { quota: { nope: 5 } }), 403, "PolicyNotAuthorized");
      await fault(call("DELETE", `/v2.0/quotas/${PROJECT_A}`, "alice"), 403, "PolicyNotAuthorized");
      expect(await fault(put("admin", { quota: { nope: 5 } }), 400, "HTTPBadRequest")).toBe(
        "Unrecognized attribute(s) 'nope'",
      );
      expect(await fault(put("admin", { quota: { port: -2 } }), 400, "HTTPBadRequest")).toBe(
        "Invalid input for port. Reason: '-2' is too small - must be at least '-1'.",
      );
      expect(await fault(put("admin", { quota: { port: "many" } }), 400, "HTTPBadRequest")).toBe(
        "Invalid input for port. Reason: 'many' is not an integer.",
      );
      await fault(put("admin", { quota: { port: 2 ** 31 } }), 400, "HTTPBadRequest");
      expect(await fault(put("admin", { port: 5 }), 400, "HTTPBadRequest")).toBe(
        "Unable to find 'quota' in request body",
      );
      expect((await ok(call("GET", "/v2.0/quotas", "admin"), 200)).quotas).toEqual([]);
    });

    it("refuses a limit below what the project has, unless forced", async () => {
      await network("alice");
      await network("alice");
      expect(
        await fault(
          call("PUT", `/v2.0/quotas/${PROJECT_A}`, "admin", { quota: { network: 1 } }),
          400,
          "HTTPBadRequest",
        ),
      ).toBe("Quota limit 1 for network must be greater than or equal to already used 2");
      expect((await setQuota(PROJECT_A, { network: 1, force: true })).quota.network).toBe(1);
      expect((await setQuota(PROJECT_A, { network: 2, check_limit: true })).quota.network).toBe(2);
    });
  });

  describe("enforcing", () => {
    it("refuses the network, subnet, router and floating IP past the limit", async () => {
      await setQuota(PROJECT_A, { network: 1, subnet: 1, router: 1, floatingip: 1 });
      const net = await network("alice");
      expect(await overQuota(call("POST", "/v2.0/networks", "alice", { network: { name: "two" } }))).toBe(
        "Quota exceeded for resources: ['network'].",
      );
      await subnet("alice", net.id);
      await overQuota(
        call("POST", "/v2.0/subnets", "alice", {
          subnet: { network_id: net.id, ip_version: 4, cidr: "10.0.1.0/24" },
        }),
      );
      const ext = await network("admin", { name: "ext", "router:external": true });
      await subnet("admin", ext.id, { cidr: "203.0.113.0/24" });
      await ok(call("POST", "/v2.0/routers", "alice", { router: { name: "r1" } }), 201);
      await overQuota(call("POST", "/v2.0/routers", "alice", { router: { name: "r2" } }));
      const fip = { floatingip: { floating_network_id: ext.id } };
      await ok(call("POST", "/v2.0/floatingips", "alice", fip), 201);
      expect(await overQuota(call("POST", "/v2.0/floatingips", "alice", fip))).toBe(
        "Quota exceeded for resources: ['floatingip'].",
      );
      // an admin's create for the project counts against the project's quota
      await overQuota(call("POST", "/v2.0/networks", "admin", { network: { project_id: PROJECT_A } }));
      // and another project is not held to it
      await network("bob");
    });

    it("counts a router's and a floating IP's ports but does not hold them to the port quota", async () => {
      const ext = await network("admin", { name: "ext", "router:external": true });
      await subnet("admin", ext.id, { cidr: "203.0.113.0/24" });
      const net = await network("alice");
      const sub = await subnet("alice", net.id);
      await setQuota(PROJECT_A, { port: 0 });
      const { router } = await ok(
        call("POST", "/v2.0/routers", "alice", { router: { external_gateway_info: { network_id: ext.id } } }),
        201,
      );
      await ok(
        call("PUT", `/v2.0/routers/${router.id}/add_router_interface`, "alice", { subnet_id: sub.id }),
        200,
      );
      await ok(
        call("POST", "/v2.0/floatingips", "alice", { floatingip: { floating_network_id: ext.id } }),
        201,
      );
      expect(await overQuota(createPort("alice", net.id))).toBe("Quota exceeded for resources: ['port'].");
      // the interface port is the router's project's; gateway and floating IP ports are no project's
      const { quota } = await ok(call("GET", `/v2.0/quotas/${PROJECT_A}/details`, "alice"), 200);
      expect(quota.port).toEqual({ limit: 0, used: 1, reserved: 0 });
    });

    it("holds a bulk create to the limit as a whole", async () => {
      const net = await network("alice");
      await subnet("alice", net.id);
      await setQuota(PROJECT_A, { port: 2 });
      const ports = [1, 2, 3].map(() => ({ network_id: net.id }));
      await overQuota(call("POST", "/v2.0/ports", "alice", { ports }));
      expect((await ok(call("GET", "/v2.0/ports", "alice"), 200)).ports).toEqual([]);
    });

    it("counts the default security group but holds only its rules to a quota, as Neutron does", async () => {
      await setQuota(PROJECT_A, { security_group: 1, security_group_rule: 6 });
      // the default group takes the one security group and four rules...
      const { security_groups } = await ok(call("GET", "/v2.0/security-groups", "alice"), 200);
      expect(security_groups).toHaveLength(1);
      expect(
        await overQuota(call("POST", "/v2.0/security-groups", "alice", { security_group: { name: "web" } })),
      ).toBe("Quota exceeded for resources: ['security_group'].");
      await setQuota(PROJECT_A, { security_group: 5 });
      // ...and a new group's two egress rules fit once
      const { security_group: web } = await ok(
        call("POST", "/v2.0/security-groups", "alice", { security_group: { name: "web" } }),
        201,
      );
      await overQuota(call("POST", "/v2.0/security-groups", "alice", { security_group: { name: "db" } }));
      const rule = {
        security_group_id: web.id,
        direction: "ingress",
        protocol: "tcp",
        port_range_min: 22,
        port_range_max: 22,
      };
      expect(
        await overQuota(call("POST", "/v2.0/security-group-rules", "alice", { security_group_rule: rule })),
      ).toBe("Quota exceeded for resources: ['security_group_rule'].");
      // a project whose rule quota cannot hold the default group's rules cannot get one
      await setQuota(PROJECT_B, { security_group_rule: 3 });
      await overQuota(call("GET", "/v2.0/security-groups", "bob"));
    });

    it("lets exactly the limit's worth of concurrent creates through", async () => {
      // ports on different networks: no network's lock orders them, only the quota's
      const nets: Json[] = [];
      for (const cidr of ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]) {
        const net = await network("alice");
        await subnet("alice", net.id, { cidr });
        nets.push(net);
      }
      await setQuota(PROJECT_A, { port: 5, network: 7 });
      const [ports, networks] = await Promise.all([
        Promise.all(Array.from({ length: 12 }, (_, i) => createPort("alice", nets[i % nets.length]!.id))),
        Promise.all(
          Array.from({ length: 6 }, () =>
            call("POST", "/v2.0/networks", "alice", { network: { name: "n" } }),
          ),
        ),
      ]);
      const created = (results: LightMyRequestResponse[]) =>
        results.filter((r) => r.statusCode === 201).length;
      expect(created(ports)).toBe(5);
      expect(created(networks)).toBe(3);
      for (const r of [...ports, ...networks].filter((x) => x.statusCode !== 201)) {
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json().NeutronError.type).toBe("OverQuota");
      }
      expect((await ok(call("GET", "/v2.0/ports", "alice"), 200)).ports).toHaveLength(5);
    });
  });
});
