/**
 * Several simulated compute hosts (`fakeHosts`) and placement-style claims: servers spread
 * over the hosts by free RAM, each host's inventory is never exceeded however many creates
 * race for it, and what a server holds is freed when it goes.
 */
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";
import { DEFAULT_FILTERS } from "../../config.js";

const NANO = "42"; // m1.nano: 1 vCPU, 128 MiB, 1 GiB
const PER_HOST = 50;
const HOSTS = [`${hostname()}-1`, `${hostname()}-2`];

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness({
    config: {
      fakeHosts: 2,
      // nova enables the hint filters only when asked to
      schedulerEnabledFilters: [...DEFAULT_FILTERS, "SameHostFilter", "DifferentHostFilter"],
      // room for PER_HOST nano servers: RAM (after nova's 512 MiB reserved) and disk bind at 50
      fakeHostCapacity: { vcpus: 13, memoryMb: 512 + PER_HOST * 128, localGb: PER_HOST },
    },
  });
  await h.setQuota("demo", { instances: -1, cores: -1, ram: -1 });
});
afterAll(async () => h.close());

const hostOf = async (id: string) => (await h.show(id, { as: "admin" }))["OS-EXT-SRV-ATTR:host"] as string;

async function deleteAll(ids: string[]) {
  await Promise.all(ids.map((id) => h.call({ method: "DELETE", url: `/servers/${id}` })));
  await h.drain();
}

