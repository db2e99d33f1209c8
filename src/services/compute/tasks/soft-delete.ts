import type { TaskHandler } from "../../../tasks/engine.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

/**
 * Soft delete (with a reclaim interval): nova's soft_delete_instance powers the guest off
 * and leaves it on its host, SOFT_DELETED, until it is restored, force-deleted or reclaimed.
 */
export function softDeleteTask(s: TaskSupport): TaskHandler {
  return {
    kind: "soft_delete",
    steps: [
      (ctx) =>
        s.hostOperation(ctx, "compute_soft_delete_instance", (driver, i) => driver.powerOff(i.uuid), {
          vm_state: VmState.SOFT_DELETED,
        }),
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}

/** Restore: the soft-deleted guest powered on again, ACTIVE (nova's restore_instance). */
export function restoreTask(s: TaskSupport): TaskHandler {
  return {
    kind: "restore",
    steps: [
      (ctx) =>
        s.hostOperation(ctx, "compute_restore_instance", (driver, i) => driver.powerOn(i.uuid), {
          vm_state: VmState.ACTIVE,
        }),
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
