/**
 * Servers on Neutron: the networks a create asks for become ports (made in the create's
 * transaction, bound when the server is built, deleted or unbound when it goes), with
 * nova's answers for every way the request can be wrong.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Caller,
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  keysOf,
  NETWORK_ID,
  TINY,
} from "../../../test/compute-harness.js";
import { PUBLIC_NETWORK_ID } from "../../services/network/bootstrap-network.js";
import type { FakeDriver } from "../../virt/fake/driver.js";

let h: ComputeHarness;

beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

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

/** A network of the caller's with one IPv4 subnet of `cidr`. */
async function network(name: string, cidr: string, as: Caller = "demo"): Promise<string> {
  const { network: net } = await neutron("POST", "/networks", { network: { name } }, as);
  await neutron("POST", "/subnets", { subnet: { network_id: net.id, ip_version: 4, cidr } }, as);
  return net.id;
}

const create = (networks: unknown, options: { as?: Caller; version?: string; count?: number } = {}) =>
  h.call({
    method: "POST",
    url: "/servers",
    as: options.as ?? "demo",
    version: options.version ?? "2.37",
    body: {
      server: {
        name: "nic",
        imageRef: IMAGE_ID,
        flavorRef: TINY,
        ...(networks !== undefined && { networks }),
        ...(options.count !== undefined && { min_count: options.count, max_count: options.count }),
      },
    },
  });

const portsOf = async (serverId: string) =>
  (await neutron("GET", `/ports?device_id=${serverId}`, undefined, "admin")).ports;

