import { ComputeHostRepository } from "../../../store/compute-host-repository.js";
import type { Instance } from "../../../store/instance-record.js";
import type { MigrationRow } from "../../../store/schema.js";
import { TaskCancelled, type TaskContext, type TaskHandler } from "../../../tasks/engine.js";
import type { Driver, LiveMigrationProgress } from "../../../virt/driver.js";
import { POWER_STATE_NAMES, PowerState } from "../../../virt/power-state.js";
import { Binary, isUp } from "../host-service.js";
import { MigrationType, type Requester, requesterIn } from "../migration-records.js";
import { flavorResources } from "../placement.js";
import { VmState } from "../vm-states.js";
import {
  CONDUCTOR_HOST,
  ComputeServiceUnavailable,
  checkCompatibleHypervisors,
  InstanceNotLive,
  type LiveMigrationTarget,
  liveMigrationForcedTo,
  MigrationRefused,
  NoValidHost,
  noRoomOn,
  UnableToMigrateToSelf,
} from "./conductor.js";
import { revertTaskState } from "./revert.js";
import type { TaskSupport } from "./support.js";

/** What the API passes a live migration's task. */
export interface LiveMigratePayload extends LiveMigrationTarget {
  /** As the request gave it: true, false, "auto" (2.25), or absent. */
  blockMigration?: boolean | "auto" | null;
  requester?: Requester;
  /** Before 2.34 the API waits for the conductor (its event is then conductor_migrate_server). */
  sync?: boolean;
}

/** The API aborted the migration (its record is cancelled): the task rolls it back. */
export class LiveMigrationCancelled extends Error {
  constructor(id: number) {
    super(`live migration ${id} was aborted`);
  }
}

/** The copy itself failed: nova's driver rolls back with the migration "failed". */
class CopyFailed extends Error {}

/** The server's live migration this task began (its newest, made after the task was). */
async function migrationOf(s: TaskSupport, ctx: TaskContext<unknown>): Promise<MigrationRow | undefined> {
  const uuid = ctx.task.instance_uuid;
  return uuid ? s.migrations.liveMigrationSince(uuid, ctx.task.created_at) : undefined;
}

async function current(s: TaskSupport, ctx: TaskContext<unknown>): Promise<MigrationRow> {
  const migration = await migrationOf(s, ctx);
  if (!migration) throw new Error(`instance ${ctx.task.instance_uuid} has no live migration under way`);
  if (migration.status === "cancelled") throw new LiveMigrationCancelled(migration.id);
  return migration;
}

/**
 * The task's server; one deleted meanwhile cancels the task, and what the move had taken
 * goes with it: the guest copied to the destination and the claims of the server and its
 * migration (the delete freed those it saw), the migration in error.
 */
async function instanceOf(s: TaskSupport, ctx: TaskContext<unknown>): Promise<Instance> {
  try {
    return await s.instance(ctx);
  } catch (error) {
    if (!(error instanceof TaskCancelled)) throw error;
    const migration = await migrationOf(s, ctx);
    if (migration) {
      const destination = migration.dest_compute ? s.drivers.get(migration.dest_compute) : undefined;
      if (destination && migration.dest_compute !== migration.source_compute) {
        await destination.destroy(migration.instance_uuid);
      }
      await s.placement.release(migration.uuid);
      await s.placement.release(migration.instance_uuid);
      if (!["completed", "cancelled"].includes(migration.status)) {
        await s.migrations.setStatus(migration.id, "error");
      }
    }
    throw error;
  }
}

function hostOf(s: TaskSupport, host: string | null): Driver {
  const driver = host ? s.drivers.get(host) : undefined;
  if (!driver) throw new Error(`host ${host ?? "(none)"} is not available`);
  return driver;
}

/** nova's servicegroup check of a host's nova-compute service. */
async function checkHostIsUp(s: TaskSupport, host: string): Promise<void> {
  const service = await new ComputeHostRepository(s.db).serviceOn(host, Binary.COMPUTE);
  if (!service || !isUp(service, new Date())) throw new ComputeServiceUnavailable(host);
}

async function checkCompatible(s: TaskSupport, source: string, destination: string): Promise<void> {
  const [from, to] = await Promise.all([hostOf(s, source).capacity(), hostOf(s, destination).capacity()]);
  checkCompatibleHypervisors(from, to);
}

