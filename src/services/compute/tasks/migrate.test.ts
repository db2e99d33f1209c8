import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PowerState } from "../../../virt/power-state.js";
import { openTaskKit, type TaskKit } from "./testing.js";

let kit: TaskKit;
beforeAll(async () => {
  kit = await openTaskKit();
});
afterAll(async () => kit.close());

describe("cold migration on one host", () => {
  it("RESIZE (resize_prep) → back to ACTIVE: no valid host, recorded as the fault and two failed events", async () => {
    const uuid = await kit.server();
    const walk = await kit.run(uuid, "cold_migrate", "resize_prep");
    expect(walk).toEqual(["active/resize_prep", "active/-"]);
    const row = await kit.row(uuid);
    expect(row).toMatchObject({ vm_state: "active", host: "fake-host", power_state: PowerState.RUNNING });
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      "No valid host was found. No valid host found for cold migrate",
    );
    const action = await kit.lastAction(uuid);
    expect(action.message).toBe("Error");
    expect(action.events.map((e) => [e.event, e.result])).toEqual([
      ["conductor_migrate_server", "Error"],
      ["cold_migrate", "Error"],
    ]);
    expect(action.events[0]?.details).toBe("No valid host was found. No valid host found for cold migrate");
  });

  it("a stopped server stays stopped", async () => {
    const uuid = await kit.server({ vm_state: "stopped", power_state: PowerState.SHUTDOWN });
    expect(await kit.run(uuid, "cold_migrate", "resize_prep")).toEqual(["stopped/resize_prep", "stopped/-"]);
  });
});

describe("live migration on one host (2.34+: refused after the 202)", () => {
  it("MIGRATING → back to ACTIVE with no valid host", async () => {
    const uuid = await kit.server();
    const walk = await kit.run(uuid, "live_migrate", "migrating", { host: null, forced: false });
    expect(walk).toEqual(["active/migrating", "active/-"]);
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      "No valid host was found. There are not enough hosts available.",
    );
    const action = await kit.lastAction(uuid);
    expect(action.events.map((e) => [e.event, e.result])).toEqual([
      ["conductor_live_migrate_instance", "Error"],
    ]);
  });

  it("forced onto its own host: unable to migrate to self; a paused server stays paused", async () => {
    const uuid = await kit.server({ vm_state: "paused", power_state: PowerState.PAUSED });
    await kit.driver.pause(uuid);
    const walk = await kit.run(uuid, "live_migrate", "migrating", { host: "fake-host", forced: true });
    expect(walk).toEqual(["paused/migrating", "paused/-"]);
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      `Unable to migrate instance (${uuid}) to current host (fake-host).`,
    );
    expect(await kit.driver.powerState(uuid)).toBe(PowerState.PAUSED);
  });
});
