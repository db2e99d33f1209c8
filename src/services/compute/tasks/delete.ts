import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

/** Delete: destroy the guest (if it reached a host), free its addresses, mark the server deleted. */
export function deleteTask(s: TaskSupport): TaskHandler {
  return {
    kind: "delete",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = instance.host ? s.drivers.get(instance.host) : undefined;
        await s.event(ctx, "compute_terminate_instance", instance.host ?? "", async () => {
          if (driver) await driver.destroy(instance.uuid);
          await s.network.release(instance.uuid);
          // a shelved server's snapshot goes with it, as nova deletes it with the server
          const shelvedImage = (await s.instances.row(s.db, instance.uuid))?.shelved_image_id;
          if (shelvedImage) await s.images.deleteSnapshot(shelvedImage);
          const now = new Date().toISOString();
          await s.set(instance.uuid, {
            vm_state: VmState.DELETED,
            task_state: null,
            power_state: PowerState.NOSTATE,
            deleted: 1,
            deleted_at: now,
            terminated_at: now,
          });
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