describe("server create on Neutron networks", () => {
  it("makes a port on the network asked for, binds it at build and deletes it with the server", async () => {
    const r = await create([{ uuid: NETWORK_ID }]);
    expect(r.status).toBe(202);
    const id = r.json.server.id;
    const [port] = await portsOf(id);
    expect(port).toMatchObject({
      network_id: NETWORK_ID,
      device_owner: "compute:nova",
      project_id: h.projects.demo,
    });
    await h.drain();
    const [bound] = await portsOf(id);
    expect(bound).toMatchObject({ status: "ACTIVE", "binding:vif_type": "ovs" });
    expect(bound["binding:host_id"]).not.toBe("");
    const server = await h.show(id);
    const shown = server.addresses.private.map((a: { addr: string }) => a.addr);
    expect(shown.sort()).toEqual(bound.fixed_ips.map((ip: { ip_address: string }) => ip.ip_address).sort());
    expect(server.addresses.private[0]["OS-EXT-IPS-MAC:mac_addr"]).toBe(bound.mac_address);
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    expect(await portsOf(id)).toEqual([]);
  });

  it("plugs in a port the user brought and only unbinds it when the server goes", async () => {
    const { port } = await neutron("POST", "/ports", { port: { network_id: NETWORK_ID, name: "mine" } });
    const r = await create([{ port: port.id }]);
    expect(r.status).toBe(202);
    await h.drain();
    const shown = (await neutron("GET", `/ports/${port.id}`)).port;
    expect(shown).toMatchObject({
      device_id: r.json.server.id,
      device_owner: "compute:nova",
      status: "ACTIVE",
    });
    const again = await create([{ port: port.id }]);
    expect(again.status).toBe(409);
    expect(again.json.conflictingRequest.message).toBe(`Port ${port.id} is still in use.`);
    await h.call({ method: "DELETE", url: `/servers/${r.json.server.id}` });
    await h.drain();
    const kept = (await neutron("GET", `/ports/${port.id}`, undefined, "admin")).port;
    expect(kept).toMatchObject({ device_id: "", device_owner: "", status: "DOWN", "binding:host_id": "" });
    await neutron("DELETE", `/ports/${port.id}`);
  });

  it("shows a floating IP after the fixed address it maps to (through the bootstrap's router1)", async () => {
    const r = await create([{ uuid: NETWORK_ID }]);
    const id = r.json.server.id;
    await h.drain();
    const [port] = await portsOf(id);
    const v4 = port.fixed_ips.find((ip: { ip_address: string }) => !ip.ip_address.includes(":")).ip_address;
    const { floatingip } = await neutron("POST", "/floatingips", {
      floatingip: { floating_network_id: PUBLIC_NETWORK_ID, port_id: port.id },
    });
    expect(floatingip.floating_ip_address).toMatch(/^172\.24\.4\./);
    const addresses = (await h.show(id)).addresses.private;
    const at = addresses.findIndex((a: { addr: string }) => a.addr === v4);
    expect(addresses[at + 1]).toEqual({
      version: 4,
      addr: floatingip.floating_ip_address,
      "OS-EXT-IPS:type": "floating",
      "OS-EXT-IPS-MAC:mac_addr": port.mac_address,
    });
    await neutron("DELETE", `/floatingips/${floatingip.id}`);
    expect((await h.show(id)).addresses.private.map((a: { addr: string }) => a.addr)).not.toContain(
      floatingip.floating_ip_address,
    );
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
  });

  it("takes a requested fixed IP and refuses one already in use", async () => {
    const r = await create([{ uuid: NETWORK_ID, fixed_ip: "10.0.0.40" }]);
    expect(r.status).toBe(202);
    const taken = await create([{ uuid: NETWORK_ID, fixed_ip: "10.0.0.40" }]);
    expect(taken.status).toBe(400);
    expect(taken.json.badRequest.message).toBe(
      `Fixed IP address 10.0.0.40 is already in use on instance ${r.json.server.id}.`,
    );
    await h.call({ method: "DELETE", url: `/servers/${r.json.server.id}` });
    await h.drain();
  });

  it.each([
    [
      [{ uuid: "11111111-2222-4333-8444-555555555555" }],
      400,
      "Network 11111111-2222-4333-8444-555555555555 could not be found.",
    ],
    [
      [{ port: "11111111-2222-4333-8444-555555555555" }],
      400,
      "Port id 11111111-2222-4333-8444-555555555555 could not be found.",
    ],
    [
      [{ uuid: PUBLIC_NETWORK_ID }],
      403,
      `It is not allowed to create an interface on external network ${PUBLIC_NETWORK_ID}`,
    ],
  ])("answers nova's error for networks %j", async (networks, status, message) => {
    const r = await create(networks);
    expect(r.status).toBe(status);
    expect((Object.values(r.json)[0] as { message: string }).message).toBe(message);
  });

  it("refuses a network without a subnet, one port for many servers and a fixed IP for many", async () => {
    const { network: bare } = await neutron("POST", "/networks", { network: { name: "bare" } });
    const r = await create([{ uuid: bare.id }]);
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(
      `Network ${bare.id} requires a subnet in order to boot instances on.`,
    );
    const { port } = await neutron("POST", "/ports", { port: { network_id: NETWORK_ID } });
    const many = await create([{ port: port.id }], { count: 2 });
    expect(many.status).toBe(400);
    expect(many.json.badRequest.message).toMatch(
      /^Failed to launch instances: Unable to launch multiple instances/,
    );
    const fixed = await create([{ uuid: NETWORK_ID, fixed_ip: "10.0.0.50" }], { count: 2 });
    expect(fixed.status).toBe(400);
    expect(fixed.json.badRequest.message).toBe(
      "Failed to launch instances: max_count cannot be greater than 1 if an fixed_ip is specified.",
    );
    await neutron("DELETE", `/ports/${port.id}`);
    await neutron("DELETE", `/networks/${bare.id}`);
  });

  it("keeps a network with servers on it from being deleted", async () => {
    const net = await network("busy", "192.168.77.0/24");
    const r = await create([{ uuid: net }]);
    expect(r.status).toBe(202);
    const refused = await h.call({ method: "DELETE", url: `/network/v2.0/networks/${net}` });
    expect(refused.status).toBe(409);
    expect(refused.json.NeutronError.type).toBe("NetworkInUse");
    await h.call({ method: "DELETE", url: `/servers/${r.json.server.id}` });
    await h.drain();
    await neutron("DELETE", `/networks/${net}`);
  });

  it("with no choice made: none for a project without a network, auto-allocated for auto, 409 with two", async () => {
    const none = await create(undefined, { as: "other", version: "2.36" });
    expect(none.status).toBe(202);
    // auto: Neutron's auto-allocated topology, made on first use on the external network
    const auto = await create("auto", { as: "other" });
    expect(auto.status).toBe(202);
    await h.drain();
    expect(Object.keys((await h.show(none.json.server.id, { as: "other" })).addresses)).toEqual([]);
    expect(Object.keys((await h.show(auto.json.server.id, { as: "other" })).addresses)).toEqual([
      "auto_allocated_network",
    ]);
    // ... and from then on the project's one network
    const one = await create(undefined, { as: "other", version: "2.36" });
    expect(one.status).toBe(202);
    await h.drain();
    expect(Object.keys((await h.show(one.json.server.id, { as: "other" })).addresses)).toEqual([
      "auto_allocated_network",
    ]);
    const second = await network("other-net-2", "192.168.89.0/24", "other");
    const ambiguous = await create(undefined, { as: "other", version: "2.36" });
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.json.conflictingRequest.message).toBe(
      "Multiple possible networks found, use a Network ID to be more specific.",
    );
    for (const id of [none.json.server.id, auto.json.server.id, one.json.server.id])
      await h.call({ method: "DELETE", url: `/servers/${id}`, as: "other" });
    await h.drain();
    await neutron("DELETE", `/networks/${second}`, undefined, "other");
    await neutron("DELETE", `/auto-allocated-topology/${h.projects.other}`, undefined, "other");
  });

  it("never hands one address to two servers created at once on a small subnet", async () => {
    // a /29 holds 5 addresses after the gateway: 12 racing creates, 5 servers
    const net = await network("tiny", "192.168.99.0/29");
    const answers = await Promise.all(Array.from({ length: 12 }, () => create([{ uuid: net }])));
    const accepted = answers.filter((r) => r.status === 202);
    expect(accepted).toHaveLength(5);
    for (const r of answers.filter((a) => a.status !== 202)) {
      expect(r.status).toBe(409);
      expect(r.json.conflictingRequest.message).toBe(`No fixed IP addresses available for network: ${net}`);
    }
    await h.drain();
    const addresses = [];
    for (const r of accepted)
      addresses.push(
        ...(await portsOf(r.json.server.id)).flatMap((p: { fixed_ips: Array<{ ip_address: string }> }) =>
          p.fixed_ips.map((ip) => ip.ip_address),
        ),
      );
    expect(new Set(addresses).size).toBe(5);
    for (const r of accepted) await h.call({ method: "DELETE", url: `/servers/${r.json.server.id}` });
    await h.drain();
    await neutron("DELETE", `/networks/${net}`);
  });
});

