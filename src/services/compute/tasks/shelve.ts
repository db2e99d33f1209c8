import type { Instance } from "../../../store/instance-record.js";
import type { TaskContext, TaskHandler } from "../../../tasks/engine.js";
import type { Driver } from "../../../virt/driver.js";
import { PowerState } from "../../../virt/power-state.js";
import type { AuthContext } from "../../context.js";
import { VmState } from "../vm-states.js";
import { CONDUCTOR_HOST, NoValidHost } from "./conductor.js";
import { elevated } from "./requester.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/** The guest is shut down (nova's `_power_off_instance`); a guest already off or gone is left alone. */
async function powerOff(driver: Driver, uuid: string): Promise<void> {
  const power = await driver.powerState(uuid);
  if (power !== PowerState.SHUTDOWN && power !== PowerState.NOSTATE) await driver.powerOff(uuid);
}

/**
 * Removes a shelved server from its host (nova's `_shelve_offload_instance`): the guest is
 * shut down and destroyed, the server keeps the power state read before the destroy and
 * has no host or node until it is unshelved. Its addresses stay allocated to it (nova
 * unbinds the ports without deleting them) and it still counts against the quota.
 */
async function offload(s: TaskSupport, uuid: string, driver: Driver): Promise<void> {
  await powerOff(driver, uuid);
  const power = await driver.powerState(uuid);
  await driver.destroy(uuid);
  // off its host, it holds nothing there (nova removes its allocations)
  await s.placement.release(uuid);
  await s.set(uuid, {
    vm_state: VmState.SHELVED_OFFLOADED,
    task_state: null,
    power_state: power,
    host: null,
    node: null,
  });
}

/**
 * shelve: shelving → shelving_image_pending_upload → shelving_image_uploading → SHELVED
 * (task shelving_offloading) → SHELVED_OFFLOADED. The snapshot goes into the image created
 * when the request was accepted (`<name>-shelved`). The offload follows at once, as nova
 * does with its default `shelved_offload_time` of 0.
 */
export function shelveTask(s: TaskSupport): TaskHandler<{ imageId: string }> {
  return {
    kind: "shelve",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_shelve_instance", driver.hostname, async () => {
          // a task resumed after a crash may find the snapshot taken already
          if (instance.vmState !== VmState.SHELVED) {
            await powerOff(driver, instance.uuid);
            await s.set(instance.uuid, { task_state: "shelving_image_pending_upload" });
            const data = await driver.snapshot(instance.uuid);
            await s.set(instance.uuid, { task_state: "shelving_image_uploading" });
            await s.images.uploadSnapshot(ctx.payload.imageId, data);
            await s.set(instance.uuid, {
              vm_state: VmState.SHELVED,
              task_state: "shelving_offloading",
              power_state: await driver.powerState(instance.uuid),
              shelved_image_id: ctx.payload.imageId,
            });
          }
          await offload(s, instance.uuid, driver);
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const row = ctx.task.instance_uuid ? await s.instances.row(s.db, ctx.task.instance_uuid) : undefined;
      // a snapshot that never became the shelved server's image is of no use to anyone
      if (row?.shelved_image_id !== ctx.payload.imageId) {
        await s.images.deleteSnapshot(ctx.payload.imageId).catch(() => undefined);
      }
      await revertTaskState(s, ctx, error);
    },
  };
}

/** shelveOffload: a SHELVED server (shelving_offloading) leaves its host: SHELVED_OFFLOADED. */
export function shelveOffloadTask(s: TaskSupport): TaskHandler {
  return {
    kind: "shelve_offload",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_shelve_offload_instance", driver.hostname, () =>
          offload(s, instance.uuid, driver),
        );
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await revertTaskState(s, ctx, error);
    },
  };
}

interface UnshelvePayload {
  /** A host the admin asked for (2.91), else the scheduler picks. */
  host: string | null;
  requester: AuthContext;
}

/** The shelved server's snapshot is gone: nova puts the server in ERROR. */
class ShelvedImageGone extends Error {}

