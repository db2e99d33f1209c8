/**
 * The network API (Neutron v2.0) driven by the real openstack CLI against a real
 * `nimbus serve`: networks, subnets and ports created, listed, shown, changed and
 * deleted, with the CLI's own flags, and a second project kept out.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clients, failure, haveClients, type NimbusProcess, startNimbusProcess } from "./support.js";

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;

describe.skipIf(!haveClients)("openstack network, subnet and port commands against nimbus serve", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: 20 });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("creates, lists, shows, sets and deletes a network, a subnet and a port", async () => {
    const net = await demo.json(["network", "create", "--description", "e2e", "e2e-net"]);
    expect(net).toMatchObject({
      name: "e2e-net",
      description: "e2e",
      status: "ACTIVE",
      mtu: 1500,
      shared: false,
    });
    const subnet = await demo.json([
      "subnet",
      "create",
      "--network",
      "e2e-net",
      "--subnet-range",
      "192.168.50.0/24",
      "--dns-nameserver",
      "192.168.50.53",
      "e2e-subnet",
    ]);
    expect(subnet).toMatchObject({ name: "e2e-subnet", cidr: "192.168.50.0/24", gateway_ip: "192.168.50.1" });
    const port = await demo.json([
      "port",
      "create",
      "--network",
      "e2e-net",
      "--fixed-ip",
      "ip-address=192.168.50.10",
      "e2e-port",
    ]);
    expect(port).toMatchObject({ name: "e2e-port", status: "DOWN" });
    expect(JSON.stringify(port.fixed_ips)).toContain("192.168.50.10");
    expect(port.mac_address).toMatch(/^fa:16:3e:/);

    const networks: Array<{ Name: string }> = await demo.json(["network", "list"]);
    expect(networks.map((n) => n.Name)).toContain("e2e-net");
    const ports: Array<{ Name: string }> = await demo.json(["port", "list", "--network", "e2e-net"]);
    expect(ports.map((p) => p.Name)).toEqual(["e2e-port"]);

    await demo.openstack(["network", "set", "--name", "e2e-net2", "--tag", "blue", "e2e-net"]);
    const shown = await demo.json(["network", "show", "e2e-net2"]);
    expect(shown).toMatchObject({ name: "e2e-net2", tags: ["blue"] });
    expect(shown.revision_number).toBeGreaterThan(1);
    await demo.openstack(["subnet", "set", "--name", "e2e-subnet2", "e2e-subnet"]);
    expect(await demo.json(["subnet", "show", "e2e-subnet2"])).toMatchObject({ cidr: "192.168.50.0/24" });
    await demo.openstack(["port", "set", "--name", "e2e-port2", "--description", "p", "e2e-port"]);
    expect(await demo.json(["port", "show", "e2e-port2"])).toMatchObject({ description: "p" });

    // the address is taken; the network is in use while the port lives
    const taken = await failure(
      demo.openstack([
        "port",
        "create",
        "--network",
        "e2e-net2",
        "--fixed-ip",
        "ip-address=192.168.50.10",
        "dup",
      ]),
    );
    expect(taken.message).toMatch(/already allocated/);
    expect((await failure(demo.openstack(["network", "delete", "e2e-net2"]))).message).toMatch(
      /in use|still in use/i,
    );

    // another project does not see it
    const seen: Array<{ Name: string }> = await admin.json(["network", "list", "--project", "admin"]);
    expect(seen.map((n) => n.Name)).not.toContain("e2e-net2");

    await demo.openstack(["port", "delete", "e2e-port2"]);
    await demo.openstack(["subnet", "delete", "e2e-subnet2"]);
    await demo.openstack(["network", "delete", "e2e-net2"]);
    expect((await demo.json(["network", "list"])).map((n: { Name: string }) => n.Name)).not.toContain(
      "e2e-net2",
    );
  }, 180_000);

  it("lets the admin make a shared network the demo project sees, and lists the zone", async () => {
    await admin.json(["network", "create", "--share", "public-net"]);
    const refused = await failure(demo.openstack(["network", "create", "--share", "mine"]));
    expect(refused.message).toMatch(/disallowed by policy|403/);
    const networks: Array<{ Name: string }> = await demo.json(["network", "list"]);
    expect(networks.map((n) => n.Name)).toContain("public-net");
    const zones: Array<Record<string, string>> = await demo.json([
      "availability",
      "zone",
      "list",
      "--network",
    ]);
    expect(zones).toContainEqual(
      expect.objectContaining({ "Zone Name": "nova", "Zone Status": "available" }),
    );
  }, 120_000);
});
