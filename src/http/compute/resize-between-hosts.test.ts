/**
 * Resize with several simulated hosts: by nova's default (allow_resize_to_same_host off)
 * the server moves to another host with room for the new flavor and starts there at its
 * new size; confirm removes the old guest, revert brings the server back to its source at
 * its old size. With the setting on, the server's own host may take it. And
 * resize_confirm_window confirms a resize left waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";
import { PowerState } from "../../virt/power-state.js";

const NANO = "42"; // 128 MiB
const MICRO = "84"; // 192 MiB

const boot = (h: ComputeHarness, name: string) =>
  h.activeServer({ name, server: { flavorRef: NANO, networks: "none" }, version: "2.37" });

async function placed(h: ComputeHarness, id: string) {
  const s = await h.show(id, { as: "admin", version: "2.47" });
  return {
    status: s.status as string,
    host: s["OS-EXT-SRV-ATTR:host"] as string,
    flavor: s.flavor.original_name as string,
  };
}

async function migrationOf(h: ComputeHarness, id: string) {
  const r = await h.call({ url: `/os-migrations?instance_uuid=${id}`, as: "admin", version: "2.59" });
  return r.json.migrations[0] as {
    status: string;
    migration_type: string;
    source_compute: string;
    dest_compute: string;
  };
}

async function eventsOf(h: ComputeHarness, id: string, action: string) {
  const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
  const found = actions.json.instanceActions.find((a: { action: string }) => a.action === action);
  const detail = await h.call({
    url: `/servers/${id}/os-instance-actions/${found.request_id}`,
    as: "admin",
    version: "2.62",
  });
  return detail.json.instanceAction.events.map((e: { event: string; host: string }) => [e.event, e.host]);
}

/** Runs `work` with the nova-compute service of `host` disabled (the scheduler skips it). */
async function withHostDisabled(h: ComputeHarness, host: string, work: () => Promise<void>) {
  const set = (state: "disable" | "enable") =>
    h.call({
      method: "PUT",
      url: `/os-services/${state}`,
      as: "admin",
      body: { host, binary: "nova-compute" },
    });
  expect((await set("disable")).status).toBe(200);
  try {
    await work();
  } finally {
    await set("enable");
  }
}

describe("resize with two hosts, nova's default", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness({ config: { fakeHosts: 2 } });
  });
  afterAll(async () => h.close());

  const driver = (host: string) => h.nimbus.drivers.get(host)!;

  it("moves the server to the other host at its new size; confirm removes the old guest", async () => {
    const id = await boot(h, "grower");
    const { host: source } = await placed(h, id);
    expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
    await h.drain();
    const moved = await placed(h, id);
    expect(moved.status).toBe("VERIFY_RESIZE");
    expect(moved.host).not.toBe(source);
    expect(moved.flavor).toBe("m1.micro");
    // the new guest booted with the new flavor's memory; the old one waits, off, on the source
    expect(await driver(moved.host).consoleOutput(id)).toContain(`Memory: ${192 * 1024}K available`);
    expect(await driver(moved.host).powerState(id)).toBe(PowerState.RUNNING);
    expect(await driver(source).powerState(id)).toBe(PowerState.SHUTDOWN);
    expect(await migrationOf(h, id)).toMatchObject({
      status: "finished",
      migration_type: "resize",
      source_compute: source,
      dest_compute: moved.host,
    });
    expect(await eventsOf(h, id, "resize")).toEqual([
      ["conductor_migrate_server", expect.any(String)],
      ["cold_migrate", expect.any(String)],
      ["compute_prep_resize", moved.host],
      ["compute_resize_instance", source],
      ["compute_finish_resize", moved.host],
    ]);

    // each hypervisor counts what is held on it: the old flavor, by the migration, on the source
    const used = async () => {
      const r = await h.call({ url: "/os-hypervisors/detail", as: "admin", version: "2.53" });
      return Object.fromEntries(
        r.json.hypervisors.map((hv: { hypervisor_hostname: string; memory_mb_used: number }) => [
          hv.hypervisor_hostname,
          hv.memory_mb_used - 512,
        ]),
      );
    };
    expect(await used()).toEqual({ [source]: 128, [moved.host]: 192 });

    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect(await used()).toEqual({ [source]: 0, [moved.host]: 192 });
    expect(await placed(h, id)).toMatchObject({ status: "ACTIVE", host: moved.host, flavor: "m1.micro" });
    expect(await driver(source).powerState(id)).toBe(PowerState.NOSTATE);
    expect((await migrationOf(h, id)).status).toBe("confirmed");
  });

  it("revert brings it back to its source at its old size and removes the new guest", async () => {
    const id = await boot(h, "regretter");
    const { host: source } = await placed(h, id);
    expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
    await h.drain();
    const { host: destination } = await placed(h, id);
    expect(destination).not.toBe(source);
    expect((await h.action(id, { revertResize: null })).status).toBe(202);
    await h.drain();
    expect(await placed(h, id)).toMatchObject({ status: "ACTIVE", host: source, flavor: "m1.nano" });
    expect(await driver(source).powerState(id)).toBe(PowerState.RUNNING);
    expect(await driver(destination).powerState(id)).toBe(PowerState.NOSTATE);
    const shown = await h.show(id, { as: "admin", version: "2.47" });
    expect([shown.flavor.ram, shown["OS-EXT-STS:vm_state"]]).toEqual([128, "active"]);
    expect((await migrationOf(h, id)).status).toBe("reverted");
  });

  it("a stopped server arrives stopped", async () => {
    const id = await boot(h, "sleeper");
    expect((await h.action(id, { "os-stop": null })).status).toBe(202);
    await h.drain();
    expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
    await h.drain();
    const moved = await placed(h, id);
    expect(moved.status).toBe("VERIFY_RESIZE");
    expect(await driver(moved.host).powerState(id)).toBe(PowerState.SHUTDOWN);
    expect((await h.action(id, { confirmResize: null })).status).toBe(204);
    await h.drain();
    expect((await placed(h, id)).status).toBe("SHUTOFF");
  });

  it("with the other host disabled: no valid host, the server back as it was", async () => {
    const id = await boot(h, "stuck");
    const { host: source } = await placed(h, id);
    const other = h.nimbus.drivers.hosts.find((name) => name !== source)!;
    await withHostDisabled(h, other, async () => {
      expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
      await h.drain();
      expect(await placed(h, id)).toMatchObject({ status: "ACTIVE", host: source, flavor: "m1.nano" });
      expect((await migrationOf(h, id)).status).toBe("error");
      const actions = await h.call({ url: `/servers/${id}/os-instance-actions`, as: "admin" });
      const resize = actions.json.instanceActions.find((a: { action: string }) => a.action === "resize");
      const detail = await h.call({
        url: `/servers/${id}/os-instance-actions/${resize.request_id}`,
        as: "admin",
        version: "2.84",
      });
      expect(detail.json.instanceAction.events[0]).toMatchObject({
        event: "conductor_migrate_server",
        result: "Error",
        details: "No valid host was found. No valid host found for resize",
      });
    });
  });
});

