import { randomUUID } from "node:crypto";
import type { Transaction } from "kysely";
import type { Db } from "../../store/database.js";
import { InstanceActionRepository } from "../../store/instance-action-repository.js";
import type { Instance } from "../../store/instance-record.js";
import { type MigrationFilter, MigrationRepository } from "../../store/migration-repository.js";
import type { Database, MigrationRow, MigrationUpdate } from "../../store/schema.js";
import type { TaskContext } from "../../tasks/engine.js";
import type { Driver } from "../../virt/driver.js";
import type { DriverRegistry } from "../../virt/registry.js";
import type { AuthContext } from "../context.js";
import { Conflict, InvalidInput, NotFound } from "../errors.js";
import { checkGuard } from "./state-machine.js";
import { VmState } from "./vm-states.js";

export type { MigrationFilter } from "../../store/migration-repository.js";

/** nova's MigrationType: what kind of move a record is of. */
export const MigrationType = {
  MIGRATION: "migration",
  RESIZE: "resize",
  LIVE_MIGRATION: "live-migration",
  EVACUATION: "evacuation",
} as const;
export type MigrationType = (typeof MigrationType)[keyof typeof MigrationType];

/** The statuses in which nova counts a live migration as in progress (its API's list). */
export const LIVE_MIGRATION_IN_PROGRESS: readonly string[] = [
  "queued",
  "preparing",
  "running",
  "post-migrating",
];

/**
 * The statuses a migration stays in: nova's list of the ones no longer in progress
 * (migration_get_in_progress_by_host_and_node). "finished" is not among them: a finished
 * resize waits to be confirmed or reverted.
 */
const ENDED: readonly string[] = [
  "confirmed",
  "reverted",
  "error",
  "failed",
  "completed",
  "cancelled",
  "done",
];

/** Who asked for a move: the user and project of the request (nova records its context's). */
export interface Requester {
  userId: string;
  projectId: string | null;
}

export const requesterOf = (ctx: AuthContext): Requester => ({
  userId: ctx.userId,
  projectId: ctx.projectId,
});

/**
 * Who asked for the move a task runs: the `requester` its payload carries, else (a task
 * enqueued before moves carried one) the server's owner.
 */
export function requesterIn(ctx: TaskContext<unknown>, instance: Instance): Requester {
  const requester = (ctx.payload as { requester?: Requester } | null)?.requester;
  return requester ?? { userId: instance.userId, projectId: instance.projectId };
}

/** Where a move goes, as far as it is known when its record is made. */
export interface Destination {
  compute: string;
  node: string | null;
  /** The host's IP address. */
  host: string | null;
}

/** The host a resize claims (nimbus resizes on the server's own host): its name, node and IP address. */
export async function claimedOn(driver: Driver): Promise<Destination> {
  return { compute: driver.hostname, node: driver.hostname, host: (await driver.capacity()).hostIp };
}

export class MigrationNotFoundForInstance extends NotFound {
  constructor(id: string, instanceUuid: string) {
    super(`Migration ${id} not found for instance ${instanceUuid}`);
  }
}

export class InvalidMigrationState extends InvalidInput {
  constructor(id: string, instanceUuid: string, status: string, method: string) {
    super(
      `Migration ${id} state of instance ${instanceUuid} is ${status}. Cannot ${method} while the migration is in this state.`,
    );
  }
}

/** A migration id from a URL: nova's integer column matches nothing else. */
const migrationId = (text: string) => (/^\d+$/.test(text) ? Number(text) : undefined);

/** nova's check_instance_lock and check_instance_state of live_migrate_force_complete and _abort. */
const FORCE_COMPLETE_GUARD = {
  vmStates: [VmState.ACTIVE],
  taskStates: ["migrating"],
  launched: true,
  lock: true,
};
const ABORT_GUARD = { vmStates: "any", taskStates: ["migrating"], launched: true, lock: true } as const;

/**
 * nova's migration records: the tasks that move a server write them (with nova's status
 * walk), the migration APIs read them, and the live-migration operations check them.
 */
export class MigrationRecords {
  readonly #db: Db;
  readonly #repo: MigrationRepository;
  readonly #actions: InstanceActionRepository;
  /** The hosts a force_complete reaches (nova's RPC to the source compute). */
  readonly #drivers: DriverRegistry | undefined;

