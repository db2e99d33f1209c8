import type { TaskHandler } from "../../../tasks/engine.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

interface RescuePayload {
  /** The image the rescue system boots from (the server's own image unless one was given). */
  imageRef: string;
}

/** The rescue system's password: a secret of the task, sealed in its row (a type, as secrets are a record). */
type RescueSecrets = { adminPass: string };

/**
 * rescue: rescuing → RESCUE. The guest is shut down and booted from the rescue image with
 * its own disk attached. nova puts a server whose rescue failed in ERROR.
 */
export function rescueTask(s: TaskSupport): TaskHandler<RescuePayload, RescueSecrets> {
  return {
    kind: "rescue",
    steps: [
      (ctx) =>
        s.hostOperation(
          ctx,
          "compute_rescue_instance",
          async (driver, instance) => {
            await driver.powerOff(instance.uuid);
            await driver.rescue(instance.uuid, ctx.payload.imageRef, ctx.secrets.adminPass);
          },
          { vm_state: VmState.RESCUED, launched_at: new Date().toISOString() },
        ),
    ],
    async onFailure(ctx, error) {
      const reason = error instanceof Error ? error.message : String(error);
      await s.fail(
        ctx,
        new Error(`Instance ${ctx.task.instance_uuid} cannot be rescued: Driver Error: ${reason}`),
      );
    },
  };
}

/** unrescue: unrescuing → ACTIVE, booted from its own disk again (ERROR if that fails). */
export function unrescueTask(s: TaskSupport): TaskHandler {
  return {
    kind: "unrescue",
    steps: [
      (ctx) =>
        s.hostOperation(ctx, "compute_unrescue_instance", (driver, i) => driver.unrescue(i.uuid), {
          vm_state: VmState.ACTIVE,
        }),
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
