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

describe("Neutron auto-allocated topology under /network", () => {
  let app: FastifyInstance;
  let neutron: NeutronService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openTestDatabase();
    close = t.close;
    neutron = new NeutronService(t.db);
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent", publicUrl: PUBLIC_URL });
    app = createHttpServer(config);
    await registerNetwork(app, { neutron, authenticate: async (token) => TOKENS[token], config });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await close();
  });

  function call(
    method: InjectOptions["method"],
    url: string,
    token: string,
    json?: unknown,
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { accept: "application/json", "x-auth-token": token };
    if (json !== undefined) headers["content-type"] = "application/json";
    return app.inject({
      method,
      url: `/network${url}`,
      headers,
      payload: json === undefined ? undefined : JSON.stringify(json),
    });
  }

  async function ok(res: Promise<LightMyRequestResponse>, status = 200): Promise<Json> {
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

  const topology = (token: string, project: string, query = "") =>
    call("GET", `/v2.0/auto-allocated-topology/${project}${query}`, token);

  async function external(name = "public", cidr = "172.24.4.0/24"): Promise<Json> {
    const { network } = await ok(
      call("POST", "/v2.0/networks", "admin", { network: { name, "router:external": true } }),
      201,
    );
    await ok(
      call("POST", "/v2.0/subnets", "admin", {
        subnet: { network_id: network.id, ip_version: 4, cidr, enable_dhcp: false },
      }),
      201,
    );
    return network;
  }

  const own = async (token: string, collection: "networks" | "routers" | "subnets") =>
    (await ok(call("GET", `/v2.0/${collection}?project_id=${TOKENS[token]!.projectId}`, token)))[
      collection
    ] as Json[];

  it("is listed as the auto-allocated-topology extension", async () => {
    const { extension } = await ok(call("GET", "/v2.0/extensions/auto-allocated-topology", "alice"));
    expect(extension).toMatchObject({
      name: "Auto Allocated Topology Services",
      description: "Auto Allocated Topology Services.",
      updated: "2016-01-01T00:00:00-00:00",
    });
  });

  it("needs one external network to be the default", async () => {
    const noDefault = "Deployment error: No default router:external network.";
    expect(await fault(topology("alice", PROJECT_A), 409, "AutoAllocationFailure")).toBe(noDefault);
    expect(await fault(topology("alice", PROJECT_A, "?fields=dry-run"), 409, "AutoAllocationFailure")).toBe(
      noDefault,
    );
    await external("public");
    await external("public2", "198.51.100.0/24");
    expect(await fault(topology("alice", PROJECT_A), 409, "AutoAllocationFailure")).toBe(noDefault);
    expect(await own("alice", "networks")).toEqual([]);
  });

  it("checks without building on a dry run, and takes no other field", async () => {
    await external();
    expect(await ok(topology("alice", PROJECT_A, "?fields=dry-run"))).toEqual({
      auto_allocated_topology: { id: "dry-run=pass", project_id: PROJECT_A, tenant_id: PROJECT_A },
    });
    expect(await own("alice", "networks")).toEqual([]);
    expect(await fault(topology("alice", PROJECT_A, "?fields=id"), 400, "BadRequest")).toBe(
      "Bad auto_allocate request: Unrecognized field.",
    );
  });

  it("builds a project's network, subnet and router on the first call, and answers it after", async () => {
    const ext = await external();
    const { auto_allocated_topology: made } = await ok(topology("alice", PROJECT_A));
    expect(made).toEqual({ id: expect.any(String), project_id: PROJECT_A, tenant_id: PROJECT_A });
    const net = (await own("alice", "networks"))[0];
    expect(net).toMatchObject({
      id: made.id,
      name: "auto_allocated_network",
      admin_state_up: true,
      shared: false,
      project_id: PROJECT_A,
    });
    const sub = (await own("alice", "subnets"))[0]!;
    expect(sub).toMatchObject({
      network_id: made.id,
      name: "auto_allocated_subnet_v4",
      cidr: "10.128.0.0/24",
      gateway_ip: "10.128.0.1",
    });
    const router = (await own("alice", "routers"))[0]!;
    expect(router).toMatchObject({ name: "auto_allocated_router", admin_state_up: true });
    expect(router.external_gateway_info.network_id).toBe(ext.id);
    const { ports } = await ok(
      call("GET", `/v2.0/ports?device_id=${router.id}&network_id=${made.id}`, "alice"),
    );
    expect(ports).toHaveLength(1);
    expect(ports[0].fixed_ips).toEqual([{ subnet_id: sub.id, ip_address: "10.128.0.1" }]);

    expect((await ok(topology("alice", "None"))).auto_allocated_topology.id).toBe(made.id);
    expect((await ok(topology("admin", PROJECT_A))).auto_allocated_topology.id).toBe(made.id);
    expect(await neutron.autoAllocation.ensure(ALICE)).toBe(made.id);
    expect(await own("alice", "networks")).toHaveLength(1);
    // another project's subnet does not overlap
    await ok(topology("bob", PROJECT_B));
    expect((await own("bob", "subnets"))[0]!.cidr).toBe("10.128.1.0/24");
  });

  it("acts for another project only for an admin", async () => {
    await external();
    expect(await fault(topology("alice", PROJECT_B), 403, "NotAuthorized")).toBe("Not authorized.");
    await fault(call("DELETE", `/v2.0/auto-allocated-topology/${PROJECT_B}`, "alice"), 403, "NotAuthorized");
    const { auto_allocated_topology: made } = await ok(topology("admin", PROJECT_B));
    expect((await own("bob", "networks")).map((n) => n.id)).toEqual([made.id]);
  });

  it("takes the topology down on DELETE, and builds a new one after", async () => {
    await external();
    await ok(call("DELETE", `/v2.0/auto-allocated-topology/${PROJECT_A}`, "alice"), 204);
    const first = (await ok(topology("alice", PROJECT_A))).auto_allocated_topology.id;
    await ok(call("DELETE", `/v2.0/auto-allocated-topology/${PROJECT_A}`, "alice"), 204);
    expect(await own("alice", "networks")).toEqual([]);
    expect(await own("alice", "routers")).toEqual([]);
    const second = (await ok(topology("alice", PROJECT_A))).auto_allocated_topology.id;
    expect(second).not.toBe(first);
    expect((await own("alice", "subnets"))[0]!.cidr).toBe("10.128.0.0/24");
  });

  it("refuses to take down a network servers still use", async () => {
    await external();
    const { id } = (await ok(topology("alice", PROJECT_A))).auto_allocated_topology;
    await ok(
      call("POST", "/v2.0/ports", "alice", { port: { network_id: id, device_owner: "compute:nova" } }),
      201,
    );
    await fault(call("DELETE", `/v2.0/auto-allocated-topology/${PROJECT_A}`, "alice"), 409, "NetworkInUse");
  });

  it("gives concurrent first calls one topology", async () => {
    await external();
    const answers = await Promise.all(Array.from({ length: 5 }, () => ok(topology("alice", PROJECT_A))));
    const ids = new Set(answers.map((a) => a.auto_allocated_topology.id));
    expect(ids.size).toBe(1);
    expect((await own("alice", "networks")).map((n) => n.id)).toEqual([...ids]);
    expect(await own("alice", "routers")).toHaveLength(1);
  });
});
