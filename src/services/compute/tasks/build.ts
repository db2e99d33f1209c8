import type { Instance } from "../../../store/instance-record.js";
import { TaskCancelled, type TaskContext, type TaskHandler } from "../../../tasks/engine.js";
import type { Driver } from "../../../virt/driver.js";
import { PowerState } from "../../../virt/power-state.js";
import { VmState } from "../vm-states.js";
import { NoValidHost } from "./conductor.js";
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
        let instance = await s.instance(ctx);
        const tried: string[] = [];
        for (;;) {
          const driver = s.driver(instance);
          try {
            await s.event(ctx, "compute__do_build_and_run_instance", driver.hostname, () =>
              spawn(s, instance, driver),
            );
            break;
          } catch (error) {
            if (error instanceof TaskCancelled || s.maxAttempts <= 1) throw error;
            tried.push(driver.hostname);
            instance = await reschedule(s, ctx, instance, driver, error, tried);
          }
        }
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

/** The guest starts on its host; the server is ACTIVE unless it was deleted or reset meanwhile. */
async function spawn(s: TaskSupport, instance: Instance, driver: Driver): Promise<void> {
  await driver.spawn(s.guest(instance));
  const power = await driver.powerState(instance.uuid);
  const now = new Date().toISOString();
  const applied = await s.instances.update(
    s.db,
    instance.uuid,
    { vm_state: VmState.ACTIVE, task_state: null, power_state: power, launched_at: now },
    { notDeleted: true, taskState: "spawning" },
  );
  // deleted (or reset) while spawning: the guest must not outlive its server
  if (!applied && !(await s.present(instance.uuid))) await driver.destroy(instance.uuid);
}

/** nova's MaxRetriesExceeded, a NoValidHost: the build failed on every host it could try. */
class MaxRetriesExceeded extends Error {
  constructor(uuid: string) {
    super(
      `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`,
    );
  }
}

/**
 * nova's reschedule of a failed build (scheduler max_attempts): the failure becomes the
 * server's fault, its guest and claim on that host go, and the scheduler places it on a
 * host not tried yet (the alternates nova's scheduler keeps), where its ports are bound
 * and it spawns again. When the attempts are used up, or no other host fits (one host, or
 * the one host asked for), the build ends with MaxRetriesExceeded.
 */
async function reschedule(
  s: TaskSupport,
  ctx: TaskContext<BuildPayload>,
  instance: Instance,
  failed: Driver,
  error: unknown,
  tried: readonly string[],
): Promise<Instance> {
  const message = error instanceof Error ? error.message : String(error);
  await s.instances.setFault(
    s.db,
    instance.uuid,
    500,
    message,
    error instanceof Error ? (error.stack ?? null) : null,
  );
  await failed.destroy(instance.uuid).catch(() => undefined);
  if (tried.length >= s.maxAttempts) throw new MaxRetriesExceeded(instance.uuid);
  await s.set(instance.uuid, { task_state: "scheduling" });
  const placed = await s
    .place(
      instance.uuid,
      ctx.payload.host,
      instance.pinnedAvailabilityZone,
      { task_state: "networking" },
      {
        avoid: tried,
      },
    )
    .catch((refusal: unknown) => {
      if (refusal instanceof NoValidHost) throw new MaxRetriesExceeded(instance.uuid);
      throw refusal;
    });
  await s.network.bind(instance.uuid, placed.host);
  await s.set(instance.uuid, { task_state: "spawning" });
  return s.instance(ctx);
}
