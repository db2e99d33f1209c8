import type { TaskHandler } from "../../../tasks/engine.js";
import { PowerState } from "../../../virt/power-state.js";
import { VmState } from "../vm-states.js";
import { CONDUCTOR_HOST } from "./conductor.js";
import { migrationOf } from "./resize.js";
import type { TaskSupport } from "./support.js";

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