describe("several compute hosts", () => {
  it("registers each as a nova-compute service with its own hypervisor", async () => {
    const services = await h.call({ url: "/os-services?binary=nova-compute", as: "admin" });
    expect(services.json.services.map((s: { host: string }) => s.host).sort()).toEqual(HOSTS);
    const hypervisors = await h.call({ url: "/os-hypervisors/detail", as: "admin", version: "2.53" });
    expect(
      hypervisors.json.hypervisors.map((hv: { hypervisor_hostname: string; memory_mb: number }) => [
        hv.hypervisor_hostname,
        hv.memory_mb,
      ]),
    ).toEqual(HOSTS.map((name) => [name, 512 + PER_HOST * 128]));
  });

  it("spreads servers over the hosts, the one with the most free RAM first", async () => {
    const a = await h.activeServer({
      name: "spread-a",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    const b = await h.activeServer({
      name: "spread-b",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    expect(new Set([await hostOf(a), await hostOf(b)])).toEqual(new Set(HOSTS));
    await deleteAll([a, b]);
  });
});

describe("server groups across hosts", () => {
  it("anti-affinity puts two servers on two hosts and refuses a third", async () => {
    const group = await h.call({
      method: "POST",
      url: "/os-server-groups",
      version: "2.64",
      body: { server_group: { name: "apart", policy: "anti-affinity" } },
    });
    expect(group.status, group.text).toBe(200);
    const hint = { "os:scheduler_hints": { group: group.json.server_group.id } };
    const boot = (name: string) =>
      h.createServer({ name, server: { flavorRef: NANO, networks: "none" }, extra: hint, version: "2.37" });
    const [a, b] = [await boot("apart-a"), await boot("apart-b")];
    await h.drain();
    expect(new Set([await hostOf(a.id), await hostOf(b.id)])).toEqual(new Set(HOSTS));
    const c = await boot("apart-c");
    await h.drain();
    const third = await h.show(c.id, { as: "admin" });
    expect([third.status, third.fault.message]).toEqual([
      "ERROR",
      "No valid host was found. There are not enough hosts available.",
    ]);
    await deleteAll([a.id, b.id, c.id]);
  });
});

describe("scheduler hints", () => {
  it("same_host and different_host place beside or away from the servers they name", async () => {
    const boot = (name: string, hints: Record<string, unknown>) =>
      h.createServer({
        name,
        server: { flavorRef: NANO, networks: "none" },
        extra: { "os:scheduler_hints": hints },
        version: "2.37",
      });
    const first = await h.activeServer({
      name: "hint-first",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    const [away, beside, nowhere] = [
      await boot("hint-away", { different_host: [first] }),
      await boot("hint-beside", { same_host: first }),
      await boot("hint-nowhere", { same_host: ["8ba3a4a9-0b9f-4b34-9a7c-36e5f0b3c9a1"] }),
    ];
    await h.drain();
    const host = await hostOf(first);
    expect(await hostOf(away.id)).toBe(HOSTS.find((other) => other !== host));
    expect(await hostOf(beside.id)).toBe(host);
    const refused = await h.show(nowhere.id, { as: "admin" });
    expect([refused.status, refused.fault.message]).toEqual([
      "ERROR",
      "No valid host was found. There are not enough hosts available.",
    ]);
    await deleteAll([first, away.id, beside.id, nowhere.id]);
  });
});

describe("claims", () => {
  it("never put more on a host than it holds: of 500 racing creates exactly 100 are ACTIVE", async () => {
    const created = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        h.createServer({ name: `race-${i}`, server: { flavorRef: NANO, networks: "none" }, version: "2.37" }),
      ),
    );
    await h.drain();
    const listed = await h.call({ url: "/servers/detail?name=^race-&limit=1000&all_tenants=1", as: "admin" });
    const servers = listed.json.servers as Array<{
      status: string;
      fault?: { message: string };
      "OS-EXT-SRV-ATTR:host": string | null;
    }>;
    expect(servers).toHaveLength(500);
    const active = servers.filter((s) => s.status === "ACTIVE");
    expect(active).toHaveLength(2 * PER_HOST);
    for (const host of HOSTS) {
      expect(active.filter((s) => s["OS-EXT-SRV-ATTR:host"] === host)).toHaveLength(PER_HOST);
    }
    const failed = servers.filter((s) => s.status !== "ACTIVE");
    expect(new Set(failed.map((s) => s.status))).toEqual(new Set(["ERROR"]));
    expect(new Set(failed.map((s) => s.fault?.message))).toEqual(
      new Set(["No valid host was found. There are not enough hosts available."]),
    );

    // deleting frees the room: a new server fits again
    await deleteAll(created.map((c) => c.id));
    const usages = await h.nimbus.compute.placement.usages();
    expect(usages.flatMap((u) => [...u.used.values()])).toEqual([]);
    const again = await h.activeServer({
      name: "after-race",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    expect(HOSTS).toContain(await hostOf(again));
    await deleteAll([again]);
  }, 120_000);
});

describe("a resize's claims", () => {
  const held = async (consumer: string) =>
    Object.fromEntries(await h.nimbus.compute.placement.allocationsOf(consumer));
  const migrationOf = async (id: string) =>
    (await h.call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" })).json
      .migrations[0].uuid as string;

  it("to the other host (nova's default with several): the new flavor held there, the old on the source by the migration", async () => {
    const id = await h.activeServer({
      name: "grow",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    const source = await hostOf(id);
    const other = HOSTS.find((name) => name !== source)!;
    expect(await held(id)).toEqual({ [source]: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } });
    expect((await h.action(id, { resize: { flavorRef: "84" } })).status).toBe(202); // m1.micro: 192 MiB
    await h.drain();
    const migration = await migrationOf(id);
    expect(await hostOf(id)).toBe(other);
    expect(await held(id)).toEqual({ [other]: { VCPU: 1, MEMORY_MB: 192, DISK_GB: 1 } });
    expect(await held(migration)).toEqual({ [source]: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } });
    expect((await h.action(id, { revertResize: null })).status).toBe(202);
    await h.drain();
    expect(await hostOf(id)).toBe(source);
    expect(await held(id)).toEqual({ [source]: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } });
    expect(await held(migration)).toEqual({});

    expect((await h.action(id, { resize: { flavorRef: "84" } })).status).toBe(202);
    await h.drain();
    const second = await migrationOf(id);
    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect(await held(id)).toEqual({ [other]: { VCPU: 1, MEMORY_MB: 192, DISK_GB: 1 } });
    expect(await held(second)).toEqual({});
    await deleteAll([id]);
    expect(await held(id)).toEqual({});
  });

  it("with no room for the new flavor beside the old: refused, the server ACTIVE as it was", async () => {
    const id = await h.activeServer({
      name: "no-room",
      server: { flavorRef: NANO, networks: "none" },
      version: "2.37",
    });
    const host = await hostOf(id);
    // more RAM than a host here has beside the nano
    const flavors = await h.call({
      method: "POST",
      url: "/flavors",
      as: "admin",
      body: { flavor: { name: "huge", ram: 6500, vcpus: 1, disk: 1 } },
    });
    expect((await h.action(id, { resize: { flavorRef: flavors.json.flavor.id } })).status).toBe(202);
    await h.drain();
    const shown = await h.show(id, { as: "admin" });
    expect([shown.status, shown["OS-EXT-STS:task_state"]]).toEqual(["ACTIVE", null]);
    expect(await held(id)).toEqual({ [host]: { VCPU: 1, MEMORY_MB: 128, DISK_GB: 1 } });
    await deleteAll([id]);
  });
});
