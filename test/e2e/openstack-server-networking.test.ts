/**
 * Servers on Neutron driven by the real openstack CLI, with its defaults, against a real
 * `nimbus serve` laid out as devstack: a server on the `private` network in a security
 * group of the user's, a floating IP from `public` added and removed, a port added and
 * removed, groups added and removed, `availability zone list`; and a second project that
 * can neither see nor use the first one's network, port or floating IP.
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

const IMAGE = "cirros-0.6.2-x86_64-disk";

/** The addresses of a server as `server show -f json` prints them, by network. */
async function addresses(server: string): Promise<Record<string, string[]>> {
  return (await demo.json(["server", "show", server, "-c", "addresses"])).addresses;
}

const groupsOf = async (server: string): Promise<string[]> =>
  (await demo.json(["server", "show", server, "-c", "security_groups"])).security_groups.map(
    (g: { name: string }) => g.name,
  );

describe.skipIf(!haveClients)("openstack server commands on networks against nimbus serve", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: 20 });
    demo = new Clients(nimbus.dataDir, "nimbus");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("boots on private in a group of its own, floats an address, plugs a port and swaps groups", async () => {
    const web = await demo.json(["security", "group", "create", "web"]);
    await demo.json(["security", "group", "rule", "create", "--protocol", "tcp", "--dst-port", "22", "web"]);
    const server = await demo.json([
      "server",
      "create",
      "--image",
      IMAGE,
      "--flavor",
      "m1.tiny",
      "--network",
      "private",
      "--security-group",
      "web",
      "--wait",
      "vm1",
    ]);
    expect(server.status).toBe("ACTIVE");
    expect(server.security_groups).toEqual([{ name: "web" }]);
    const [fixed] = server.addresses.private;
    expect(fixed).toMatch(/^10\.0\.\d+\.\d+$/);
    const [listed] = await demo.json(["port", "list", "--server", server.id]);
    // (`port list --long` asks Neutron for a field it does not have, so its group column is
    // empty against real Neutron too: the port's own view tells)
    const port = await demo.json(["port", "show", listed.ID]);
    expect(port.security_group_ids).toEqual([web.id]);
    expect(port.status).toBe("ACTIVE");

    const fip = await demo.json(["floating", "ip", "create", "public"]);
    expect(fip.floating_ip_address).toMatch(/^172\.24\.4\./);
    await demo.openstack(["server", "add", "floating", "ip", "vm1", fip.floating_ip_address]);
    expect((await addresses("vm1")).private).toContain(fip.floating_ip_address);
    expect(await demo.json(["floating", "ip", "show", fip.id])).toMatchObject({
      fixed_ip_address: fixed,
      status: "ACTIVE",
    });

    const extra = await demo.json(["port", "create", "--network", "private", "extra-port"]);
    await demo.openstack(["server", "add", "port", "vm1", "extra-port"]);
    expect((await addresses("vm1")).private).toContain(extra.fixed_ips[0].ip_address);
    expect((await demo.json(["port", "show", "extra-port"])).device_id).toBe(server.id);
    await demo.openstack(["server", "remove", "port", "vm1", "extra-port"]);
    expect((await addresses("vm1")).private).not.toContain(extra.fixed_ips[0].ip_address);
    // a port the user brought is unbound, not deleted
    expect(await demo.json(["port", "show", "extra-port"])).toMatchObject({ device_id: "", status: "DOWN" });

    await demo.openstack(["server", "add", "security", "group", "vm1", "default"]);
    expect(await groupsOf("vm1")).toEqual(["default", "web"]);
    await demo.openstack(["server", "remove", "security", "group", "vm1", "web"]);
    expect(await groupsOf("vm1")).toEqual(["default"]);
    // the group is off the port, so it can go
    await demo.openstack(["security", "group", "delete", "web"]);

    await demo.openstack(["server", "remove", "floating", "ip", "vm1", fip.floating_ip_address]);
    expect((await addresses("vm1")).private).not.toContain(fip.floating_ip_address);
    expect((await demo.json(["floating", "ip", "show", fip.id])).port_id).toBeNull();

    // with no option: compute's zones and the network's
    const zones: Array<Record<string, string>> = await demo.json(["availability", "zone", "list"]);
    expect(zones.length).toBeGreaterThan(0);
    expect(zones.every((z) => z["Zone Name"] === "nova" && z["Zone Status"] === "available")).toBe(true);

    // a second project sees nothing of the first one's, and cannot use it
    const other = await memberOfNewProject(nimbus, "net-other");
    const otherNetworks: Array<Record<string, string>> = await other.json(["network", "list"]);
    expect(otherNetworks.map((n) => n.Name)).toEqual(["public"]);
    expect(await other.json(["port", "list"])).toEqual([]);
    expect(await other.json(["floating", "ip", "list"])).toEqual([]);
    const privateId = (await demo.json(["network", "show", "private"])).id;
    expect(
      (
        await failure(
          other.openstack([
            "server",
            "create",
            "--image",
            IMAGE,
            "--flavor",
            "m1.tiny",
            "--nic",
            `net-id=${privateId}`,
            "x",
          ]),
        )
      ).message,
    ).toMatch(/No Network found|could not be found/i);
    expect(
      (
        await failure(
          other.openstack([
            "server",
            "create",
            "--image",
            IMAGE,
            "--flavor",
            "m1.tiny",
            "--port",
            extra.id,
            "y",
          ]),
        )
      ).message,
    ).toMatch(/not found|No Port/i);
    expect((await failure(other.openstack(["floating", "ip", "delete", fip.id]))).message).toMatch(
      /not found|No|Failed/i,
    );
    expect(await other.json(["server", "list"])).toEqual([]);

    await demo.openstack(["server", "delete", "--wait", "vm1"]);
    // the port nimbus made went with the server; the user's port and floating IP stay
    expect(
      (await demo.json(["port", "list", "--network", "private"])).map((p: { ID: string }) => p.ID),
    ).toContain(extra.id);
    expect(await demo.json(["port", "list", "--device-id", server.id])).toEqual([]);
    await demo.openstack(["floating", "ip", "delete", fip.id]);
    await demo.openstack(["port", "delete", "extra-port"]);
  }, 300_000);
});