/**
 * A forced destination (nova's claim_resources_on_destination): the scheduler is bypassed,
 * but the flavor is still claimed there, in the transaction that passes the source's
 * claims to the migration and records the destination.
 */
async function claimForced(s: TaskSupport, instance: Instance, migration: MigrationRow, host: string) {
  const driver = hostOf(s, host);
  const destination = { compute: host, node: host, host: (await driver.capacity()).hostIp };
  const resources = flavorResources(instance.flavor);
  const claimed = await s.db.transaction().execute(async (trx) => {
    if (!(await s.placement.claimMove(trx, host, instance.uuid, migration.uuid, resources))) return false;
    await s.migrations.setDestination(trx, migration.id, destination);
    return true;
  });
  if (!claimed) throw noRoomOn(instance.uuid, host);
}

/**
 * nova's LiveMigrationTask._execute: the guest must be running or paused and its host up;
 * a forced host must not be the source, must be up and of a compatible hypervisor, and is
 * claimed; otherwise the scheduler picks (only the named host, when there is one) and a
 * host of another hypervisor is skipped for the next. The destination's and source's
 * checks are their events. Answers the destination; a step run again finds it claimed.
 */
async function chooseDestination(
  s: TaskSupport,
  ctx: TaskContext<LiveMigratePayload>,
  instance: Instance,
  migration: MigrationRow,
): Promise<string> {
  if (migration.dest_compute && (await s.placement.allocationsOf(migration.uuid)).size > 0) {
    return migration.dest_compute;
  }
  const source = instance.host ?? "";
  if (instance.powerState !== PowerState.RUNNING && instance.powerState !== PowerState.PAUSED) {
    throw new InstanceNotLive(instance.uuid, POWER_STATE_NAMES[instance.powerState] ?? "pending");
  }
  await checkHostIsUp(s, source);
  const { host, forced } = ctx.payload;
  if (host !== null && forced) {
    if (host === source) throw new UnableToMigrateToSelf(instance.uuid, host);
    await checkHostIsUp(s, host);
    await checkCompatible(s, source, host);
    await claimForced(s, instance, migration, host);
    return host;
  }
  const chosen = await s.claimMigration(instance, migration, host);
  try {
    await checkCompatible(s, source, chosen);
    return chosen;
  } catch (refusal) {
    await s.placement.endMove(instance.uuid, migration.uuid, true);
    if (host !== null) throw refusal;
  }
  // nova's scheduler is asked again without the host it skipped: here, each other host by name
  for (const other of s.drivers.hosts.filter((h) => h !== source && h !== chosen)) {
    try {
      await checkCompatible(s, source, other);
      return await s.claimMigration(instance, migration, other);
    } catch (refusal) {
      if (!(refusal instanceof MigrationRefused)) throw refusal;
    }
  }
  throw new NoValidHost("There are not enough hosts available.");
}

/** The fake hosts share no storage: "auto" (and an absent value) is a block migration. */
const isBlockMigration = (asked: LiveMigratePayload["blockMigration"]) => asked !== false;

/**
 * os-migrateLive, as nova's conductor and computes carry it out, one durable step each:
 *
 * 1. the conductor (conductor_live_migrate_instance; conductor_migrate_server when the API
 *    waits, before 2.34) checks and claims the destination, the source's claims passing
 *    to the migration (accepted); the destination's and source's checks are events;
 * 2. the source queues it (compute_live_migration; queued);
 * 3. the destination prepares (compute_pre_live_migration; preparing);
 * 4. the source copies the guest while it runs (running), the progress recorded on the
 *    migration; force_complete makes the copy converge at once, abort stops it;
 * 5. the destination takes the server (compute_post_live_migration_at_destination): the
 *    guest on the source is destroyed, the server takes its ports, host, node, zone and
 *    power read back there, ACTIVE (or PAUSED, as it was); then the migration's claims on
 *    the source go (completed).
 *
 * Each step run again after a crash finds what it had done: a claim made, a status
 * reached, a server arrived; an interrupted copy starts again. A refusal or a failure
 * rolls back as nova's _rollback_live_migration: the destination's guest goes, the claims
 * return to the server on its source, where it stays with its vm_state, the fault
 * recorded, the action failed and the migration in error ("failed" when the copy failed);
 * an abort ends the same way with the migration cancelled and no fault.
 */
