import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

/** Rebuild: rebuilding → rebuild_spawning → the server runs the new image (a stopped server stays stopped). */
export function rebuildTask(s: TaskSupport): TaskHandler {
  return {
    kind: "rebuild",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_rebuild_instance", driver.hostname, async () => {
          const wasStopped = instance.vmState === VmState.STOPPED;
          await s.set(instance.uuid, { task_state: "rebuild_spawning" });
          await driver.rebuild(s.guest(instance));
          if (wasStopped) await driver.powerOff(instance.uuid);
          await s.set(instance.uuid, {
            vm_state: wasStopped ? VmState.STOPPED : VmState.ACTIVE,
            task_state: null,
            power_state: await driver.powerState(instance.uuid),
            launched_at: new Date().toISOString(),
          });
          await s.instances.clearFault(s.db, instance.uuid);
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      // a guest that failed to (re)spawn is not running
      await s.fail(ctx, error, { power_state: PowerState.NOSTATE });
    },
  };
}
