import type { MigrationRow } from "../../../store/schema.js";
import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { type MigrationRecords, MigrationType, type Requester, requesterIn } from "../migration-records.js";
import { VmState } from "../vm-states.js";
import { CONDUCTOR_HOST, NoValidHost } from "./conductor.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/**
 * migrate (cold), as nova's conductor and computes do it: the conductor picks another host
 * with room (the one named, if any) and claims the server's flavor there while its claims
 * on the source pass to the migration; the destination prepares (compute_prep_resize), the
 * source powers the guest off (compute_resize_instance), the destination starts it from
 * its disk with its ports bound there (compute_finish_resize) → VERIFY_RESIZE, where
 * confirm or revert ends it. The migration walks pre-migrating → migrating →
 * post-migrating → finished. With no other host that fits (one compute host), the server
 * goes back as it was, the fault recorded, the action failed, the migration in error.
 */
export function coldMigrateTask(
  s: TaskSupport,
): TaskHandler<{ host?: string | null; requester?: Requester }> {
  const migrations = s.migrations;
  return {
    kind: "cold_migrate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_migrate_server", CONDUCTOR_HOST, () =>
          s.event(ctx, "cold_migrate", CONDUCTOR_HOST, async () => {
            const migration = await migrations.begin(
              instance,
              MigrationType.MIGRATION,
              requesterIn(ctx, instance),
            );
            try {
              await s.claimMigration(instance, migration, ctx.payload.host ?? null);
            } catch (refusal) {
              // nova's conductor words the scheduler's refusal for what was asked
              if (refusal instanceof NoValidHost)
                throw new NoValidHost("No valid host found for cold migrate");
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
        const source = s.driver(instance);
        await s.event(ctx, "compute_resize_instance", source.hostname, async () => {
          await migrations.advance(instance.uuid, "migrating");
          // the guest stays on its source, off, until the move is confirmed or reverted
          if ((await source.powerState(instance.uuid)) === PowerState.RUNNING)
            await source.powerOff(instance.uuid);
          await migrations.advance(instance.uuid, "post-migrating");
          await s.set(instance.uuid, { task_state: "resize_migrated" });
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrationOf(migrations, instance.uuid);
        const destination = s.drivers.get(migration.dest_compute ?? "");
        if (!destination) throw new Error(`destination ${migration.dest_compute} is not available`);
        await s.event(ctx, "compute_finish_resize", destination.hostname, async () => {
          await s.set(instance.uuid, { task_state: "resize_finish" });
          const guest = s.guest(instance);
          if ((await destination.powerState(instance.uuid)) === PowerState.NOSTATE)
            await destination.spawn(guest);
          // it keeps the power it had: a stopped server arrives stopped
          if (instance.powerState !== PowerState.RUNNING) await destination.powerOff(instance.uuid);
          await s.arrive(instance, destination, VmState.RESIZED);
          await migrations.advance(instance.uuid, "finished");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const uuid = ctx.task.instance_uuid;
      const migration = uuid ? await migrations.current(uuid) : undefined;
      if (uuid && migration) {
        // the guest goes back to where it was, with its claims there
        const row = await s.instances.row(s.db, uuid);
        const destination = migration.dest_compute ? s.drivers.get(migration.dest_compute) : undefined;
        if (destination && migration.dest_compute !== migration.source_compute) {
          await destination.destroy(uuid).catch(() => undefined);
        }
        const source = migration.source_compute ? s.drivers.get(migration.source_compute) : undefined;
        if (source && row?.power_state === PowerState.RUNNING)
          await source.powerOn(uuid).catch(() => undefined);
        await s.placement.endMove(uuid, migration.uuid, true);
      }
      await revertTaskState(s, ctx, error);
      if (uuid) await migrations.advance(uuid, "error");
    },
  };
}

/** The server's migration under way; a task step without one has lost its footing. */
async function migrationOf(migrations: MigrationRecords, uuid: string): Promise<MigrationRow> {
  const migration = await migrations.current(uuid);
  if (!migration) throw new Error(`instance ${uuid} has no migration under way`);
  return migration;
}

/** Where an evacuation may go, as the API passed it, and how the server arrives (2.95: stopped). */
export interface EvacuatePayload {
  host: string | null;
  forced: boolean;
  stopped?: boolean;
}

/**
 * evacuate: nova's conductor rebuilds the server on another host, the failed one left out
 * (a named host only, when one was asked for), claiming its flavor there while the
 * source's claims pass to the evacuation migration (accepted → pre-migrating → done); the
 * destination spawns it from its image with its ports bound there (compute_rebuild_instance).
 * It arrives running, or stopped when it was stopped or from 2.95. The failed host's old
 * guest and claims stay until its compute comes back (HostEvents.cleanUpEvacuated). With
 * no host that fits, the server goes to ERROR with the scheduler's fault and the migration
 * to error.
 */
export function evacuateTask(s: TaskSupport): TaskHandler<EvacuatePayload> {
  const migrations = s.migrations;
  return {
    kind: "evacuate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_rebuild_server", CONDUCTOR_HOST, async () => {
          const migration = await migrationOf(migrations, instance.uuid);
          await s.claimMigration(instance, migration, ctx.payload.host);
          await migrations.advance(instance.uuid, "pre-migrating");
        });
      },
      async (ctx) => {
        const instance = await s.instance(ctx);
        const migration = await migrationOf(migrations, instance.uuid);
        const destination = s.drivers.get(migration.dest_compute ?? "");
        if (!destination) throw new Error(`destination ${migration.dest_compute} is not available`);
        await s.event(ctx, "compute_rebuild_instance", destination.hostname, async () => {
          await s.set(instance.uuid, { task_state: "rebuild_spawning" });
          if ((await destination.powerState(instance.uuid)) === PowerState.NOSTATE) {
            await destination.spawn(s.guest(instance));
          }
          const stopped = ctx.payload.stopped === true || instance.vmState === VmState.STOPPED;
          if (stopped) await destination.powerOff(instance.uuid);
          await s.arrive(instance, destination, stopped ? VmState.STOPPED : VmState.ACTIVE);
          await migrations.advance(instance.uuid, "done");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const uuid = ctx.task.instance_uuid;
      const migration = uuid ? await migrations.current(uuid) : undefined;
      if (uuid && migration) {
        const destination = migration.dest_compute ? s.drivers.get(migration.dest_compute) : undefined;
        await destination?.destroy(uuid).catch(() => undefined);
        await s.placement.endMove(uuid, migration.uuid, true);
        await migrations.advance(uuid, "error");
      }
      await s.fail(ctx, error);
    },
  };
}
