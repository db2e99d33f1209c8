/**
 * Routers and floating IPs (Neutron's L3 API) driven by the real openstack CLI against a
 * real `nimbus serve`: the admin's external network, the demo project's router joining it
 * to a private subnet, a floating IP associated with a port and released, everything
 * undone in order; and a second project that sees none of it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  Clients,
  failure,
  haveClients,
  memberOfNewProject,
  type NimbusProcess,
  startNimbusProcess,
} from "./support.js";

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;

describe.skipIf(!haveClients)("openstack router and floating ip commands against nimbus serve", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: 20 });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("routes a private subnet to an external network and floats an address onto a port", async () => {
    const ext = await admin.json(["network", "create", "--external", "ext-net"]);
    expect(ext["router:external"]).toBe(true);
    const extSubnet = await admin.json([
      "subnet",
      "create",
      "--network",
      "ext-net",
      "--subnet-range",
      "198.51.100.0/24",
      "--no-dhcp",
      "ext-subnet",
    ]);
    await demo.json(["network", "create", "l3-private"]);
    const priv = await demo.json([
      "subnet",
      "create",
      "--network",
      "l3-private",
      "--subnet-range",
      "10.30.0.0/24",
      "l3-private-subnet",
    ]);
    const port = await demo.json(["port", "create", "--network", "l3-private", "l3-port"]);

    const router = await demo.json(["router", "create", "r1"]);
    expect(router).toMatchObject({ name: "r1", status: "ACTIVE", admin_state_up: true });
    await demo.openstack(["router", "set", "--external-gateway", "ext-net", "r1"]);
    await demo.openstack(["router", "add", "subnet", "r1", "l3-private-subnet"]);
    const shown = await demo.json(["router", "show", "r1"]);
    expect(shown.external_gateway_info).toMatchObject({
      network_id: ext.id,
      enable_snat: true,
      external_fixed_ips: [{ subnet_id: extSubnet.id, ip_address: "198.51.100.2" }],
    });
    expect(JSON.stringify(shown.interfaces_info)).toContain("10.30.0.1");
    expect(JSON.stringify(shown.interfaces_info)).toContain(priv.id);
    // the interface holds the subnet
    expect((await failure(demo.openstack(["subnet", "delete", "l3-private-subnet"]))).message).toMatch(
      /in use|One or more ports/i,
    );

    const fip = await demo.json(["floating", "ip", "create", "ext-net"]);
    expect(fip).toMatchObject({ floating_network_id: ext.id, status: "DOWN", port_id: null });
    expect(fip.floating_ip_address).toMatch(/^198\.51\.100\./);
    await demo.openstack(["floating", "ip", "set", "--port", "l3-port", fip.id]);
    const listed: Array<Record<string, string>> = await demo.json(["floating", "ip", "list"]);
    expect(listed).toEqual([
      expect.objectContaining({
        ID: fip.id,
        "Floating IP Address": fip.floating_ip_address,
        "Fixed IP Address": port.fixed_ips[0].ip_address,
        Port: port.id,
      }),
    ]);
    expect(await demo.json(["floating", "ip", "show", fip.id])).toMatchObject({
      status: "ACTIVE",
      router_id: router.id,
    });
    // the association holds the interface
    expect(
      (await failure(demo.openstack(["router", "remove", "subnet", "r1", "l3-private-subnet"]))).message,
    ).toMatch(/required by one or more floating IPs/);

    // a second project sees none of it
    const other = await memberOfNewProject(nimbus, "l3-other");
    expect(await other.json(["router", "list"])).toEqual([]);
    expect(await other.json(["floating", "ip", "list"])).toEqual([]);
    expect((await failure(other.openstack(["router", "show", router.id]))).message).toMatch(
      /No Router found|not found/i,
    );
    expect((await failure(other.openstack(["floating", "ip", "show", fip.id]))).message).toMatch(
      /not found|No/i,
    );
    expect((await failure(other.openstack(["floating", "ip", "delete", fip.id]))).message).toMatch(
      /not found|No|Failed/i,
    );

    await demo.openstack(["floating", "ip", "unset", "--port", fip.id]);
    expect(await demo.json(["floating", "ip", "show", fip.id])).toMatchObject({
      status: "DOWN",
      port_id: null,
    });
    await demo.openstack(["floating", "ip", "delete", fip.id]);
    expect(await demo.json(["floating", "ip", "list"])).toEqual([]);
    await demo.openstack(["router", "remove", "subnet", "r1", "l3-private-subnet"]);
    await demo.openstack(["router", "unset", "--external-gateway", "r1"]);
    expect((await demo.json(["router", "show", "r1"])).external_gateway_info).toBeNull();
    await demo.openstack(["router", "delete", "r1"]);
    // what is left is the bootstrap's router1, as on a devstack
    const left: Array<Record<string, string>> = await demo.json(["router", "list"]);
    expect(left.map((r) => r.Name)).toEqual(["router1"]);
    // nothing of the router or the floating IP is left on the external network
    expect(await admin.json(["port", "list", "--network", "ext-net"])).toEqual([]);
  }, 240_000);
});
