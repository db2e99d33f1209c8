import type { TaskHandler } from "../../../tasks/engine.js";
import { MigrationRecords, MigrationType, type Requester, requesterIn } from "../migration-records.js";
import {
  CONDUCTOR_HOST,
  coldMigrationDestination,
  type LiveMigrationTarget,
  liveMigrationDestination,
  liveMigrationForcedTo,
  NoValidHost,
} from "./conductor.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/** What a move would need and nimbus does not do yet: carry a guest from one host to another. */
const NO_MOVES = "moving a server between compute hosts is not supported by nimbus yet";

/**
 * migrate (cold): the conductor asks the scheduler for another host. When there is none
 * (one compute host), nova's conductor puts the server back as it was (RESIZE → its
 * status before), records the fault and fails the action; the API had answered 202.
 * Its migration record goes from pre-migrating to error.
 */
export function coldMigrateTask(s: TaskSupport): TaskHandler {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "cold_migrate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_migrate_server", CONDUCTOR_HOST, () =>
          s.event(ctx, "cold_migrate", CONDUCTOR_HOST, async () => {
            await migrations.begin(instance, MigrationType.MIGRATION, requesterIn(ctx, instance));
            try {
              coldMigrationDestination(instance.host, s.drivers.hosts);
            } catch (refusal) {
              // nova's conductor words the scheduler's refusal for what was asked
              if (refusal instanceof NoValidHost)
                throw new NoValidHost("No valid host found for cold migrate");
              throw refusal;
            }
            throw new Error(NO_MOVES);
          }),
        );
      },
    ],
    async onFailure(ctx, error) {
      await revertTaskState(s, ctx, error);
      if (ctx.task.instance_uuid) await migrations.advance(ctx.task.instance_uuid, "error");
    },
  };
}

/**
 * os-migrateLive from 2.34, where the API answers 202 before the conductor's checks: a
 * refusal (no other host, or the server's own host forced) puts the server back as it
 * was (MIGRATING → its status before), with the fault recorded and the action failed.
 * Its migration record goes from accepted to error.
 */
export function liveMigrateTask(
  s: TaskSupport,
): TaskHandler<LiveMigrationTarget & { requester?: Requester }> {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "live_migrate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_live_migrate_instance", CONDUCTOR_HOST, async () => {
          const forced = liveMigrationForcedTo(ctx.payload);
          await migrations.begin(instance, MigrationType.LIVE_MIGRATION, requesterIn(ctx, instance), forced);
          liveMigrationDestination(instance.uuid, instance.host, s.drivers.hosts, ctx.payload);
          throw new Error(NO_MOVES);
        });
      },
    ],
    async onFailure(ctx, error) {
      await revertTaskState(s, ctx, error);
      if (ctx.task.instance_uuid) await migrations.advance(ctx.task.instance_uuid, "error");
    },
  };
}

/**
 * evacuate: nova's conductor rebuilds the server on another host, the failed one ignored
 * (a forced host is taken as named). With none, the server goes to ERROR with the
 * scheduler's fault, the action fails and the evacuation migration goes to error.
 */
export function evacuateTask(s: TaskSupport): TaskHandler<LiveMigrationTarget> {
  const migrations = new MigrationRecords(s.db);
  return {
    kind: "evacuate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_rebuild_server", CONDUCTOR_HOST, async () => {
          // the same choice as a live migration's: a forced host, else any other that fits
          liveMigrationDestination(instance.uuid, instance.host, s.drivers.hosts, ctx.payload);
          throw new Error(NO_MOVES);
        });
      },
    ],
    async onFailure(ctx, error) {
      if (ctx.task.instance_uuid) await migrations.advance(ctx.task.instance_uuid, "error");
      await s.fail(ctx, error);
    },
  };
}
