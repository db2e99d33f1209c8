/**
 * End to end on `nimbus serve --fake-hosts 2` with the real clients: two hypervisors with
 * their usage, an anti-affinity group of two servers on two hosts, a cold migration from
 * one to the other, a resize to the other host and its revert, live migrations there and back (the CLI's default body, and a named
 * host), an evacuation off a host forced down, and the placement API
 * through osc-placement (`openstack resource provider …`, `allocation candidate list`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clients, haveClients, type NimbusProcess, startNimbusProcess, waitUntil } from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;

describe.skipIf(!haveClients)("several compute hosts with the real clients", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ args: ["--fake-hosts", "2"] });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("an anti-affinity group of two lands on two hosts; hypervisor list --long shows each one's use", async () => {
    const group = await demo.json(["server", "group", "create", "--policy", "anti-affinity", "e2e-apart"]);
    const hosts: string[] = [];
    for (const name of ["e2e-apart-1", "e2e-apart-2"]) {
      const created = await demo.json(
        [
          "server",
          "create",
          "--flavor",
          "m1.nano",
          "--image",
          IMAGE,
          "--hint",
          `group=${group.id}`,
          "--wait",
          name,
        ],
        120_000,
      );
      hosts.push((await admin.json(["server", "show", created.id]))["OS-EXT-SRV-ATTR:host"]);
    }
    expect(new Set(hosts).size).toBe(2);

    const hypervisors = await admin.json(["hypervisor", "list", "--long"]);
    expect(hypervisors).toHaveLength(2);
    for (const hv of hypervisors) {
      expect(hosts).toContain(hv["Hypervisor Hostname"]);
      expect(hv["vCPUs Used"]).toBe(1);
      // nova's reserved_host_memory_mb (512) counts as used, as its resource tracker reports it
      expect(hv["Memory MB Used"]).toBe(512 + 128);
    }
  }, 300_000);

  it("server migrate --wait moves a server to the other host; server resize confirm ends it there", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-migrant"],
      120_000,
    );
    const before = (await admin.json(["server", "show", created.id]))["OS-EXT-SRV-ATTR:host"];
    await admin.openstack(["server", "migrate", "--wait", created.id], 120_000);
    const moved = await admin.json(["server", "show", created.id]);
    expect(moved.status).toBe("VERIFY_RESIZE");
    expect(moved["OS-EXT-SRV-ATTR:host"]).not.toBe(before);
    await demo.openstack(["server", "resize", "confirm", created.id]);
    const migrations = await admin.json(["server", "migration", "list", "--server", created.id]);
    expect(migrations.map((m: Record<string, string>) => [m["Source Compute"], m["Dest Compute"]])).toEqual([
      [before, moved["OS-EXT-SRV-ATTR:host"]],
    ]);
  }, 300_000);

  it("server resize --wait moves a server to the other host at its new size; revert brings it back", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-grower"],
      120_000,
    );
    const before = (await admin.json(["server", "show", created.id]))["OS-EXT-SRV-ATTR:host"];
    await demo.openstack(["server", "resize", "--flavor", "m1.micro", "--wait", created.id], 120_000);
    const resized = await admin.json(["server", "show", created.id]);
    expect(resized.status).toBe("VERIFY_RESIZE");
    expect(resized["OS-EXT-SRV-ATTR:host"]).not.toBe(before);
    expect(resized.flavor).toContain("m1.micro");
    await demo.openstack(["server", "resize", "revert", created.id]);
    await waitUntil(
      "the revert to end",
      async () => (await admin.json(["server", "show", created.id])).status === "ACTIVE" || undefined,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const back = await admin.json(["server", "show", created.id]);
    expect(back["OS-EXT-SRV-ATTR:host"]).toBe(before);
    expect(back.flavor).toContain("m1.nano");
  }, 300_000);

  it("server migrate --live-migration moves a running server and back; migration list shows both moves", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-live"],
      120_000,
    );
    const host = async () => (await admin.json(["server", "show", created.id]))["OS-EXT-SRV-ATTR:host"];
    const first = await host();
    // a cold migration first, confirmed
    await admin.openstack(["server", "migrate", "--wait", created.id], 120_000);
    await demo.openstack(["server", "resize", "confirm", created.id]);
    const second = await host();
    expect(second).not.toBe(first);
    // the CLI's default (2.1): no host, {"block_migration": false, "disk_over_commit": false}
    await admin.openstack(["server", "migrate", "--live-migration", "--wait", created.id], 120_000);
    expect(await host()).toBe(first);
    // --host needs 2.30; the named host goes through the scheduler (force is false)
    await admin.openstack(
      [
        "--os-compute-api-version",
        "2.30",
        "server",
        "migrate",
        "--live-migration",
        "--host",
        second,
        "--wait",
        created.id,
      ],
      120_000,
    );
    const moved = await admin.json(["server", "show", created.id]);
    expect([moved.status, moved["OS-EXT-SRV-ATTR:host"], moved["OS-EXT-STS:power_state"]]).toEqual([
      "ACTIVE",
      second,
      1,
    ]);
    const migrations = await admin.json([
      "--os-compute-api-version",
      "2.23",
      "server",
      "migration",
      "list",
      "--server",
      created.id,
    ]);
    expect(
      migrations.map((m: Record<string, string>) => [
        m.Type,
        m.Status,
        m["Source Compute"],
        m["Dest Compute"],
      ]),
    ).toEqual([
      ["migration", "confirmed", first, second],
      ["live-migration", "completed", second, first],
      ["live-migration", "completed", first, second],
    ]);
  }, 300_000);

  it("compute service set --down + nova evacuate moves a server off its host", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-refugee"],
      120_000,
    );
    const failed = (await admin.json(["server", "show", created.id]))["OS-EXT-SRV-ATTR:host"];
    const service = ["compute", "service", "set", "--os-compute-api-version", "2.11"];
    await admin.openstack([...service, "--down", failed, "nova-compute"]);
    try {
      // openstackclient 6.0's `server evacuate` fails against any nova (it takes novaclient's
      // answer for the server: "'TupleWithMeta' object has no attribute 'id'"); novaclient's works
      await admin.nova(["evacuate", created.id]);
      await waitUntil(
        "the evacuated server to be ACTIVE",
        async () => (await admin.json(["server", "show", created.id])).status === "ACTIVE",
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const rebuilt = await admin.json(["server", "show", created.id]);
      expect(rebuilt["OS-EXT-SRV-ATTR:host"]).not.toBe(failed);
    } finally {
      await admin.openstack([...service, "--up", failed, "nova-compute"]);
    }
  }, 300_000);

  it("osc-placement lists a provider per host, its usage, and where a flavor fits", async () => {
    const providers = await admin.json(["resource", "provider", "list"]);
    expect(providers).toHaveLength(2);
    const usage = await admin.json(["resource", "provider", "usage", "show", providers[0].uuid]);
    expect(usage.map((u: { resource_class: string }) => u.resource_class).sort()).toEqual([
      "DISK_GB",
      "MEMORY_MB",
      "VCPU",
    ]);
    const inventory = await admin.json(["resource", "provider", "inventory", "list", providers[0].uuid]);
    expect(inventory.find((i: { resource_class: string }) => i.resource_class === "MEMORY_MB").reserved).toBe(
      512,
    );
    const candidates = await admin.json(["allocation", "candidate", "list", "--resource", "MEMORY_MB=128"]);
    expect(candidates.length).toBe(2);
  }, 120_000);
});
