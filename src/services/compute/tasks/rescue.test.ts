import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { PowerState } from "../../../virt/power-state.js";
import { openTaskKit, type TaskKit } from "./testing.js";

let kit: TaskKit;
beforeAll(async () => {
  kit = await openTaskKit();
});
afterAll(async () => kit.close());

describe("rescue and unrescue", () => {
  it("rescue: rescuing → RESCUED, booted from the rescue image; unrescue: unrescuing → ACTIVE", async () => {
    const uuid = await kit.server({ launched_at: "2020-01-01T00:00:00.000Z" });
    const rescue = vi.spyOn(kit.driver, "rescue");
    const walk = await kit.run(
      uuid,
      "rescue",
      "rescuing",
      { imageRef: "rescue-image" },
      { adminPass: "s3cret" },
    );
    expect(rescue).toHaveBeenCalledWith(uuid, "rescue-image", "s3cret");
    rescue.mockRestore();
    expect(walk).toEqual(["active/rescuing", "rescued/-"]);
    const rescued = await kit.row(uuid);
    expect(rescued).toMatchObject({ vm_state: "rescued", power_state: PowerState.RUNNING });
    // nova stamps launched_at anew when the rescue system boots
    expect(rescued.launched_at! > "2020-01-01T00:00:00.000Z").toBe(true);
    expect(await kit.driver.consoleOutput(uuid)).toContain("Booting rescue image rescue-image");
    expect(await kit.driver.consoleOutput(uuid)).not.toContain("s3cret");
    expect((await kit.lastAction(uuid)).events.map((e) => e.event)).toEqual(["compute_rescue_instance"]);

    expect(await kit.run(uuid, "unrescue", "unrescuing")).toEqual(["rescued/unrescuing", "active/-"]);
    expect((await kit.row(uuid)).power_state).toBe(PowerState.RUNNING);
    expect(await kit.driver.consoleOutput(uuid)).toContain("Rescue ended");
    expect((await kit.lastAction(uuid)).events.map((e) => e.event)).toEqual(["compute_unrescue_instance"]);
  });

  it("rescues a stopped server too (it boots the rescue system)", async () => {
    const uuid = await kit.server({ vm_state: "stopped", power_state: PowerState.SHUTDOWN });
    await kit.driver.powerOff(uuid);
    expect(await kit.run(uuid, "rescue", "rescuing", { imageRef: "img" }, { adminPass: "p" })).toEqual([
      "stopped/rescuing",
      "rescued/-",
    ]);
  });

  it("a driver failure puts the server in ERROR with nova's InstanceNotRescuable fault", async () => {
    const uuid = await kit.server();
    const rescue = vi.spyOn(kit.driver, "rescue").mockRejectedValueOnce(new Error("no rescue disk"));
    const walk = await kit.run(uuid, "rescue", "rescuing", { imageRef: "img" }, { adminPass: "p" });
    rescue.mockRestore();
    expect(walk.at(-1)).toBe("error/-");
    expect((await kit.instances.get(uuid))?.fault?.message).toBe(
      `Instance ${uuid} cannot be rescued: Driver Error: no rescue disk`,
    );
    expect((await kit.lastAction(uuid)).message).toBe("Error");
  });

  it("a failed unrescue puts the server in ERROR", async () => {
    const uuid = await kit.server();
    await kit.run(uuid, "rescue", "rescuing", { imageRef: "img" }, { adminPass: "p" });
    const unrescue = vi.spyOn(kit.driver, "unrescue").mockRejectedValueOnce(new Error("stuck"));
    const walk = await kit.run(uuid, "unrescue", "unrescuing");
    unrescue.mockRestore();
    expect(walk).toEqual(["rescued/unrescuing", "error/-"]);
  });
});
