import { randomBytes } from "node:crypto";
import type { Transaction } from "kysely";
import type { Db } from "../../../store/database.js";
import { InstanceActionRepository } from "../../../store/instance-action-repository.js";
import type { FlavorSnapshot, Instance } from "../../../store/instance-record.js";
import { InstanceRepository } from "../../../store/instance-repository.js";
import type { Database, InstanceRow, InstanceUpdate } from "../../../store/schema.js";
import type { TaskEngine, TaskSecrets } from "../../../tasks/engine.js";
import type { DriverRegistry } from "../../../virt/registry.js";
import type { AuthContext } from "../../context.js";
import { Conflict, InstanceNotFound } from "../../errors.js";
import type { InstanceNetworking } from "../../network/instance-networking.js";
import { MigrationRecords } from "../migration-records.js";
import type { Placement } from "../placement.js";
import type { ComputePorts, FlavorInfo } from "../ports.js";
import { ACTIONS, type ActionName, checkGuard, type GuardedInstance } from "../state-machine.js";

export type Trx = Transaction<Database>;

/** What an accepted action hands the task engine, and changes to the server made with it. */
export interface AcceptedWork {
  kind: string;
  payload?: unknown;
  /** Passwords for the guest: sealed in the task row, never stored in clear. */
  secrets?: TaskSecrets;
  changes?: InstanceUpdate;
  metadata?: Record<string, string>;
  /** Growth (an upsize, a restored server) held to the quotas of the server's project and user. */
  quota?: { instances: number; cores: number; ram: number };
}

export function flavorSnapshot(flavor: FlavorInfo): FlavorSnapshot {
  return {
    flavorid: flavor.flavorid,
    name: flavor.name,
    vcpus: flavor.vcpus,
    memory_mb: flavor.memory_mb,
    root_gb: flavor.root_gb,
    ephemeral_gb: flavor.ephemeral_gb,
    swap: flavor.swap,
    extra_specs: flavor.extraSpecs,
  };
}

/** An administrator password for a server when the caller gives none. */
export function generatePassword(): string {
  const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  return [...randomBytes(12)].map((b) => alphabet[b % alphabet.length]).join("");
}

/**
 * What every operation on servers shares: the stores, the neighbours, the task engine,
 * and the common paths — find a server the caller may see, check nova's state rule,
 * accept an asynchronous action in one transaction, record an action that ends at once.
 */
export class ServerOperations {
  readonly instances: InstanceRepository;
  readonly actions: InstanceActionRepository;
  readonly migrations: MigrationRecords;

  constructor(
    readonly db: Db,
    readonly engine: TaskEngine,
    readonly ports: ComputePorts,
    readonly network: InstanceNetworking,
    readonly drivers: DriverRegistry,
    readonly placement: Placement,
  ) {
    this.instances = new InstanceRepository(db);
    this.actions = new InstanceActionRepository(db);
    this.migrations = new MigrationRecords(db, drivers);
  }

  /** A server the caller may see: own project, or any for admin. Deleted servers are not found unless asked for. */
  async get(ctx: AuthContext, uuid: string, options: { allowDeleted?: boolean } = {}): Promise<Instance> {
    const instance = await this.instances.get(uuid);
    if (!instance || (!ctx.isAdmin && instance.projectId !== ctx.projectId)) throw new InstanceNotFound(uuid);
    if (instance.deleted && !options.allowDeleted) throw new InstanceNotFound(uuid);
    return instance;
  }

  async row(uuid: string, executor: Db | Trx = this.db): Promise<InstanceRow> {
    const row = await this.instances.row(executor, uuid);
    if (!row || row.deleted === 1) throw new InstanceNotFound(uuid);
    return row;
  }

  /** Checks the state rule of `action` on the server as it is now (nova's 409 names `label`). */
  async guard(
    ctx: AuthContext,
    uuid: string,
    action: ActionName,
    label: string = action,
    executor: Db | Trx = this.db,
  ): Promise<void> {
    checkGuard(guarded(await this.row(uuid, executor)), ACTIONS[action], label, ctx);
  }

  /** nova's available zones: those its compute hosts are in (an aggregate's zone, else the default). */
  async zones(): Promise<Set<string>> {
    return new Set((await this.ports.zones.of(this.drivers.hosts)).values());
  }

  /**
   * Checks the state rule of `action`, applies its task_state and `changes`, records the
   * instance action and enqueues the task, all in one transaction; then wakes the engine.
   */
  async accept(
    ctx: AuthContext,
    uuid: string,
    action: ActionName,
    recordAs: string,
    work: AcceptedWork,
  ): Promise<void> {
    const transition = ACTIONS[action];
    await this.db.transaction().execute(async (trx) => {
      const row = await this.row(uuid, trx);
      if (!ctx.isAdmin && row.project_id !== ctx.projectId) throw new InstanceNotFound(uuid);
      checkGuard(guarded(row), transition, action.startsWith("reboot") ? "reboot" : action, ctx);
      if (work.quota && Object.values(work.quota).some((n) => n > 0)) {
        await this.ports.quota.checkInstances(trx, row.project_id, work.quota, row.user_id);
      }
      const applied = await this.instances.update(
        trx,
        uuid,
        { task_state: transition.taskState, ...work.changes },
        { taskState: row.task_state, notDeleted: true },
      );
      if (!applied) throw new Conflict(`Instance ${uuid} changed state meanwhile; try again.`);
      if (work.metadata !== undefined) await this.instances.replaceMetadata(trx, uuid, work.metadata);
      const actionId = await this.actions.start(trx, {
        instanceUuid: uuid,
        action: recordAs,
        requestId: ctx.requestId,
        projectId: row.project_id,
        userId: ctx.userId,
      });
      await this.engine.enqueue(trx, {
        kind: work.kind,
        instanceUuid: uuid,
        actionId,
        host: row.host,
        payload: work.payload,
        secrets: work.secrets,
      });
    });
    this.engine.wake();
  }

  /** Accepts an action that fills a queued image; a refused action leaves no empty image behind. */
  async acceptIntoImage(imageId: string, accept: () => Promise<void>): Promise<void> {
    try {
      await accept();
    } catch (error) {
      await this.ports.images.deleteSnapshot(imageId);
      throw error;
    }
  }

  /** An action that completes within the request (lock, unlock, resetState): recorded as started and finished. */
  async recordInstant(
    trx: Trx,
    ctx: AuthContext,
    instance: Instance,
    action: string,
    event?: string,
  ): Promise<void> {
    const id = await this.actions.start(trx, {
      instanceUuid: instance.uuid,
      action,
      requestId: ctx.requestId,
      projectId: instance.projectId,
      userId: ctx.userId,
    });
    if (event) await this.actions.recordEvent(trx, id, event);
    await this.actions.finish(id, null, trx);
  }
}

function guarded(row: InstanceRow): GuardedInstance {
  return {
    uuid: row.uuid,
    vmState: row.vm_state,
    taskState: row.task_state,
    launchedAt: row.launched_at,
    locked: row.locked === 1,
  };
}