/**
 * unshelve. A SHELVED server is still on its host: it is powered on (powering-on → ACTIVE).
 * A SHELVED_OFFLOADED one goes through the conductor (its snapshot is looked up, a host
 * chosen) and is spawned there from the snapshot (spawning → ACTIVE). Either way the
 * snapshot is deleted once the server runs again.
 */
export function unshelveTask(s: TaskSupport): TaskHandler<UnshelvePayload> {
  const dropSnapshot = async (uuid: string) => {
    const row = await s.instances.row(s.db, uuid);
    if (row?.shelved_image_id) await s.images.deleteSnapshot(row.shelved_image_id);
  };

  const startShelved = async (ctx: TaskContext<UnshelvePayload>, instance: Instance) => {
    await s.set(instance.uuid, { task_state: "powering-on" });
    const driver = s.driver(instance);
    await s.event(ctx, "compute_start_instance", driver.hostname, async () => {
      await driver.powerOn(instance.uuid);
      await dropSnapshot(instance.uuid);
      await s.set(instance.uuid, {
        vm_state: VmState.ACTIVE,
        task_state: null,
        power_state: await driver.powerState(instance.uuid),
        shelved_image_id: null,
      });
    });
    await s.finishAction(ctx);
  };

  return {
    kind: "unshelve",
    steps: [
      // the conductor: a SHELVED server is started where it is; an offloaded one gets a host
      async (ctx) => {
        const instance = await s.instance(ctx);
        if (instance.vmState === VmState.SHELVED) return startShelved(ctx, instance);
        const row = await s.instances.row(s.db, instance.uuid);
        const imageId = row?.shelved_image_id ?? "";
        await s.event(ctx, "get_image_info", CONDUCTOR_HOST, async () => {
          const found = await s.images.get(elevated(ctx.payload.requester), imageId).catch(() => undefined);
          if (!found) {
            throw new ShelvedImageGone(`Unshelve attempted but the image ${imageId} cannot be found.`);
          }
        });
        await s.event(ctx, "schedule_instances", CONDUCTOR_HOST, async () => {
          await s.place(
            instance.uuid,
            ctx.payload.host,
            instance.pinnedAvailabilityZone,
            {},
            { group: true },
          );
        });
      },
      // the compute host: spawn from the snapshot
      async (ctx) => {
        const instance = await s.instance(ctx);
        if (instance.vmState !== VmState.SHELVED_OFFLOADED) return; // started where it was
        const driver = s.driver(instance);
        const row = await s.instances.row(s.db, instance.uuid);
        await s.event(ctx, "compute_unshelve_instance", driver.hostname, async () => {
          await s.set(instance.uuid, { task_state: "spawning" });
          await driver.spawn({ ...s.guest(instance), imageRef: row?.shelved_image_id ?? instance.imageRef });
          await dropSnapshot(instance.uuid);
          await s.set(instance.uuid, {
            vm_state: VmState.ACTIVE,
            task_state: null,
            power_state: await driver.powerState(instance.uuid),
            launched_at: new Date().toISOString(),
            shelved_image_id: null,
          });
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      if (error instanceof ShelvedImageGone) return s.fail(ctx, error);
      if (error instanceof NoValidHost && ctx.task.instance_uuid) {
        // nova's conductor gives up quietly: the server stays offloaded, without a fault
        await s.instances.update(s.db, ctx.task.instance_uuid, { task_state: null }, { notDeleted: true });
        return s.finishAction(ctx, "Error");
      }
      const row = ctx.task.instance_uuid ? await s.instances.row(s.db, ctx.task.instance_uuid) : undefined;
      // an offloaded server that could not be spawned is not on any host (nova nils host and node)
      const offloaded = row?.vm_state === VmState.SHELVED_OFFLOADED;
      if (offloaded && row) await s.placement.release(row.uuid);
      await revertTaskState(s, ctx, error, offloaded ? { host: null, node: null } : {});
    },
  };
}
