import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/**
 * changePassword: updating_password (status PASSWORD) → back to ACTIVE with the new
 * password set in the guest. A guest that is not running cannot take it: the task_state
 * is cleared and the failure recorded, the server left as it is (nova's set_admin_password).
 * The password is one of the task's secrets: sealed in its row, never in clear.
 */
export function setAdminPasswordTask(s: TaskSupport): TaskHandler<unknown, { password: string }> {
  return {
    kind: "set_admin_password",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_set_admin_password", driver.hostname, async () => {
          if ((await driver.powerState(instance.uuid)) !== PowerState.RUNNING) {
            throw new Error(
              `Failed to set admin password on ${instance.uuid} because instance ${instance.uuid} is not running`,
            );
          }
          try {
            await driver.setAdminPassword(instance.uuid, ctx.secrets.password);
          } catch {
            // nova words its own error here, so that the password cannot leak into the fault
            throw new Error(
              `Failed to set admin password on ${instance.uuid} because error setting admin password`,
            );
          }
          await s.set(instance.uuid, { task_state: null });
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await revertTaskState(s, ctx, error);
    },
  };
}
