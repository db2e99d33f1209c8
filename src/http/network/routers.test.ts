import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { ADMIN, ALICE, BOB, PROJECT_A } from "../../services/image/testing.js";
import { NeutronService } from "../../services/network/neutron-service.js";
import type { Db } from "../../store/database.js";
import { isUniqueViolation } from "../../store/identity-repository.js";
import { openTestDatabase } from "../../store/testing.js";
import { createHttpServer } from "../app.js";
import { registerNetwork } from "./router.js";

const PUBLIC_URL = "http://cloud.test:8774";
const TOKENS: Record<string, AuthContext> = { alice: ALICE, bob: BOB, admin: ADMIN };
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field, as a client would
type Json = Record<string, any>;

describe("Neutron routers and floating IPs under /network", () => {
  let app: FastifyInstance;
  let db: Db;
  let neutron: NeutronService;
  let close: () => Promise<void>;

  beforeEach(async () => {
    const t = await openTestDatabase();
    close = t.close;
    db = t.db;
    neutron = new NeutronService(t.db);
    const config = defaultConfig({ dataDir: t.dataDir, logLevel: "silent", publicUrl: PUBLIC_URL });
    app = createHttpServer(config);
    await registerNetwork(app, {
      neutron,
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
  const router = async (token: string, body: Json = {}) =>
    (await ok(call("POST", "/v2.0/routers", token, { router: { name: "r1", ...body } }), 201)).router;
  const addInterface = (token: string, routerId: string, body: Json) =>
    call("PUT", `/v2.0/routers/${routerId}/add_router_interface`, token, body);
  const removeInterface = (token: string, routerId: string, body: Json) =>
    call("PUT", `/v2.0/routers/${routerId}/remove_router_interface`, token, body);
  const floatingIp = async (token: string, body: Json) =>
    (await ok(call("POST", "/v2.0/floatingips", token, { floatingip: body }), 201)).floatingip;

  /** An external network with a subnet (admin's), and alice's private network and subnet. */
  async function topology(externalCidr = "203.0.113.0/24") {
    const ext = await network("admin", { name: "ext-net", "router:external": true });
    const extSubnet = await subnet("admin", ext.id, { cidr: externalCidr, enable_dhcp: false });
    const net = await network("alice");
    const sub = await subnet("alice", net.id);
    return { ext, extSubnet, net, sub };
  }

  /** The topology, with alice's router r1 joining both, and a port of hers on the private subnet. */
  async function routed(externalCidr?: string) {
    const t = await topology(externalCidr);
    const r = await router("alice", { external_gateway_info: { network_id: t.ext.id } });
    await ok(addInterface("alice", r.id, { subnet_id: t.sub.id }), 200);
    const vm = await port("alice", t.net.id, { device_owner: "compute:nova", device_id: "vm-1" });
    return { ...t, router: r, vm };
  }

  describe("discovery", () => {
    it("lists routers and floatingips, the L3 extensions, and their quotas", async () => {
      const resources = await ok(call("GET", "/v2.0", "alice"), 200);
      expect(resources.resources.map((x: Json) => x.collection)).toEqual(
        expect.arrayContaining(["routers", "floatingips"]),
      );
      const { extensions } = await ok(call("GET", "/v2.0/extensions", "alice"), 200);
      const aliases = extensions.map((e: Json) => e.alias);
      for (const alias of ["router", "ext-gw-mode", "extraroute", "fip-port-details"])
        expect(aliases).toContain(alias);
      expect(aliases).not.toContain("l3_agent_scheduler");
      const l3 = (await ok(call("GET", "/v2.0/extensions/router", "alice"), 200)).extension;
      expect(l3).toMatchObject({ name: "Neutron L3 Router", updated: "2012-07-20T10:00:00-00:00" });
      const quota = (await ok(call("GET", `/v2.0/quotas/${PROJECT_A}`, "alice"), 200)).quota;
      expect(quota).toMatchObject({ router: 10, floatingip: 50 });
    });
  });

  describe("routers", () => {
    it("creates, shows, lists, updates and deletes a router, with tags", async () => {
      const r = await router("alice", { description: "edge" });
      expect(r).toMatchObject({
        name: "r1",
        description: "edge",
        admin_state_up: true,
        status: "ACTIVE",
        external_gateway_info: null,
        routes: [],
        project_id: PROJECT_A,
        tenant_id: PROJECT_A,
        revision_number: 1,
        tags: [],
      });
      expect((await ok(call("GET", `/v2.0/routers/${r.id}`, "alice"), 200)).router.id).toBe(r.id);
      const renamed = (
        await ok(
          call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { name: "r2", admin_state_up: false } }),
          200,
        )
      ).router;
      expect(renamed).toMatchObject({ name: "r2", admin_state_up: false, revision_number: 2 });
      await ok(call("PUT", `/v2.0/routers/${r.id}/tags/blue`, "alice"), 201);
      const tagged = await ok(call("GET", "/v2.0/routers?tags=blue&name=r2", "alice"), 200);
      expect(tagged.routers.map((x: Json) => x.id)).toEqual([r.id]);
      await ok(call("DELETE", `/v2.0/routers/${r.id}`, "alice"), 204);
      await fault(call("GET", `/v2.0/routers/${r.id}`, "alice"), 404, "RouterNotFound");
      await fault(call("DELETE", `/v2.0/routers/${r.id}`, "alice"), 404, "RouterNotFound");
    });

    it("keeps a project's routers from another project", async () => {
      const r = await router("alice");
      expect((await ok(call("GET", "/v2.0/routers", "bob"), 200)).routers).toEqual([]);
      await fault(call("GET", `/v2.0/routers/${r.id}`, "bob"), 404, "RouterNotFound");
      await fault(
        call("PUT", `/v2.0/routers/${r.id}`, "bob", { router: { name: "x" } }),
        404,
        "RouterNotFound",
      );
      await fault(call("DELETE", `/v2.0/routers/${r.id}`, "bob"), 404, "RouterNotFound");
      await fault(call("PUT", `/v2.0/routers/${r.id}/tags/x`, "bob"), 404, "RouterNotFound");
      expect((await ok(call("GET", "/v2.0/routers", "admin"), 200)).routers).toHaveLength(1);
    });

    it("sets a gateway: a port on the external network, shown as external_fixed_ips", async () => {
      const { ext, extSubnet } = await topology();
      const r = await router("alice", { external_gateway_info: { network_id: ext.id } });
      expect(r.external_gateway_info).toEqual({
        network_id: ext.id,
        enable_snat: true,
        external_fixed_ips: [{ subnet_id: extSubnet.id, ip_address: "203.0.113.2" }],
      });
      const gw = (await ok(call("GET", `/v2.0/ports?device_id=${r.id}`, "admin"), 200)).ports;
      expect(gw).toHaveLength(1);
      expect(gw[0]).toMatchObject({
        device_owner: "network:router_gateway",
        project_id: "",
        network_id: ext.id,
      });
      // the port is the router's: not deletable through the port API
      await fault(call("DELETE", `/v2.0/ports/${gw[0].id}`, "admin"), 409, "ServicePortInUse");
      // clearing with {} removes the port
      const cleared = (
        await ok(
          call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { external_gateway_info: {} } }),
          200,
        )
      ).router;
      expect(cleared.external_gateway_info).toBeNull();
      expect((await ok(call("GET", `/v2.0/ports?device_id=${r.id}`, "admin"), 200)).ports).toEqual([]);
      // deleting the router removes its gateway port too
      await ok(
        call("PUT", `/v2.0/routers/${r.id}`, "alice", {
          router: { external_gateway_info: { network_id: ext.id } },
        }),
        200,
      );
      await ok(call("DELETE", `/v2.0/routers/${r.id}`, "alice"), 204);
      expect((await ok(call("GET", `/v2.0/ports?network_id=${ext.id}`, "admin"), 200)).ports).toEqual([]);
    });

    it("refuses a gateway on a network that is not external, and admin-only gateway settings", async () => {
      const { ext, extSubnet, net } = await topology();
      const message = await fault(
        call("POST", "/v2.0/routers", "alice", { router: { external_gateway_info: { network_id: net.id } } }),
        400,
        "BadRequest",
      );
      expect(message).toBe(`Bad router request: Network ${net.id} is not an external network.`);
      await fault(
        call("POST", "/v2.0/routers", "alice", {
          router: {
            external_gateway_info: {
              network_id: ext.id,
              external_fixed_ips: [{ subnet_id: extSubnet.id, ip_address: "203.0.113.9" }],
            },
          },
        }),
        403,
        "PolicyNotAuthorized",
      );
      await fault(
        call("POST", "/v2.0/routers", "alice", {
          router: { external_gateway_info: { network_id: ext.id, enable_snat: false } },
        }),
        403,
        "PolicyNotAuthorized",
      );
      await fault(
        call("POST", "/v2.0/routers", "alice", { router: { external_gateway_info: { enable_snat: false } } }),
        400,
        "HTTPBadRequest",
      );
      const bobsNet = await network("bob");
      await fault(
        call("POST", "/v2.0/routers", "alice", {
          router: { external_gateway_info: { network_id: bobsNet.id } },
        }),
        404,
        "NetworkNotFound",
      );
      // nothing was left behind by the refused creates
      expect((await ok(call("GET", "/v2.0/routers", "admin"), 200)).routers).toEqual([]);
      const r = await router("admin", {
        external_gateway_info: {
          network_id: ext.id,
          enable_snat: false,
          external_fixed_ips: [{ subnet_id: extSubnet.id, ip_address: "203.0.113.9" }],
        },
      });
      expect(r.external_gateway_info).toEqual({
        network_id: ext.id,
        enable_snat: false,
        external_fixed_ips: [{ subnet_id: extSubnet.id, ip_address: "203.0.113.9" }],
      });
    });

    it("adds and removes an interface by subnet: the port holds the subnet's gateway address", async () => {
      const { net, sub } = await topology();
      const r = await router("alice");
      const info = await ok(addInterface("alice", r.id, { subnet_id: sub.id }), 200);
      expect(info).toMatchObject({
        id: r.id,
        tenant_id: PROJECT_A,
        project_id: PROJECT_A,
        subnet_id: sub.id,
        subnet_ids: [sub.id],
        network_id: net.id,
      });
      const p = (await ok(call("GET", `/v2.0/ports/${info.port_id}`, "alice"), 200)).port;
      expect(p).toMatchObject({
        device_owner: "network:router_interface",
        device_id: r.id,
        project_id: PROJECT_A,
        fixed_ips: [{ subnet_id: sub.id, ip_address: "10.0.0.1" }],
      });
      // one interface per subnet and router; and the gateway address has one holder
      expect(await fault(addInterface("alice", r.id, { subnet_id: sub.id }), 400, "BadRequest")).toBe(
        `Bad router request: Router already has a port on subnet ${sub.id}.`,
      );
      const other = await router("alice", { name: "r2" });
      await fault(addInterface("alice", other.id, { subnet_id: sub.id }), 409, "IpAddressAlreadyAllocated");
      // the interface keeps the router, the subnet and its port in use
      await fault(call("DELETE", `/v2.0/routers/${r.id}`, "alice"), 409, "RouterInUse");
      await fault(call("DELETE", `/v2.0/subnets/${sub.id}`, "alice"), 409, "SubnetInUse");
      await fault(call("DELETE", `/v2.0/ports/${p.id}`, "alice"), 409, "ServicePortInUse");
      const removed = await ok(removeInterface("alice", r.id, { subnet_id: sub.id }), 200);
      expect(removed).toMatchObject({ id: r.id, port_id: p.id, subnet_id: sub.id, network_id: net.id });
      await fault(call("GET", `/v2.0/ports/${p.id}`, "alice"), 404, "PortNotFound");
      expect(
        await fault(
          removeInterface("alice", r.id, { subnet_id: sub.id }),
          404,
          "RouterInterfaceNotFoundForSubnet",
        ),
      ).toBe(`Router ${r.id} has no interface on subnet ${sub.id}`);
      await ok(call("DELETE", `/v2.0/routers/${r.id}`, "alice"), 204);
      await ok(call("DELETE", `/v2.0/subnets/${sub.id}`, "alice"), 204);
    });

    it("adds and removes an interface by port", async () => {
      const { net, sub } = await topology();
      const r = await router("alice");
      const p = await port("alice", net.id);
      const info = await ok(addInterface("alice", r.id, { port_id: p.id }), 200);
      expect(info).toMatchObject({ port_id: p.id, subnet_ids: [sub.id], network_id: net.id });
      const attached = (await ok(call("GET", `/v2.0/ports/${p.id}`, "alice"), 200)).port;
      expect(attached).toMatchObject({ device_owner: "network:router_interface", device_id: r.id });
      const other = await router("alice", { name: "r2" });
      await fault(addInterface("alice", other.id, { port_id: p.id }), 409, "PortInUse");
      await fault(removeInterface("alice", other.id, { port_id: p.id }), 404, "RouterInterfaceNotFound");
      const unrelated = (await subnet("alice", (await network("alice")).id, { cidr: "10.9.0.0/24" })).id;
      await fault(
        removeInterface("alice", r.id, { port_id: p.id, subnet_id: unrelated }),
        400,
        "SubnetMismatchForPort",
      );
      await ok(removeInterface("alice", r.id, { port_id: p.id }), 200);
      await fault(call("GET", `/v2.0/ports/${p.id}`, "alice"), 404, "PortNotFound");
      // a port without addresses cannot be an interface
      const bare = await port("alice", net.id, { fixed_ips: [] });
      await fault(addInterface("alice", r.id, { port_id: bare.id }), 400, "BadRequest");
    });

    it("checks the interface request as Neutron does", async () => {
      const { sub } = await topology();
      const r = await router("alice");
      expect(await fault(addInterface("alice", r.id, {}), 400, "BadRequest")).toBe(
        "Bad router request: Either subnet_id or port_id must be specified.",
      );
      await fault(addInterface("alice", r.id, { subnet_id: sub.id, port_id: sub.id }), 400, "BadRequest");
      await fault(addInterface("alice", r.id, { subnet_id: "nope" }), 400, "BadRequest");
      const noGateway = await subnet("alice", (await network("alice")).id, {
        cidr: "10.5.0.0/24",
        gateway_ip: null,
      });
      expect(await fault(addInterface("alice", r.id, { subnet_id: noGateway.id }), 400, "BadRequest")).toBe(
        "Bad router request: Subnet for router interface must have a gateway IP.",
      );
      await fault(addInterface("bob", r.id, { subnet_id: sub.id }), 404, "RouterNotFound");
      const bobs = await router("bob");
      await fault(addInterface("bob", bobs.id, { subnet_id: sub.id }), 404, "SubnetNotFound");
      await fault(
        addInterface("alice", "00000000-0000-0000-0000-000000000000", { subnet_id: sub.id }),
        404,
        "RouterNotFound",
      );
    });

    it("sets routes whose nexthop is on a connected subnet (extraroute)", async () => {
      const { sub } = await topology();
      const r = await router("alice");
      const route = { destination: "192.168.0.0/24", nexthop: "10.0.0.7" };
      const refused = await fault(
        call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { routes: [route] } }),
        400,
        "InvalidRoutes",
      );
      expect(refused).toContain("the nexthop is not connected with router");
      await ok(addInterface("alice", r.id, { subnet_id: sub.id }), 200);
      const updated = (
        await ok(call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { routes: [route] } }), 200)
      ).router;
      expect(updated.routes).toEqual([route]);
      await fault(
        call("PUT", `/v2.0/routers/${r.id}`, "alice", {
          router: { routes: [{ ...route, nexthop: "10.0.0.1" }] },
        }),
        400,
        "InvalidRoutes",
      );
      await fault(removeInterface("alice", r.id, { subnet_id: sub.id }), 409, "RouterInterfaceInUseByRoute");
      await ok(call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { routes: [] } }), 200);
      await ok(removeInterface("alice", r.id, { subnet_id: sub.id }), 200);
      await fault(
        call("POST", "/v2.0/routers", "alice", { router: { routes: [route] } }),
        400,
        "HTTPBadRequest",
      );
    });
  });

  describe("floating IPs", () => {
    it("allocates an address of the external network through a port of its own; delete releases it", async () => {
      const { ext, extSubnet } = await topology();
      const fip = await floatingIp("alice", { floating_network_id: ext.id, description: "web" });
      expect(fip).toMatchObject({
        floating_network_id: ext.id,
        floating_ip_address: "203.0.113.2",
        status: "DOWN",
        port_id: null,
        fixed_ip_address: null,
        router_id: null,
        port_details: null,
        description: "web",
        project_id: PROJECT_A,
      });
      expect(fip).not.toHaveProperty("subnet_id");
      const held = (await ok(call("GET", `/v2.0/ports?device_id=${fip.id}`, "admin"), 200)).ports;
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({ device_owner: "network:floatingip", project_id: "" });
      await fault(call("DELETE", `/v2.0/ports/${held[0].id}`, "admin"), 409, "ServicePortInUse");
      await ok(call("DELETE", `/v2.0/floatingips/${fip.id}`, "alice"), 204);
      expect((await ok(call("GET", `/v2.0/ports?device_id=${fip.id}`, "admin"), 200)).ports).toEqual([]);
      await fault(call("GET", `/v2.0/floatingips/${fip.id}`, "alice"), 404, "FloatingIPNotFound");
      // the address is free again
      const again = await floatingIp("alice", { floating_network_id: ext.id, subnet_id: extSubnet.id });
      expect(again.floating_ip_address).toBe("203.0.113.2");
    });

    it("refuses a network that is not external, and a chosen address to members", async () => {
      const { ext, net } = await topology();
      expect(
        await fault(
          call("POST", "/v2.0/floatingips", "alice", { floatingip: { floating_network_id: net.id } }),
          400,
          "BadRequest",
        ),
      ).toBe(`Bad floatingip request: Network ${net.id} is not a valid external network.`);
      await fault(
        call("POST", "/v2.0/floatingips", "alice", {
          floatingip: { floating_network_id: ext.id, floating_ip_address: "203.0.113.50" },
        }),
        403,
        "PolicyNotAuthorized",
      );
      await fault(call("POST", "/v2.0/floatingips", "alice", { floatingip: {} }), 400, "HTTPBadRequest");
      const chosen = await floatingIp("admin", {
        floating_network_id: ext.id,
        floating_ip_address: "203.0.113.50",
      });
      expect(chosen.floating_ip_address).toBe("203.0.113.50");
      await fault(
        call("POST", "/v2.0/floatingips", "admin", {
          floatingip: { floating_network_id: ext.id, floating_ip_address: "203.0.113.50" },
        }),
        409,
        "IpAddressAlreadyAllocated",
      );
    });

    it("associates with a port a router reaches, and disassociates", async () => {
      const { ext, router: r, vm, net } = await routed();
      const fip = await floatingIp("alice", { floating_network_id: ext.id });
      const fixed = vm.fixed_ips[0].ip_address;
      const associated = (
        await ok(call("PUT", `/v2.0/floatingips/${fip.id}`, "alice", { floatingip: { port_id: vm.id } }), 200)
      ).floatingip;
      expect(associated).toMatchObject({
        port_id: vm.id,
        fixed_ip_address: fixed,
        router_id: r.id,
        status: "ACTIVE",
        revision_number: 2,
        port_details: {
          network_id: net.id,
          mac_address: vm.mac_address,
          device_id: "vm-1",
          device_owner: "compute:nova",
          admin_state_up: true,
          name: "",
          status: "DOWN",
        },
      });
      for (const filter of [
        `port_id=${vm.id}`,
        `router_id=${r.id}`,
        `fixed_ip_address=${fixed}`,
        "status=ACTIVE",
        `floating_network_id=${ext.id}`,
        `floating_ip_address=${fip.floating_ip_address}`,
        `project_id=${PROJECT_A}`,
      ])
        expect((await ok(call("GET", `/v2.0/floatingips?${filter}`, "alice"), 200)).floatingips).toHaveLength(
          1,
        );
      expect((await ok(call("GET", "/v2.0/floatingips?status=DOWN", "alice"), 200)).floatingips).toEqual([]);
      // the association holds the interface and the gateway
      await fault(
        removeInterface("alice", r.id, {
          port_id: (
            await ok(
              call("GET", `/v2.0/ports?device_id=${r.id}&device_owner=network:router_interface`, "alice"),
              200,
            )
          ).ports[0].id,
        }),
        409,
        "RouterInterfaceInUseByFloatingIP",
      );
      await fault(
        call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { external_gateway_info: null } }),
        409,
        "RouterExternalGatewayInUseByFloatingIp",
      );
      const released = (
        await ok(call("PUT", `/v2.0/floatingips/${fip.id}`, "alice", { floatingip: { port_id: null } }), 200)
      ).floatingip;
      expect(released).toMatchObject({
        port_id: null,
        fixed_ip_address: null,
        router_id: null,
        status: "DOWN",
        port_details: null,
      });
      await ok(call("PUT", `/v2.0/routers/${r.id}`, "alice", { router: { external_gateway_info: {} } }), 200);
    });

    it("associates at create, and lets go when the port is deleted", async () => {
      const { ext, vm } = await routed();
      const fip = await floatingIp("alice", { floating_network_id: ext.id, port_id: vm.id });
      expect(fip).toMatchObject({ port_id: vm.id, status: "ACTIVE" });
      await ok(call("DELETE", `/v2.0/ports/${vm.id}`, "alice"), 204);
      const after = (await ok(call("GET", `/v2.0/floatingips/${fip.id}`, "alice"), 200)).floatingip;
      expect(after).toMatchObject({ port_id: null, fixed_ip_address: null, router_id: null, status: "DOWN" });
    });

    it("refuses associations Neutron refuses", async () => {
      const { ext, net, sub, vm } = await routed();
      const fip = await floatingIp("alice", { floating_network_id: ext.id });
      const assoc = (token: string, body: Json) =>
        call("PUT", `/v2.0/floatingips/${fip.id}`, token, { floatingip: body });
      // a subnet no router reaches
      const lonely = await network("alice");
      const lonelySub = await subnet("alice", lonely.id, { cidr: "10.7.0.0/24" });
      const stray = await port("alice", lonely.id);
      expect(
        await fault(assoc("alice", { port_id: stray.id }), 404, "ExternalGatewayForFloatingIPNotFound"),
      ).toBe(
        `External network ${ext.id} is not reachable from subnet ${lonelySub.id}.  Therefore, cannot associate Port ${stray.id} with a Floating IP.`,
      );
      // a port without addresses; two IPv4 addresses without a choice; an address it does not have
      const bare = await port("alice", net.id, { fixed_ips: [] });
      await fault(assoc("alice", { port_id: bare.id }), 400, "BadRequest");
      const two = await port("alice", net.id, { fixed_ips: [{ subnet_id: sub.id }, { subnet_id: sub.id }] });
      expect(await fault(assoc("alice", { port_id: two.id }), 400, "BadRequest")).toContain(
        "has multiple fixed IPv4 addresses",
      );
      await fault(assoc("alice", { port_id: two.id, fixed_ip_address: "10.0.0.200" }), 400, "BadRequest");
      const chosen = (
        await ok(assoc("alice", { port_id: two.id, fixed_ip_address: two.fixed_ips[1].ip_address }), 200)
      ).floatingip;
      expect(chosen.fixed_ip_address).toBe(two.fixed_ips[1].ip_address);
      await fault(assoc("alice", { fixed_ip_address: "10.0.0.9" }), 400, "BadRequest");
      // one floating IP per fixed IP
      const second = await floatingIp("alice", { floating_network_id: ext.id });
      await ok(
        call("PUT", `/v2.0/floatingips/${second.id}`, "alice", { floatingip: { port_id: vm.id } }),
        200,
      );
      expect(await fault(assoc("alice", { port_id: vm.id }), 409, "FloatingIPPortAlreadyAssociated")).toBe(
        `Cannot associate floating IP ${fip.floating_ip_address} (${fip.id}) with port ${vm.id} using fixed IP ${vm.fixed_ips[0].ip_address}, as that fixed IP already has a floating IP on external network ${ext.id}.`,
      );
      // router ports are not for floating IPs
      const gw = (await ok(call("GET", `/v2.0/ports?device_owner=network:router_interface`, "alice"), 200))
        .ports[0];
      await fault(assoc("alice", { port_id: gw.id }), 400, "BadRequest");
    });

    it("keeps a project's floating IPs, and its ports, from another project", async () => {
      const { ext, vm } = await routed();
      const fip = await floatingIp("alice", { floating_network_id: ext.id });
      expect((await ok(call("GET", "/v2.0/floatingips", "bob"), 200)).floatingips).toEqual([]);
      await fault(call("GET", `/v2.0/floatingips/${fip.id}`, "bob"), 404, "FloatingIPNotFound");
      await fault(
        call("PUT", `/v2.0/floatingips/${fip.id}`, "bob", { floatingip: { port_id: null } }),
        404,
        "FloatingIPNotFound",
      );
      await fault(call("DELETE", `/v2.0/floatingips/${fip.id}`, "bob"), 404, "FloatingIPNotFound");
      const bobs = await floatingIp("bob", { floating_network_id: ext.id });
      await fault(
        call("PUT", `/v2.0/floatingips/${bobs.id}`, "bob", { floatingip: { port_id: vm.id } }),
        404,
        "PortNotFound",
      );
      // an admin may tie a project's floating IP to another project's port only as admin
      expect((await ok(call("GET", "/v2.0/floatingips", "admin"), 200)).floatingips).toHaveLength(2);
    });

    it("never hands one external address to two concurrent creates", async () => {
      const { ext } = await topology("198.51.100.0/29"); // 5 free addresses
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          call("POST", "/v2.0/floatingips", "alice", { floatingip: { floating_network_id: ext.id } }),
        ),
      );
      const created = answers.filter((r) => r.statusCode === 201);
      expect(created).toHaveLength(5);
      for (const r of answers.filter((x) => x.statusCode !== 201))
        expect(r.json().NeutronError.type).toBe("IpAddressGenerationFailure");
      const addresses = created.map((r) => r.json().floatingip.floating_ip_address);
      expect(new Set(addresses).size).toBe(5);
    });

    it("lets exactly one of six concurrent associations of one fixed IP win", async () => {
      const { ext, vm } = await routed();
      const fips: Json[] = [];
      for (let i = 0; i < 6; i++) fips.push(await floatingIp("alice", { floating_network_id: ext.id }));
      // through the service, on connections already open (PostgreSQL's pool connects on
      // demand, 20-30 ms each), so that the six transactions really overlap
      await Promise.all(
        Array.from({ length: 6 }, () =>
          db.transaction().execute(() => new Promise((resolve) => setTimeout(resolve, 50))),
        ),
      );
      const answers = await Promise.allSettled(
        fips.map((f) => neutron.floatingIps.update(ALICE, f.id, { port_id: vm.id })),
      );
      expect(answers.filter((a) => a.status === "fulfilled")).toHaveLength(1);
      for (const a of answers)
        if (a.status === "rejected") expect((a.reason as Error).name).toBe("FloatingIPPortAlreadyAssociated");
      expect(
        (await ok(call("GET", `/v2.0/floatingips?port_id=${vm.id}`, "alice"), 200)).floatingips,
      ).toHaveLength(1);
    });

    it("has the database refuse a second floating IP on one fixed IP, whatever the service checked", async () => {
      const { ext, vm } = await routed();
      const a = await floatingIp("alice", { floating_network_id: ext.id, port_id: vm.id });
      const b = await floatingIp("alice", { floating_network_id: ext.id });
      const error = await db
        .updateTable("floatingips")
        .set({ fixed_port_id: vm.id, fixed_ip_address: a.fixed_ip_address, router_id: a.router_id })
        .where("id", "=", b.id)
        .execute()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(isUniqueViolation(error)).toBe(true);
    });
  });
});
