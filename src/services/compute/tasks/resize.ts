import type { FlavorSnapshot, Instance } from "../../../store/instance-record.js";
import type { InstanceUpdate, MigrationRow } from "../../../store/schema.js";
import type { TaskContext, TaskHandler } from "../../../tasks/engine.js";
import type { Driver } from "../../../virt/driver.js";
import { PowerState } from "../../../virt/power-state.js";
import { type MigrationRecords, MigrationType, type Requester, requesterIn } from "../migration-records.js";
import { VmState } from "../vm-states.js";
import { CONDUCTOR_HOST, NoValidHost } from "./conductor.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/**
 * What the host refuses before it touches the guest (nova's InstanceFaultRollback): the
 * server goes back to how it was, not to ERROR.
 */
class ResizeRollback extends Error {}

/** The vm_state a server returns to after a resize ends: it keeps its power. */
const settled = (power: number) => (power === PowerState.SHUTDOWN ? VmState.STOPPED : VmState.ACTIVE);

/** What the API decided for a resize or cold migration. */
interface MovePayload {
  requester?: Requester;
  /** A cold migration's named destination (2.56). */
  host?: string | null;
  /** nova's allow_resize_to_same_host, as the API read it (a resize enqueued without it: true). */
  sameHost?: boolean;
}

/**
 * Resize, as nova's conductor and computes do it (a cold migration with a new flavor):
 * the conductor picks a host with room for the new flavor (the server's own among them
 * when allow_resize_to_same_host is set) and claims it there while the server's claims
 * pass to the migration (conductor_migrate_server); the destination prepares
 * (compute_prep_resize); the source resizes the guest in place, or powers it off when it
 * moves (compute_resize_instance); the destination ends it (compute_finish_resize):
 * in place the guest has its new size, on another host it starts there from its disk
 * with its ports bound there → VERIFY_RESIZE, where confirm or revert ends it. The
 * migration walks pre-migrating → migrating → post-migrating → finished. With no host
 * that fits, or a host that refuses before it touches the guest, the server goes back as
 * it was with the fault recorded; any other failure puts it in ERROR.
 */
export function resizeTask(s: TaskSupport): TaskHandler<MovePayload> {
  return coldMoveTask(s, {
    kind: "resize",
    type: MigrationType.RESIZE,
    refusal: "No valid host found for resize",
    includeSource: (payload) => payload.sameHost ?? true,
  });
}

/**
 * migrate (cold): nova's resize to the server's own flavor, on another host always (the
 * one named, if any). With no other host that fits (one compute host), the server goes
 * back as it was, the fault recorded, the action failed, the migration in error.
 */
export function coldMigrateTask(s: TaskSupport): TaskHandler<MovePayload> {
  return coldMoveTask(s, {
    kind: "cold_migrate",
    type: MigrationType.MIGRATION,
    refusal: "No valid host found for cold migrate",
    includeSource: () => false,
  });
}

/** The steps resize and cold migration share (nova runs both as one conductor task). */
function coldMoveTask(
  s: TaskSupport,
  move: {
    kind: string;
    type: MigrationType;
    /** nova's conductor's wording of the scheduler's refusal for this move. */
    refusal: string;
    includeSource: (payload: MovePayload) => boolean;
  },
): TaskHandler<MovePayload> {
  const migrations = s.migrations;
  return {
    kind: move.kind,
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_migrate_server", CONDUCTOR_HOST, () =>
          s.event(ctx, "cold_migrate", CONDUCTOR_HOST, async () => {
            const migration = await migrations.begin(instance, move.type, requesterIn(ctx, instance));
            try {
              await s.claimMigration(instance, migration, ctx.payload.host ?? null, {
                flavor: instance.newFlavor ?? instance.flavor,
                includeSource: move.includeSource(ctx.payload),
              });
            } catch (refusal) {
              if (refusal instanceof NoValidHost) throw new NoValidHost(move.refusal);
              throw refusal;
            }
          }),
        );
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrationOf(migrations, instance.uuid);
        await s.event(ctx, "compute_prep_resize", migration.dest_compute ?? "", async () => {
          await s.set(instance.uuid, { task_state: "resize_migrating" });
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrationOf(migrations, instance.uuid);
        const source = s.driver(instance);
        await s.event(ctx, "compute_resize_instance", source.hostname, async () => {
          await migrations.advance(instance.uuid, "migrating");
          // the API let a smaller root disk pass, as nova's does; its driver refuses it here
          if ((instance.newFlavor ?? instance.flavor).root_gb < instance.flavor.root_gb) {
            throw new ResizeRollback("Resize error: Unable to resize disk down.");
          }
          if (migration.dest_compute === source.hostname) {
            await source.resize(s.guest(instance));
          } else if ((await source.powerState(instance.uuid)) === PowerState.RUNNING) {
            // the guest stays on its source, off, until the move is confirmed or reverted
            await source.powerOff(instance.uuid);
          }
          await migrations.advance(instance.uuid, "post-migrating");
          await s.set(instance.uuid, { task_state: "resize_migrated" });
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrationOf(migrations, instance.uuid);
        const flavor = instance.newFlavor ?? instance.flavor;
        const resized = { flavor: JSON.stringify(flavor), flavor_id: flavor.flavorid };
        const destination = s.drivers.get(migration.dest_compute ?? "");
        if (!destination) throw new Error(`destination ${migration.dest_compute} is not available`);
        await s.event(ctx, "compute_finish_resize", destination.hostname, async () => {
          await s.set(instance.uuid, { task_state: "resize_finish" });
          if (destination.hostname === instance.host) {
            await s.set(instance.uuid, {
              ...resized,
              vm_state: VmState.RESIZED,
              task_state: null,
              power_state: await destination.powerState(instance.uuid),
            });
          } else {
            await startOn(s, instance, destination);
            await s.set(instance.uuid, resized);
            await s.arrive(instance, destination, VmState.RESIZED);
          }
          await migrations.advance(instance.uuid, "finished");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const uuid = ctx.task.instance_uuid;
      const migration = uuid ? await migrations.current(uuid) : undefined;
      if (uuid && migration) await undoMove(s, uuid, migration);
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

/**
 * The guest of a moved server starts on `destination` from its disk (a step run again
 * after a crash finds it there), keeping the power it had: a stopped server arrives stopped.
 */
export async function startOn(s: TaskSupport, instance: Instance, destination: Driver): Promise<void> {
  if ((await destination.powerState(instance.uuid)) === PowerState.NOSTATE) {
    await destination.spawn(s.guest(instance));
  }
  if (instance.powerState !== PowerState.RUNNING) await destination.powerOff(instance.uuid);
}

/**
 * A failed move puts the guest back where it was: a copy on another host goes, the
 * source's guest runs again if the server ran, and the server holds its old claims again.
 * A server that had already arrived on the destination stays there: the source's guest
 * and the claims the migration held there go instead, so that it is on one host only.
 */
export async function undoMove(s: TaskSupport, uuid: string, migration: MigrationRow): Promise<void> {
  const row = await s.instances.row(s.db, uuid);
  const moving = migration.dest_compute !== migration.source_compute;
  const destination = moving && migration.dest_compute ? s.drivers.get(migration.dest_compute) : undefined;
  const source = moving && migration.source_compute ? s.drivers.get(migration.source_compute) : undefined;
  if (destination && row?.host === destination.hostname) {
    await source?.destroy(uuid).catch(() => undefined);
    await s.placement.endMove(uuid, migration.uuid, false);
    return;
  }
  await destination?.destroy(uuid).catch(() => undefined);
  if (source && row?.power_state === PowerState.RUNNING) await source.powerOn(uuid).catch(() => undefined);
  await s.placement.endMove(uuid, migration.uuid, true);
}

/** The server's migration under way; a task step without one has lost its footing. */
export async function migrationOf(migrations: MigrationRecords, uuid: string): Promise<MigrationRow> {
  const migration = await migrations.current(uuid);
  if (!migration) throw new Error(`instance ${uuid} has no migration under way`);
  return migration;
}

/** Confirm: drop the old flavor; the server keeps the new size. The migration: confirming → confirmed. */
export function confirmResizeTask(s: TaskSupport): TaskHandler {
  const migrations = s.migrations;
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
  const migrations = s.migrations;
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
            ...backTo(old),
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

/** A reverted server's flavor: the old one again, the resize's pair of flavors dropped. */
function backTo(old: FlavorSnapshot): InstanceUpdate {
  return {
    flavor: JSON.stringify(old),
    flavor_id: old.flavorid,
    old_flavor: null,
    new_flavor: null,
    vcpus: old.vcpus,
    memory_mb: old.memory_mb,
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
    // a resize that moved goes back to its old flavor, which the source's guest still has
    await s.set(instance.uuid, backTo(instance.oldFlavor ?? instance.flavor));
    await s.arrive(instance, source, settled(await source.powerState(instance.uuid)));
    await s.migrations.advance(instance.uuid, "reverted");
  });
  await s.finishAction(ctx);
}
