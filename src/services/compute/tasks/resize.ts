import type { Instance } from "../../../store/instance-record.js";
import type { MigrationRow } from "../../../store/schema.js";
import type { TaskContext, TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { claimedOn, MigrationRecords, MigrationType, requesterIn } from "../migration-records.js";
import { VmState } from "../vm-states.js";
import { NoValidHost } from "./conductor.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/**
 * What the host refuses before it touches the guest (nova's InstanceFaultRollback): the
 * server goes back to how it was, not to ERROR.
 */
class ResizeRollback extends Error {}

/** The vm_state a server returns to after a resize ends: it keeps its power. */
const settled = (power: number) => (power === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE);

/**
 * Resize (same-host, as nova with allow_resize_to_same_host): resize_prep →
 * resize_migrating → resize_migrated → resize_finish → VERIFY_RESIZE. Its migration
 * record walks pre-migrating → migrating → post-migrating → finished.
 */
export function resizeTask(s: TaskSupport): TaskHandler {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "resize",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "compute_prep_resize", instance.host ?? "", async () => {
          const claim = await claimedOn(s.driver(instance));
          const migration = await migrations.begin(
            instance,
            MigrationType.RESIZE,
            requesterIn(ctx, instance),
            claim,
          );
          await s.claimResize(instance, migration.uuid, instance.newFlavor ?? instance.flavor);
          await s.set(instance.uuid, { task_state: "resize_migrating" });
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_resize_instance", driver.hostname, async () => {
          await migrations.advance(instance.uuid, "migrating");
          // the API let a smaller root disk pass, as nova's does; its driver refuses it here
          if ((instance.newFlavor ?? instance.flavor).root_gb < instance.flavor.root_gb) {
            throw new ResizeRollback("Resize error: Unable to resize disk down.");
          }
          await driver.resize(s.guest(instance));
          await migrations.advance(instance.uuid, "post-migrating");
          await s.set(instance.uuid, { task_state: "resize_migrated" });
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_finish_resize", driver.hostname, async () => {
          await s.set(instance.uuid, { task_state: "resize_finish" });
          const flavor = instance.newFlavor ?? instance.flavor;
          await s.set(instance.uuid, {
            flavor: JSON.stringify(flavor),
            flavor_id: flavor.flavorid,
            vm_state: VmState.RESIZED,
            task_state: null,
            power_state: await driver.powerState(instance.uuid),
          });
          await migrations.advance(instance.uuid, "finished");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const uuid = ctx.task.instance_uuid;
      // the old flavor's claims go back to the server
      const migration = uuid ? await migrations.current(uuid) : undefined;
      if (uuid && migration) await s.placement.endMove(uuid, migration.uuid, true);
      if ((error instanceof ResizeRollback || error instanceof NoValidHost) && uuid) {
        const instance = await s.instances.get(uuid);
        await revertTaskState(s, ctx, error, {
          vm_state: settled(instance?.powerState ?? PowerState.RUNNING),
          old_flavor: null,
          new_flavor: null,
          vcpus: instance?.flavor.vcpus,
          memory_mb: instance?.flavor.memory_mb,
        });
      } else {
        await s.fail(ctx, error);
      }
      if (uuid) await migrations.advance(uuid, "error");
    },
  };
}

/** Confirm: drop the old flavor; the server keeps the new size. The migration: confirming → confirmed. */
export function confirmResizeTask(s: TaskSupport): TaskHandler {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "confirm_resize",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrations.current(instance.uuid);
        // a server that moved (a cold migration) is confirmed on its source, where its old guest goes
        const moved = movedFrom(migration, instance.host);
        await s.event(ctx, "compute_confirm_resize", moved ?? instance.host ?? "", async () => {
          await migrations.advance(instance.uuid, "confirming");
          if (moved) await s.drivers.get(moved)?.destroy(instance.uuid);
          // the old flavor's claims, held by the migration, are dropped
          if (migration) await s.placement.endMove(instance.uuid, migration.uuid, false);
          await s.set(instance.uuid, {
            vm_state: settled(instance.powerState),
            old_flavor: null,
            new_flavor: null,
            vcpus: instance.flavor.vcpus,
            memory_mb: instance.flavor.memory_mb,
          });
          await migrations.advance(instance.uuid, "confirmed");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
      if (ctx.task.instance_uuid) await migrations.advance(ctx.task.instance_uuid, "error");
    },
  };
}

/** Revert: back to the old flavor and size. The migration: reverting → reverted. */
export function revertResizeTask(s: TaskSupport): TaskHandler {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "revert_resize",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        const old = instance.oldFlavor ?? instance.flavor;
        const migration = await migrations.current(instance.uuid);
        const moved = movedFrom(migration, instance.host);
        if (migration && moved) return revertMove(s, ctx, instance, migration, moved);
        await s.event(ctx, "compute_revert_resize", driver.hostname, async () => {
          await migrations.advance(instance.uuid, "reverting");
          // the server holds its old flavor again
          if (migration) await s.placement.endMove(instance.uuid, migration.uuid, true);
          await driver.resize({
            ...s.guest(instance),
            vcpus: old.vcpus,
            memoryMb: old.memory_mb,
            rootGb: old.root_gb,
          });
          await s.set(instance.uuid, {
            flavor: JSON.stringify(old),
            flavor_id: old.flavorid,
            old_flavor: null,
            new_flavor: null,
            vcpus: old.vcpus,
            memory_mb: old.memory_mb,
            vm_state: settled(await driver.powerState(instance.uuid)),
            task_state: null,
          });
          await migrations.advance(instance.uuid, "reverted");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
      if (ctx.task.instance_uuid) await migrations.advance(ctx.task.instance_uuid, "error");
    },
  };
}

/** The host a server moved from in this migration, when it is not where it is now. */
function movedFrom(migration: MigrationRow | undefined, host: string | null): string | undefined {
  const source = migration?.source_compute;
  return source && source !== host ? source : undefined;
}

/**
 * Revert of a cold migration: the guest on the destination goes (compute_revert_resize),
 * the one left on the source starts again with the server's ports and claims there
 * (compute_finish_revert_resize). The migration: reverting → reverted.
 */
async function revertMove(
  s: TaskSupport,
  ctx: TaskContext<unknown>,
  instance: Instance,
  migration: MigrationRow,
  sourceHost: string,
): Promise<void> {
  const destination = s.driver(instance);
  const source = s.drivers.get(sourceHost);
  if (!source) throw new Error(`source host ${sourceHost} is not available`);
  let running = false;
  await s.event(ctx, "compute_revert_resize", destination.hostname, async () => {
    await s.migrations.advance(instance.uuid, "reverting");
    running = (await destination.powerState(instance.uuid)) === PowerState.RUNNING;
    await destination.destroy(instance.uuid);
  });
  await s.event(ctx, "compute_finish_revert_resize", sourceHost, async () => {
    if (running && (await source.powerState(instance.uuid)) !== PowerState.RUNNING) {
      await source.powerOn(instance.uuid);
    }
    await s.placement.endMove(instance.uuid, migration.uuid, true);
    await s.arrive(instance, source, settled(await source.powerState(instance.uuid)));
    await s.migrations.advance(instance.uuid, "reverted");
  });
  await s.finishAction(ctx);
}
