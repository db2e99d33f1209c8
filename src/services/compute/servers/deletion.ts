import type { Instance } from "../../../store/instance-record.js";
import type { AuthContext } from "../../context.js";
import { InstanceInvalidState } from "../../errors.js";
import { releaseAndMarkDeleted } from "../tasks/delete.js";
import { VmState } from "../vm-states.js";
import type { ServerOperations } from "./operations.js";

/** Task states of a delete already under way: nova ignores a second request while one runs. */
const DELETING = new Set(["deleting", "soft-deleting"]);

/**
 * How servers end, as nova's deferred delete has it: with a reclaim interval
 * (`reclaim_instance_interval`, 0 by default) DELETE soft-deletes a server that has
 * launched, `restore` brings it back, `forceDelete` deletes it now, and `reclaim` deletes
 * those soft-deleted longer than the interval. A server on no host (its build failed, or
 * shelved and offloaded) is deleted within the request, as nova's local delete.
 */
export class ServerDeletion {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ops: ServerOperations,
    private readonly reclaimIntervalSeconds: number,
  ) {}

  async delete(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    if (instance.host && instance.taskState !== null && DELETING.has(instance.taskState)) return;
    if (this.reclaimIntervalSeconds > 0) {
      try {
        await this.#softDelete(ctx, instance);
        return;
      } catch (error) {
        // a server that never launched cannot be soft-deleted: nova deletes it instead
        if (!(error instanceof InstanceInvalidState)) throw error;
      }
    }
    await this.#terminate(ctx, instance, "delete");
  }

  /** Deletes a server now, soft-deleted or not (os-deferred-delete's forceDelete). */
  async forceDelete(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.#terminate(ctx, instance, "forceDelete");
  }

  /**
   * Brings a soft-deleted server back, held to the quota it freed (nova answers 403 over
   * quota); on its host it is powered on again, a server on none is ACTIVE at once.
   */
  async restore(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "restore");
    const quota = { instances: 1, cores: instance.flavor.vcpus, ram: instance.flavor.memory_mb };
    if (instance.host) {
      await this.ops.accept(ctx, uuid, "restore", "restore", {
        kind: "restore",
        changes: { deleted_at: null },
        quota,
      });
      return;
    }
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.guard(ctx, uuid, "restore", "restore", trx);
      await this.ops.ports.quota.checkInstances(trx, instance.projectId, quota, instance.userId);
      await this.ops.instances.update(trx, uuid, {
        vm_state: VmState.ACTIVE,
        task_state: null,
        deleted_at: null,
      });
      await this.ops.recordInstant(trx, ctx, instance, "restore");
    });
  }

  /**
   * nova's _reclaim_queued_deletes: every server soft-deleted (and at rest) for longer than
   * the interval is deleted, with no instance action, as nova's periodic task records none.
   * Several processes may sweep at once: the claim of each server lets one of them win.
   */
  async reclaim(now: Date = new Date()): Promise<number> {
    if (this.reclaimIntervalSeconds <= 0) return 0;
    const cutoff = new Date(now.getTime() - this.reclaimIntervalSeconds * 1000).toISOString();
    let reclaimed = 0;
    for (const row of await this.ops.instances.softDeletedBefore(cutoff)) {
      const claimed = await this.ops.db.transaction().execute(async (trx) => {
        const applied = await this.ops.instances.update(
          trx,
          row.uuid,
          { task_state: "deleting" },
          { taskState: null, notDeleted: true },
        );
        if (applied && row.host) {
          await this.ops.engine.enqueue(trx, { kind: "delete", instanceUuid: row.uuid, host: row.host });
        }
        return applied;
      });
      if (!claimed) continue;
      if (!row.host) await releaseAndMarkDeleted(this.#parts(), row.uuid);
      reclaimed++;
    }
    if (reclaimed > 0) this.ops.engine.wake();
    return reclaimed;
  }

  /**
   * Runs `reclaim` periodically until stopped: every 60 s, as nova's periodic tasks, or as
   * often as the interval when it is shorter. Nothing runs without an interval.
   */
  startReclaiming(onError: (error: unknown) => void): void {
    if (this.reclaimIntervalSeconds <= 0) return;
    const periodMs = Math.min(this.reclaimIntervalSeconds, 60) * 1000;
    this.#timer = setInterval(() => this.reclaim().catch(onError), periodMs);
    this.#timer.unref();
  }

  stopReclaiming(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Marks the server soft-deleted: on its host the guest is powered off by the task. */
  async #softDelete(ctx: AuthContext, instance: Instance): Promise<void> {
    const deletedAt = new Date().toISOString();
    if (instance.host) {
      await this.ops.accept(ctx, instance.uuid, "softDelete", "delete", {
        kind: "soft_delete",
        changes: { deleted_at: deletedAt },
      });
      return;
    }
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.guard(ctx, instance.uuid, "softDelete", "soft_delete", trx);
      await this.ops.instances.update(trx, instance.uuid, {
        vm_state: VmState.SOFT_DELETED,
        task_state: null,
        deleted_at: deletedAt,
      });
      await this.ops.recordInstant(trx, ctx, instance, "delete");
    });
  }

  /**
   * The delete itself: a server on a host is handed to the delete task; one on no host is
   * deleted here, so the next GET answers 404 (as nova's local delete).
   */
  async #terminate(ctx: AuthContext, instance: Instance, action: "delete" | "forceDelete"): Promise<void> {
    if (instance.host) {
      await this.ops.accept(ctx, instance.uuid, action, "delete", { kind: "delete" });
      return;
    }
    const claimed = await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.guard(ctx, instance.uuid, action, action, trx);
      await this.ops.recordInstant(trx, ctx, instance, "delete");
      return this.ops.instances.update(trx, instance.uuid, { task_state: "deleting" }, { notDeleted: true });
    });
    if (claimed) await releaseAndMarkDeleted(this.#parts(), instance.uuid);
  }

  #parts() {
    const { db, instances, network, ports, placement } = this.ops;
    return { db, instances, network, images: ports.images, placement };
  }
}
