import { describe, expect, it } from "vitest";
import { authContext } from "../../../test/helpers.js";
import { InstanceInvalidState, InstanceLocked } from "../errors.js";
import { ACTIONS, checkGuard, type GuardedInstance } from "./state-machine.js";
import { statesForStatus, statusOf } from "./vm-states.js";

const server = (over: Partial<GuardedInstance> = {}): GuardedInstance => ({
  uuid: "u1",
  vmState: "active",
  taskState: null,
  launchedAt: "2026-01-01T00:00:00.000Z",
  locked: false,
  ...over,
});

describe("status mapping", () => {
  it("derives nova's status from vm_state and task_state", () => {
    expect(statusOf("active", null)).toBe("ACTIVE");
    expect(statusOf("active", "rebooting_hard")).toBe("HARD_REBOOT");
    expect(statusOf("stopped", "resize_prep")).toBe("RESIZE");
    expect(statusOf("resized", "resize_reverting")).toBe("REVERT_RESIZE");
    expect(statusOf("building", "spawning")).toBe("BUILD");
    expect(statusOf("nonsense", null)).toBe("UNKNOWN");
  });

  it("maps a status filter back to states, dropping the task filter for default statuses", () => {
    expect(statesForStatus("active")).toEqual({ vmStates: ["active"], taskStates: "any" });
    const reboot = statesForStatus("REBOOT");
    expect(reboot?.vmStates).toEqual(["active"]);
    expect(reboot?.taskStates).toEqual(["rebooting", "reboot_pending", "reboot_started"]);
    expect(statesForStatus("bogus")).toBeUndefined();
  });
});

describe("action guards", () => {
  const ctx = authContext();

  it("allows a soft reboot of an active, idle, launched server", () => {
    expect(() => checkGuard(server(), ACTIONS.reboot_soft, "reboot", ctx)).not.toThrow();
  });

  it("refuses by vm_state, task_state and launch state with nova's message", () => {
    expect(() => checkGuard(server({ vmState: "stopped" }), ACTIONS.reboot_soft, "reboot", ctx)).toThrow(
      "Cannot 'reboot' instance u1 while it is in vm_state stopped",
    );
    expect(() => checkGuard(server({ taskState: "rebooting" }), ACTIONS.stop, "stop", ctx)).toThrow(
      InstanceInvalidState,
    );
    // nova names no state when the server is in none (never launched): its plainer message
    expect(() => checkGuard(server({ launchedAt: null }), ACTIONS.pause, "pause", ctx)).toThrow(
      "Instance u1 is in an invalid state for 'pause'",
    );
  });

  it("lets a hard reboot through the task states nova lists", () => {
    expect(() =>
      checkGuard(server({ taskState: "rebooting" }), ACTIONS.reboot_hard, "reboot", ctx),
    ).not.toThrow();
    expect(() => checkGuard(server({ vmState: "error" }), ACTIONS.reboot_hard, "reboot", ctx)).not.toThrow();
  });

  it("refuses locked servers to non-admins only", () => {
    expect(() => checkGuard(server({ locked: true }), ACTIONS.stop, "stop", ctx)).toThrow(InstanceLocked);
    expect(() =>
      checkGuard(server({ locked: true }), ACTIONS.stop, "stop", authContext({ isAdmin: true })),
    ).not.toThrow();
    expect(() => checkGuard(server({ locked: true }), ACTIONS.createImage, "createImage", ctx)).not.toThrow();
  });

  it("allows delete in any state", () => {
    expect(() =>
      checkGuard(
        server({ vmState: "building", taskState: "spawning", launchedAt: null }),
        ACTIONS.delete,
        "delete",
        ctx,
      ),
    ).not.toThrow();
  });
});

describe("shelve, rescue, password, backup and migration guards (FAULTS.md §10.1)", () => {
  const ctx = authContext();
  const ALL = [
    "active",
    "building",
    "paused",
    "suspended",
    "stopped",
    "rescued",
    "resized",
    "soft-delete",
    "error",
    "shelved",
    "shelved_offloaded",
  ];
  const table: Array<[keyof typeof ACTIONS, string[], boolean]> = [
    ["shelve", ["active", "stopped", "paused", "suspended"], true],
    ["shelveOffload", ["shelved"], true],
    ["unshelve", ["shelved", "shelved_offloaded"], true],
    ["rescue", ["active", "stopped", "error"], true],
    ["unrescue", ["rescued"], true],
    ["changePassword", ["active"], true],
    ["createBackup", ["active", "stopped", "paused", "suspended"], false],
    ["migrate", ["active", "stopped"], true],
    ["os-migrateLive", ["active", "paused"], true],
  ];

  for (const [action, allowed, lockChecked] of table) {
    it(`${action}: allowed in ${allowed.join(", ")} only, idle and launched; lock-checked: ${lockChecked}`, () => {
      const guard = ACTIONS[action];
      for (const vmState of ALL) {
        const check = () => checkGuard(server({ vmState }), guard, action, ctx);
        if (allowed.includes(vmState)) expect(check).not.toThrow();
        else expect(check).toThrow(`Cannot '${action}' instance u1 while it is in vm_state ${vmState}`);
      }
      const vmState = allowed[0]!;
      expect(() => checkGuard(server({ vmState, taskState: "rebooting" }), guard, action, ctx)).toThrow(
        `Cannot '${action}' instance u1 while it is in task_state rebooting`,
      );
      expect(() => checkGuard(server({ vmState, launchedAt: null }), guard, action, ctx)).toThrow(
        `Instance u1 is in an invalid state for '${action}'`,
      );
      const locked = () => checkGuard(server({ vmState, locked: true }), guard, action, ctx);
      if (lockChecked) expect(locked).toThrow(InstanceLocked);
      else expect(locked).not.toThrow();
    });
  }

  it("sets the task_state nova sets when it accepts each", () => {
    expect(Object.fromEntries(table.map(([action]) => [action, ACTIONS[action].taskState]))).toEqual({
      shelve: "shelving",
      shelveOffload: "shelving_offloading",
      unshelve: "unshelving",
      rescue: "rescuing",
      unrescue: "unrescuing",
      changePassword: "updating_password",
      createBackup: "image_backup",
      migrate: "resize_prep",
      "os-migrateLive": "migrating",
    });
  });

  it("shows PASSWORD while the password is set and MIGRATING while a live migration is checked", () => {
    expect(statusOf("active", "updating_password")).toBe("PASSWORD");
    expect(statusOf("active", "migrating")).toBe("MIGRATING");
    expect(statusOf("paused", "migrating")).toBe("MIGRATING");
    expect(statusOf("active", "shelving_image_uploading")).toBe("ACTIVE");
    expect(statusOf("shelved", "shelving_offloading")).toBe("SHELVED");
    expect(statusOf("rescued", null)).toBe("RESCUE");
  });
});