describe("resize with allow_resize_to_same_host and resize_confirm_window", () => {
  let h: ComputeHarness;
  beforeAll(async () => {
    h = await computeHarness({
      config: { fakeHosts: 2, allowResizeToSameHost: true, resizeConfirmWindowSeconds: 30 },
    });
  });
  afterAll(async () => h.close());

  it("the server's own host may take the resize", async () => {
    const id = await boot(h, "homebody");
    const { host } = await placed(h, id);
    const other = h.nimbus.drivers.hosts.find((name) => name !== host)!;
    await withHostDisabled(h, other, async () => {
      expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
      await h.drain();
      expect(await placed(h, id)).toMatchObject({ status: "VERIFY_RESIZE", host, flavor: "m1.micro" });
      expect(await migrationOf(h, id)).toMatchObject({ source_compute: host, dest_compute: host });
      expect(await h.nimbus.drivers.get(host)!.consoleOutput(id)).toContain("resized to 1 CPUs, 192 MB");
      expect((await h.action(id, { confirmResize: null })).status).toBe(204);
      await h.drain();
    });
  });

  it("confirms a resize waiting longer than the window, as the owner's confirmResize", async () => {
    const id = await boot(h, "forgetful");
    expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
    await h.drain();
    expect((await placed(h, id)).status).toBe("VERIFY_RESIZE");
    // not yet: the window has not passed
    expect(await h.nimbus.compute.moves.confirmWaiting()).toBe(0);
    expect(await h.nimbus.compute.moves.confirmWaiting(new Date(Date.now() + 31_000))).toBe(1);
    await h.drain();
    expect(await placed(h, id)).toMatchObject({ status: "ACTIVE", flavor: "m1.micro" });
    expect((await migrationOf(h, id)).status).toBe("confirmed");
    const actions = await h.call({ url: `/servers/${id}/os-instance-actions` });
    expect(actions.json.instanceActions.map((a: { action: string }) => a.action)).toContain("confirmResize");
  });

  it("sets the migration of a server in ERROR to error instead", async () => {
    const id = await boot(h, "broken");
    expect((await h.action(id, { resize: { flavorRef: MICRO } })).status).toBe(202);
    await h.drain();
    const reset = await h.action(id, { "os-resetState": { state: "error" } }, { as: "admin" });
    expect(reset.status).toBe(202);
    expect(await h.nimbus.compute.moves.confirmWaiting(new Date(Date.now() + 31_000))).toBe(0);
    expect((await migrationOf(h, id)).status).toBe("error");
    expect((await placed(h, id)).status).toBe("ERROR");
  });
});
