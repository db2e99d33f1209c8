import type { TaskHandler } from "../../../tasks/engine.js";
import {
  CONDUCTOR_HOST,
  coldMigrationDestination,
  type LiveMigrationTarget,
  liveMigrationDestination,
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
 */
export function coldMigrateTask(s: TaskSupport): TaskHandler {
  return {
    kind: "cold_migrate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_migrate_server", CONDUCTOR_HOST, () =>
          s.event(ctx, "cold_migrate", CONDUCTOR_HOST, async () => {
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
    },
  };
}

/**
 * os-migrateLive from 2.34, where the API answers 202 before the conductor's checks: a
 * refusal (no other host, or the server's own host forced) puts the server back as it
 * was (MIGRATING → its status before), with the fault recorded and the action failed.
 */
export function liveMigrateTask(s: TaskSupport): TaskHandler<LiveMigrationTarget> {
  return {
    kind: "live_migrate",
    steps: [
      async (ctx) => {
        const instance = await s.instance(ctx);
        await s.event(ctx, "conductor_live_migrate_instance", CONDUCTOR_HOST, async () => {
          liveMigrationDestination(instance.uuid, instance.host, s.drivers.hosts, ctx.payload);
          throw new Error(NO_MOVES);
        });
      },
    ],
    async onFailure(ctx, error) {
      await revertTaskState(s, ctx, error);
    },
  };
}