  constructor(db: Db, drivers?: DriverRegistry) {
    this.#db = db;
    this.#drivers = drivers;
    this.#repo = new MigrationRepository(db);
    this.#actions = new InstanceActionRepository(db);
  }

  // ---- what the moves record ----------------------------------------------------

  /**
   * The record the conductor makes when it starts a move: "accepted" for a live migration,
   * "pre-migrating" for the others, from the server's host, between its flavors. A record
   * in that state of the same kind is reused (nova's _preallocate_migration does so for a
   * rescheduled move; here it keeps a task step that runs again from writing a second one).
   */
  async begin(
    instance: Instance,
    type: MigrationType,
    requester: Requester,
    destination?: Destination,
  ): Promise<MigrationRow> {
    const status =
      type === MigrationType.LIVE_MIGRATION || type === MigrationType.EVACUATION
        ? "accepted"
        : "pre-migrating";
    const pending = await this.#repo.latest(instance.uuid, { in: [status], type });
    if (pending) return pending;
    return this.#repo.insert({
      uuid: randomUUID(),
      instance_uuid: instance.uuid,
      migration_type: type,
      status,
      source_compute: instance.host,
      // nova's live-migration task sets the source node only once it has a destination
      source_node: type === MigrationType.LIVE_MIGRATION ? null : instance.node,
      dest_compute: destination?.compute ?? null,
      dest_node: destination?.node ?? null,
      dest_host: destination?.host ?? null,
      old_flavor_id: instance.flavor.flavorid,
      new_flavor_id: (type === MigrationType.RESIZE && instance.newFlavor
        ? instance.newFlavor
        : instance.flavor
      ).flavorid,
      user_id: requester.userId,
      project_id: requester.projectId ?? instance.projectId,
      created_at: new Date().toISOString(),
      updated_at: null,
    });
  }

  /**
   * Moves the server's current migration (its newest one not ended) to `status`. A server
   * with none (a resize begun before migrations were recorded) has nothing to update.
   */
  async advance(instanceUuid: string, status: string): Promise<void> {
    const current = await this.current(instanceUuid);
    if (current) await this.#repo.update(current.id, { status }, new Date().toISOString());
  }

  /** Records where the migration goes, in the transaction that claims it there. */
  async setDestination(
    executor: Db | Transaction<Database>,
    id: number,
    destination: Destination,
  ): Promise<void> {
    const changes = {
      dest_compute: destination.compute,
      dest_node: destination.node,
      dest_host: destination.host,
    };
    await this.#repo.update(id, changes, new Date().toISOString(), executor);
  }

  /** Moves one migration, ended or not, to `status`. */
  async setStatus(id: number, status: string): Promise<void> {
    await this.#repo.update(id, { status }, new Date().toISOString());
  }

  /**
   * Moves a live migration on to `status` unless the API cancelled it meanwhile (abort):
   * false then, and nothing changed.
   */
  async moveOn(id: number, status: string): Promise<boolean> {
    const result = await this.#db
      .updateTable("migrations")
      .set({ status, updated_at: new Date().toISOString() })
      .where("id", "=", id)
      .where("status", "<>", "cancelled")
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Records `changes` on one migration (a live migration's source node, its progress). */
  async update(id: number, changes: MigrationUpdate): Promise<void> {
    await this.#repo.update(id, changes, new Date().toISOString());
  }

  /** One migration of the server by its id. */
  byId(instanceUuid: string, id: number): Promise<MigrationRow | undefined> {
    return this.#repo.ofInstance(instanceUuid, id);
  }

  /** The server's newest live migration, in any status, if it was made at `since` or later. */
  async liveMigrationSince(instanceUuid: string, since: string): Promise<MigrationRow | undefined> {
    const latest = await this.#repo.latest(instanceUuid, { type: MigrationType.LIVE_MIGRATION });
    return latest && latest.created_at >= since ? latest : undefined;
  }

  /** The server's newest migration that has not ended. */
  current(instanceUuid: string): Promise<MigrationRow | undefined> {
    return this.#repo.latest(instanceUuid, { except: ENDED });
  }

  // ---- what the APIs read ---------------------------------------------------------

  /** Migrations of servers not deleted; `marker` is the uuid of the one before the page. */
  async list(filter: MigrationFilter, marker?: string): Promise<MigrationRow[]> {
    let after: MigrationRow | undefined;
    if (marker !== undefined) {
      after = await this.#repo.byUuid(marker);
      if (!after) throw new InvalidInput(`Marker ${marker} could not be found.`);
    }
    return this.#repo.list({ ...filter, after });
  }

  /** A server's live migrations in progress. */
  async liveMigrationsInProgress(instanceUuid: string): Promise<MigrationRow[]> {
    return this.#repo.list({
      instanceUuid,
      migrationType: MigrationType.LIVE_MIGRATION,
      statuses: [...LIVE_MIGRATION_IN_PROGRESS],
      order: "id",
    });
  }

  /** A server's migration by the id in a URL. */
  async ofInstance(instanceUuid: string, id: string): Promise<MigrationRow | undefined> {
    const key = migrationId(id);
    return key === undefined ? undefined : this.#repo.ofInstance(instanceUuid, key);
  }

  // ---- operations on a live migration ---------------------------------------------

  /**
   * Forces a running live migration to complete (2.22): its source host makes the copy
   * converge at once (nova's compute live_migration_force_complete). Refused as nova
   * refuses it: a locked server or one not ACTIVE and MIGRATING (409), no such migration of
   * the server (MigrationNotFoundForInstance), a migration not running (InvalidMigrationState).
   */
  async forceComplete(ctx: AuthContext, instance: Instance, id: string): Promise<void> {
    checkGuard(guarded(instance), FORCE_COMPLETE_GUARD, "force_complete", ctx);
    const migration = await this.ofInstance(instance.uuid, id);
    if (!migration) throw new MigrationNotFoundForInstance(id, instance.uuid);
    if (migration.status !== "running") {
      throw new InvalidMigrationState(id, instance.uuid, migration.status, "force complete");
    }
    await this.#record(
      ctx,
      instance,
      "live_migration_force_complete",
      "compute_live_migration_force_complete",
    );
    const source = migration.source_compute ? this.#drivers?.get(migration.source_compute) : undefined;
    await source?.liveMigrationForceComplete(instance.uuid);
  }

  /**
   * Aborts a live migration (2.24): "running" ones, and from 2.65 "queued" and "preparing"
   * ones too. Refused as nova refuses it: a locked server or one not MIGRATING (409), no
   * such migration of the server (MigrationNotFoundForInstance), another status
   * (InvalidMigrationState). The migration is marked cancelled, durably; its task sees it
   * (before its next step, or at the copy's next round) and rolls the move back, the
   * server staying on its source as it was (tasks/live-migrate.ts).
   */
  async abort(ctx: AuthContext, instance: Instance, id: string, allowQueued: boolean): Promise<void> {
    checkGuard(guarded(instance), ABORT_GUARD, "abort live migration", ctx);
    const migration = await this.ofInstance(instance.uuid, id);
    if (!migration) throw new MigrationNotFoundForInstance(id, instance.uuid);
    const allowed = allowQueued ? ["running", "queued", "preparing"] : ["running"];
    if (!allowed.includes(migration.status)) {
      throw new InvalidMigrationState(id, instance.uuid, migration.status, "abort live migration");
    }
    const cancelled = await this.#db
      .updateTable("migrations")
      .set({ status: "cancelled", updated_at: new Date().toISOString() })
      .where("id", "=", migration.id)
      .where("status", "in", allowed)
      .executeTakeFirst();
    if (Number(cancelled.numUpdatedRows) === 0) {
      throw new Conflict(`Migration ${id} of instance ${instance.uuid} changed state meanwhile; try again.`);
    }
    await this.#record(ctx, instance, "live_migration_cancel", "compute_live_migration_abort");
  }

  /** The instance action of a request handled at once, with its one event. */
  async #record(ctx: AuthContext, instance: Instance, action: string, event: string): Promise<void> {
    const id = await this.#actions.start(this.#db, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    await this.#actions.recordEvent(this.#db, id, event);
    await this.#actions.finish(id, null);
  }
}

function guarded(instance: Instance) {
  return {
    uuid: instance.uuid,
    vmState: instance.vmState,
    taskState: instance.taskState,
    launchedAt: instance.launchedAt,
    locked: instance.locked,
  };
}