export function liveMigrateTask(s: TaskSupport): TaskHandler<LiveMigratePayload> {
  const migrations = s.migrations;
  /** The next status, unless the API aborted the migration meanwhile. */
  const moveOn = async (migration: MigrationRow, status: string) => {
    if (!(await migrations.moveOn(migration.id, status))) throw new LiveMigrationCancelled(migration.id);
  };
  return {
    kind: "live_migrate",
    steps: [
      async (ctx) => {
        const instance = await instanceOf(s, ctx);
        const event = ctx.payload.sync ? "conductor_migrate_server" : "conductor_live_migrate_instance";
        await s.event(ctx, event, CONDUCTOR_HOST, async () => {
          const forced = liveMigrationForcedTo(ctx.payload);
          const migration = await migrations.begin(
            instance,
            MigrationType.LIVE_MIGRATION,
            requesterIn(ctx, instance),
            forced,
          );
          const destination = await chooseDestination(s, ctx, instance, migration);
          await s.event(ctx, "compute_check_can_live_migrate_destination", destination, () =>
            s.event(ctx, "compute_check_can_live_migrate_source", instance.host ?? "", async () => {
              // fake hosts need nothing checked: nova's fake driver answers its migrate data
            }),
          );
          await migrations.update(migration.id, { source_node: instance.node });
        });
      },
      async (ctx) => {
        const instance = await instanceOf(s, ctx);
        const migration = await current(s, ctx);
        await s.event(ctx, "compute_live_migration", instance.host ?? "", async () => {
          if (migration.status === "accepted") await moveOn(migration, "queued");
        });
      },
      async (ctx) => {
        await instanceOf(s, ctx);
        const migration = await current(s, ctx);
        const destination = hostOf(s, migration.dest_compute);
        await s.event(ctx, "compute_pre_live_migration", destination.hostname, async () => {
          // the destination has what it needs to receive the guest once it is up
          await checkHostIsUp(s, destination.hostname);
          await moveOn(migration, "preparing");
        });
      },
      async (ctx) => {
        const instance = await instanceOf(s, ctx);
        const migration = await current(s, ctx);
        const source = s.driver(instance);
        const destination = hostOf(s, migration.dest_compute);
        await moveOn(migration, "running");
        const aborted = new AbortController();
        try {
          await source.liveMigrate(instance.uuid, destination, {
            blockMigration: isBlockMigration(ctx.payload.blockMigration),
            signal: aborted.signal,
            onProgress: async (progress) => {
              await migrations.update(migration.id, progressColumns(progress));
              // nova's libvirt driver: the share of the memory copied is the server's progress
              // (a server deleted meanwhile is cleaned up by the next step)
              const changes = { progress: progressOf(progress) };
              await s.instances.update(s.db, instance.uuid, changes, { notDeleted: true });
              // the API marks an abort on the record; the copy stops at its next round
              const now = await migrations.byId(instance.uuid, migration.id);
              if (now?.status === "cancelled") aborted.abort(new LiveMigrationCancelled(migration.id));
            },
          });
        } catch (error) {
          if (aborted.signal.aborted) throw new LiveMigrationCancelled(migration.id);
          if (error instanceof TaskCancelled) throw error;
          throw new CopyFailed(error instanceof Error ? error.message : String(error));
        }
      },
      async (ctx) => {
        const instance = await instanceOf(s, ctx);
        const migration = await migrationOf(s, ctx);
        if (!migration) throw new Error(`instance ${instance.uuid} has no live migration under way`);
        const destination = hostOf(s, migration.dest_compute);
        const sourceHost = migration.source_compute;
        await s.event(ctx, "compute_post_live_migration_at_destination", destination.hostname, async () => {
          if (instance.host !== destination.hostname) {
            // aborted after the copy, before the switch-over was recorded: still undone
            if (migration.status === "cancelled") throw new LiveMigrationCancelled(migration.id);
            // a guest copied before a crash of a host that keeps guests in memory is lost
            if ((await destination.powerState(instance.uuid)) === PowerState.NOSTATE) {
              throw new Error(`the guest copied to ${destination.hostname} is not there`);
            }
            // the source's guest goes first: a crash then leaves the server on the copy only
            const source = sourceHost ? s.drivers.get(sourceHost) : undefined;
            if (source && (await source.powerState(instance.uuid)) !== PowerState.NOSTATE) {
              await source.destroy(instance.uuid);
            }
            const vmState = instance.vmState === VmState.PAUSED ? VmState.PAUSED : VmState.ACTIVE;
            await s.set(instance.uuid, { progress: 0 });
            await s.arrive(instance, destination, vmState);
          }
          // the server's claims are on its new host: the migration's on the source go
          await s.placement.endMove(instance.uuid, migration.uuid, false);
          await migrations.setStatus(migration.id, "completed");
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      const uuid = ctx.task.instance_uuid;
      if (!uuid) return;
      const migration = await migrationOf(s, ctx);
      const cancelled = error instanceof LiveMigrationCancelled || migration?.status === "cancelled";
      try {
        const row = await s.instances.row(s.db, uuid);
        if (
          migration &&
          row &&
          row.host === migration.dest_compute &&
          row.host !== migration.source_compute
        ) {
          // the server had arrived: only the source's clean-up was left
          await s.placement.endMove(uuid, migration.uuid, false);
          await migrations.setStatus(migration.id, "completed");
          await revertTaskState(s, ctx, error);
          return;
        }
        const source = row?.host ? s.drivers.get(row.host) : undefined;
        const power = source ? await source.powerState(uuid) : PowerState.NOSTATE;
        if (power === PowerState.NOSTATE) {
          // the guest left its source: the copy, if any, is kept for the operator to recover
          if (migration) await s.placement.endMove(uuid, migration.uuid, true);
          throw new Error(`the guest of instance ${uuid} is not on its host ${row?.host ?? "(none)"}`);
        }
        if (migration) {
          await rollBack(s, ctx, migration);
          const status = cancelled ? "cancelled" : error instanceof CopyFailed ? "failed" : "error";
          await migrations.setStatus(migration.id, status);
        }
        if (cancelled) {
          await s.instances.update(
            s.db,
            uuid,
            { task_state: null, power_state: power, progress: 0 },
            { notDeleted: true },
          );
          await s.finishAction(ctx);
        } else {
          await revertTaskState(s, ctx, error, { power_state: power, progress: 0 });
        }
      } catch (rollbackError) {
        // nothing is left in between: the server goes to ERROR with the reason
        await s.fail(ctx, rollbackError);
        if (migration && migration.status !== "cancelled") await migrations.setStatus(migration.id, "error");
      }
    },
  };
}

/**
 * nova's _rollback_live_migration: the guest copied to the destination goes
 * (compute_rollback_live_migration_at_destination) and the claims return to the server on
 * its source.
 */
async function rollBack(s: TaskSupport, ctx: TaskContext<unknown>, migration: MigrationRow): Promise<void> {
  const uuid = migration.instance_uuid;
  const dest = migration.dest_compute;
  const destination = dest && dest !== migration.source_compute ? s.drivers.get(dest) : undefined;
  // a destination the conductor had settled on (a refusal has none to roll back)
  if (destination && migration.status !== "accepted") {
    await s.event(ctx, "compute_rollback_live_migration_at_destination", destination.hostname, async () => {
      if ((await destination.powerState(uuid)) !== PowerState.NOSTATE) await destination.destroy(uuid);
    });
  }
  await s.placement.endMove(uuid, migration.uuid, true);
}

/** 100 less the share of the memory left to copy, rounded (nova ignores the disk here). */
function progressOf(p: LiveMigrationProgress): number {
  return p.memoryTotalBytes === 0 ? 0 : 100 - Math.round((p.memoryRemainingBytes * 100) / p.memoryTotalBytes);
}

function progressColumns(p: LiveMigrationProgress) {
  return {
    memory_total: p.memoryTotalBytes,
    memory_processed: p.memoryProcessedBytes,
    memory_remaining: p.memoryRemainingBytes,
    disk_total: p.diskTotalBytes,
    disk_processed: p.diskProcessedBytes,
    disk_remaining: p.diskRemainingBytes,
  };
}
