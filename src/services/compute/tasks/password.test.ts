import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openTaskKit, type TaskKit } from "./testing.js";

let kit: TaskKit;
beforeAll(async () => {
  kit = await openTaskKit();
});
afterAll(async () => kit.close());

describe("set_admin_password", () => {
  it("updating_password → ACTIVE, the password handed to the guest", async () => {
    const uuid = await kit.server();
    const set = vi.spyOn(kit.driver, "setAdminPassword");
    const walk = await kit.run(uuid, "set_admin_password", "updating_password", {}, { password: "n3w" });
    expect(set).toHaveBeenCalledWith(uuid, "n3w");
    set.mockRestore();
    expect(walk).toEqual(["active/updating_password", "active/-"]);
    expect(await kit.driver.consoleOutput(uuid)).toContain("administrator password changed");
    const action = await kit.lastAction(uuid);
    expect(action.events.map((e) => [e.event, e.result])).toEqual([
      ["compute_set_admin_password", "Success"],
    ]);
  });

  it("a guest that is not running refuses: ACTIVE again, with nova's fault, the action failed", async () => {
    const uuid = await kit.server();
    await kit.driver.pause(uuid);
    const walk = await kit.run(uuid, "set_admin_password", "updating_password", {}, { password: "x" });
    expect(walk.at(-1)).toBe("active/-");
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      `Failed to set admin password on ${uuid} because instance ${uuid} is not running`,
    );
    expect((await kit.lastAction(uuid)).message).toBe("Error");
  });

  it("never puts the password into a fault", async () => {
    const uuid = await kit.server();
    vi.spyOn(kit.driver, "setAdminPassword").mockRejectedValueOnce(new Error("agent said: bad hunter2"));
    await kit.run(uuid, "set_admin_password", "updating_password", {}, { password: "hunter2" });
    const fault = (await kit.instances.get(uuid))?.fault;
    expect(fault?.message).toBe(
      `Failed to set admin password on ${uuid} because error setting admin password`,
    );
    expect(JSON.stringify(fault)).not.toContain("hunter2");
  });
});
