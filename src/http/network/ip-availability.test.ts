import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { ADMIN, ALICE, PROJECT_A } from "../../services/image/testing.js";
import { NeutronService } from "../../services/network/neutron-service.js";
import { openTestDatabase } from "../../store/testing.js";
import { createHttpServer } from "../app.js";
import { registerNetwork } from "./router.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = { alice: ALICE, admin: ADMIN };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would
type Json = Record<string, any>;

describe("Neutron network IP availability under /network", () => {
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
    return r.json();
  }

  async function fault(res: Promise<LightMyRequestResponse>, status: number, type: string): Promise<string> {
    const r = await res;
    expect(r.statusCode, r.body).toBe(status);
    expect(r.json().NeutronError.type).toBe(type);
    return r.json().NeutronError.message;
  }

  /** alice's network with a /28 (13 pool addresses) and a SLAAC /64, two ports on it; an empty admin network. */
  async function layout() {
    const { network: net } = await ok(
      call("POST", "/v2.0/networks", "alice", { network: { name: "net" } }),
      201,
    );
    const { subnet: v4 } = await ok(
      call("POST", "/v2.0/subnets", "alice", {
        subnet: { network_id: net.id, name: "v4", ip_version: 4, cidr: "10.1.0.0/28" },
      }),
      201,
    );
    const { subnet: v6 } = await ok(
      call("POST", "/v2.0/subnets", "alice", {
        subnet: {
          network_id: net.id,
          name: "v6",
          ip_version: 6,
          cidr: "fd00:1::/120",
          ipv6_ra_mode: "slaac",
          ipv6_address_mode: "slaac",
        },
      }),
      201,
    );
    for (const _ of [1, 2])
      await ok(call("POST", "/v2.0/ports", "alice", { port: { network_id: net.id } }), 201);
    const { network: empty } = await ok(
      call("POST", "/v2.0/networks", "admin", { network: { name: "empty" } }),
      201,
    );
    return { net, v4, v6, empty };
  }

  it("is listed as the network-ip-availability extension", async () => {
    const { extension } = await ok(call("GET", "/v2.0/extensions/network-ip-availability", "alice"));
    expect(extension).toMatchObject({
      name: "Network IP Availability",
      description: "Provides IP availability data for each network and subnet.",
      updated: "2015-09-24T00:00:00-00:00",
    });
  });

  it("counts each subnet's pool addresses and the ports' addresses, per network", async () => {
    const { net, v4, v6, empty } = await layout();
    const { network_ip_availability: shown } = await ok(
      call("GET", `/v2.0/network-ip-availabilities/${net.id}`, "admin"),
    );
    expect(shown).toEqual({
      network_id: net.id,
      network_name: "net",
      project_id: PROJECT_A,
      tenant_id: PROJECT_A,
      // the v6 pool is ::2 to ::ff
      total_ips: 13 + 254,
      used_ips: 4,
      subnet_ip_availability: expect.arrayContaining([
        {
          subnet_id: v4.id,
          subnet_name: "v4",
          cidr: "10.1.0.0/28",
          ip_version: 4,
          total_ips: 13,
          used_ips: 2,
        },
        {
          subnet_id: v6.id,
          subnet_name: "v6",
          cidr: "fd00:1::/120",
          ip_version: 6,
          total_ips: 254,
          used_ips: 2,
        },
      ]),
    });
    expect(shown.subnet_ip_availability).toHaveLength(2);
    const { network_ip_availabilities: all } = await ok(
      call("GET", "/v2.0/network-ip-availabilities", "admin"),
    );
    // networks made in one second list in id order
    expect(all.map((a: Json) => a.network_id).sort()).toEqual([net.id, empty.id].sort());
    expect(all.find((a: Json) => a.network_id === empty.id)).toMatchObject({
      total_ips: 0,
      used_ips: 0,
      subnet_ip_availability: [],
    });
  });

  it("filters by network, name, project and IP version, and picks fields", async () => {
    const { net, v4, empty } = await layout();
    const list = async (query: string) =>
      (await ok(call("GET", `/v2.0/network-ip-availabilities?${query}`, "admin"))).network_ip_availabilities;
    expect((await list(`network_id=${empty.id}`)).map((a: Json) => a.network_name)).toEqual(["empty"]);
    expect((await list("network_name=net")).map((a: Json) => a.network_id)).toEqual([net.id]);
    expect((await list(`project_id=${PROJECT_A}`)).map((a: Json) => a.network_id)).toEqual([net.id]);
    expect((await list(`tenant_id=${PROJECT_A}`)).map((a: Json) => a.network_id)).toEqual([net.id]);
    // the version filter keeps that version's subnets, and only networks that have one
    const v4only = await list("ip_version=4");
    expect(v4only).toHaveLength(1);
    expect(v4only[0]).toMatchObject({ total_ips: 13, used_ips: 2 });
    expect(v4only[0].subnet_ip_availability.map((s: Json) => s.subnet_id)).toEqual([v4.id]);
    expect(await list(`network_id=${net.id}&fields=network_id&fields=used_ips`)).toEqual([
      { network_id: net.id, used_ips: 4 },
    ]);
    expect(
      await fault(call("GET", "/v2.0/network-ip-availabilities?colour=red", "admin"), 400, "HTTPBadRequest"),
    ).toBe("[colour] is invalid attribute for filtering");
  });

  it("is an admin's: a member lists nothing and is told a network's is not there", async () => {
    const { net } = await layout();
    expect(await ok(call("GET", "/v2.0/network-ip-availabilities", "alice"))).toEqual({
      network_ip_availabilities: [],
    });
    expect(
      await fault(call("GET", `/v2.0/network-ip-availabilities/${net.id}`, "alice"), 404, "HTTPNotFound"),
    ).toBe("The resource could not be found.");
    const missing = "00000000-0000-4000-8000-000000000000";
    expect(
      await fault(call("GET", `/v2.0/network-ip-availabilities/${missing}`, "admin"), 404, "NetworkNotFound"),
    ).toBe(`Network ${missing} could not be found.`);
  });
});
