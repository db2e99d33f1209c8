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
    expect(() => checkGuard(server({ launchedAt: null }), ACTIONS.pause, "pause", ctx)).toThrow(
      "while it is in launched_at None",
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