describe("os-interface", () => {
  it("lists, attaches by network, port and fixed IP, shows and detaches a server's NICs", async () => {
    const net = await network("second", "192.168.60.0/24");
    const r = await create([{ uuid: NETWORK_ID }]);
    const id = r.json.server.id;
    await h.drain();
    const base = `/servers/${id}/os-interface`;
    const listed = await h.call({ url: base, version: "2.70" });
    expect(listed.status).toBe(200);
    expect(listed.json.interfaceAttachments).toHaveLength(1);
    expect(listed.json.interfaceAttachments[0]).toMatchObject({
      net_id: NETWORK_ID,
      port_state: "ACTIVE",
      tag: null,
    });

    const byNet = await h.call({
      method: "POST",
      url: base,
      version: "2.70",
      body: {
        interfaceAttachment: { net_id: net, fixed_ips: [{ ip_address: "192.168.60.9" }], tag: "data" },
      },
    });
    expect(byNet.status).toBe(200);
    expect(byNet.json.interfaceAttachment).toMatchObject({
      net_id: net,
      fixed_ips: [{ ip_address: "192.168.60.9" }],
      port_state: "ACTIVE",
      tag: "data",
    });
    const { port } = await neutron("POST", "/ports", { port: { network_id: net } });
    const byPort = await h.call({
      method: "POST",
      url: base,
      body: { interfaceAttachment: { port_id: port.id } },
    });
    expect(byPort.status).toBe(200);
    expect(keysOf(byPort.json.interfaceAttachment)).toEqual([
      "fixed_ips",
      "mac_addr",
      "net_id",
      "port_id",
      "port_state",
    ]);
    const server = await h.show(id);
    expect(Object.keys(server.addresses)).toEqual(["private", "second"]);
    expect(server.addresses.second.map((a: { addr: string }) => a.addr)).toContain("192.168.60.9");

    const shown = await h.call({ url: `${base}/${port.id}` });
    expect(shown.json.interfaceAttachment.port_id).toBe(port.id);
    const actions = await h.call({ url: `/servers/${id}/os-instance-actions` });
    expect(actions.json.instanceActions.map((a: { action: string }) => a.action)).toContain(
      "attach_interface",
    );

    for (const portId of [byNet.json.interfaceAttachment.port_id, port.id]) {
      const gone = await h.call({ method: "DELETE", url: `${base}/${portId}` });
      expect(gone.status).toBe(202);
    }
    expect((await h.call({ url: base })).json.interfaceAttachments).toHaveLength(1);
    // the port the user brought stays, unplugged; the one nimbus made is gone
    expect((await neutron("GET", `/ports/${port.id}`)).port.device_id).toBe("");
    expect(
      (await h.call({ url: `/network/v2.0/ports/${byNet.json.interfaceAttachment.port_id}` })).status,
    ).toBe(404);
    const missing = await h.call({ url: `${base}/${port.id}` });
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.message).toBe(`Instance ${id} does not have a port with id ${port.id}`);
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
    await neutron("DELETE", `/ports/${port.id}`);
    await neutron("DELETE", `/networks/${net}`);
  });

  it("answers nova's errors", async () => {
    const r = await create([{ uuid: NETWORK_ID }]);
    const id = r.json.server.id;
    await h.drain();
    const base = `/servers/${id}/os-interface`;
    const post = (body: unknown) =>
      h.call({ method: "POST", url: base, body: { interfaceAttachment: body } });
    const both = await post({ net_id: NETWORK_ID, port_id: NETWORK_ID });
    expect(both.json.badRequest.message).toBe("Must not input both network_id and port_id");
    const ipOnly = await post({ fixed_ips: [{ ip_address: "10.0.0.9" }] });
    expect(ipOnly.json.badRequest.message).toBe("Must input network_id when request IP address");
    const unknown = await post({ net_id: "11111111-2222-4333-8444-555555555555" });
    expect(unknown.status).toBe(404);
    const [ip] = (await portsOf(id))[0].fixed_ips;
    const taken = await post({ net_id: NETWORK_ID, fixed_ips: [{ ip_address: ip.ip_address }] });
    expect(taken.status).toBe(409);
    expect(taken.json.conflictingRequest.message).toBe(
      `Fixed IP address ${ip.ip_address} is already in use on instance ${id}.`,
    );
    await h.action(id, { pause: null });
    await h.drain();
    expect((await post({})).status).toBe(200);
    await h.action(id, { suspend: null }).catch(() => undefined);
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
  });
});

describe("ports on the host", () => {
  it("plugs a server's ports in on its host at build, with an attach, and unplugs them on detach and delete", async () => {
    const driver = h.nimbus.drivers.get(h.nimbus.drivers.hosts[0]!) as FakeDriver;
    const id = await h.activeServer({ version: "2.37", server: { networks: [{ uuid: NETWORK_ID }] } });
    const [port] = await portsOf(id);
    expect(driver.vifs().get(id)).toEqual([
      { portId: port.id, mac: port.mac_address, networkId: NETWORK_ID },
    ]);
    const attached = await h.call({
      method: "POST",
      url: `/servers/${id}/os-interface`,
      body: { interfaceAttachment: {} },
    });
    const added = attached.json.interfaceAttachment.port_id;
    expect(
      driver
        .vifs()
        .get(id)
        ?.map((v) => v.portId),
    ).toEqual([port.id, added]);
    await h.call({ method: "DELETE", url: `/servers/${id}/os-interface/${added}` });
    expect(
      driver
        .vifs()
        .get(id)
        ?.map((v) => v.portId),
    ).toEqual([port.id]);
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
    expect(driver.vifs().has(id)).toBe(false);
  });
});
