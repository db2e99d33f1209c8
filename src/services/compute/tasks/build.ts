import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

interface BuildPayload {
  /** A host the admin asked for (2.74), else the scheduler picks. */
  host: string | null;
}

/** BUILD: scheduling → networking → block_device_mapping → spawning → ACTIVE (or ERROR with a fault). */
export function buildTask(s: TaskSupport): TaskHandler<BuildPayload> {
  return {
    kind: "build",
    steps: [
      async (ctx) => {
        const instance = await s.row(ctx);
        await s.place(instance.uuid, ctx.payload.host, instance.availability_zone, {
          task_state: "networking",
        });
      },
      async (ctx) => {
        // the ports were made with the server; binding them to its host plugs them in
        const instance = await s.row(ctx);
        await s.network.bind(instance.uuid, instance.host ?? "");
        await s.set(instance.uuid, { task_state: "block_device_mapping" });
      },
      async (ctx) => {
        const instance = await s.row(ctx);
        await s.set(instance.uuid, { task_state: "spawning" });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute__do_build_and_run_instance", driver.hostname, async () => {
          await driver.spawn(s.guest(instance));
          const power = await driver.powerState(instance.uuid);
          const now = new Date().toISOString();
          const applied = await s.instances.update(
            s.db,
            instance.uuid,
            {
              vm_state: VmState.ACTIVE,
              task_state: null,
              power_state: power,
              launched_at: now,
            },
            { notDeleted: true, taskState: "spawning" },
          );
          // deleted (or reset) while spawning: the guest must not outlive its server
          if (!applied && !(await s.present(instance.uuid))) await driver.destroy(instance.uuid);
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      // as nova's build failure: the guest is cleaned up and the server is on no host, so
      // deleting it later is local (nothing on a host is left to destroy)
      const row = ctx.task.instance_uuid ? await s.instances.row(s.db, ctx.task.instance_uuid) : undefined;
      const driver = row?.host ? s.drivers.get(row.host) : undefined;
      // a spawn that failed before the guest existed leaves nothing to destroy
      if (row && driver) await driver.destroy(row.uuid).catch(() => undefined);
      if (row) await s.placement.release(row.uuid);
      await s.fail(ctx, error, { power_state: PowerState.NOSTATE, host: null, node: null });
    },
  };
}
