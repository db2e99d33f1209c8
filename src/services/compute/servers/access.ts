import type { AuthContext } from "../../context.js";
import { Conflict, Forbidden, InvalidInput, NotFound } from "../../errors.js";
import { VmState } from "../vm-states.js";
import { generatePassword, type ServerOperations } from "./operations.js";

export interface RescueRequest {
  adminPass?: string;
  rescueImageRef?: string;
}

/** Who may act on a server and how one gets in: lock, passwords, rescue, the console log. */
export class ServerAccess {
  constructor(private readonly ops: ServerOperations) {}

  async lock(ctx: AuthContext, uuid: string, reason: string | null): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.instances.update(trx, instance.uuid, {
        locked: 1,
        locked_by: ctx.isAdmin ? "admin" : "owner",
        locked_reason: reason,
      });
      await this.ops.recordInstant(trx, ctx, instance, "lock", "api_lock");
    });
  }

  async unlock(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    if (instance.locked && instance.lockedBy === "admin" && !ctx.isAdmin) {
      throw new Forbidden(
        `Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.`,
      );
    }
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.instances.update(trx, instance.uuid, {
        locked: 0,
        locked_by: null,
        locked_reason: null,
      });
      await this.ops.recordInstant(trx, ctx, instance, "unlock", "api_unlock");
    });
  }

  /** Sets the administrator password inside the guest (PASSWORD while it runs). */
  async changePassword(ctx: AuthContext, uuid: string, password: string): Promise<void> {
    await this.ops.accept(ctx, uuid, "changePassword", "changePassword", {
      kind: "set_admin_password",
      secrets: { password },
    });
  }

  /** The encrypted administrator password the guest left for os-server-password ("" when none). */
  async serverPassword(ctx: AuthContext, uuid: string): Promise<string> {
    await this.ops.get(ctx, uuid);
    return (await this.ops.row(uuid)).admin_pass ?? "";
  }

  /** Forgets the encrypted password (the guest's own password does not change). */
  async clearServerPassword(ctx: AuthContext, uuid: string): Promise<void> {
    await this.ops.get(ctx, uuid);
    await this.ops.instances.update(this.ops.db, uuid, { admin_pass: null }, { notDeleted: true });
  }

  /** Boots the server from a rescue image; returns the rescue system's password (generated unless given). */
  async rescue(ctx: AuthContext, uuid: string, req: RescueRequest = {}): Promise<string> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.guard(ctx, uuid, "rescue");
    const imageRef = req.rescueImageRef ?? instance.imageRef;
    if (req.rescueImageRef !== undefined) {
      const image = await this.ops.ports.images.get(ctx, req.rescueImageRef).catch((error: unknown) => {
        if (error instanceof NotFound) return undefined;
        throw error;
      });
      // nova cannot rescue from a volume snapshot's image either
      if (!image || image.properties.img_block_device_mapping !== undefined) {
        throw new InvalidInput(`Requested rescue image '${req.rescueImageRef}' is not supported`);
      }
    }
    const adminPass = req.adminPass ?? generatePassword();
    await this.ops.accept(ctx, uuid, "rescue", "rescue", {
      kind: "rescue",
      payload: { imageRef },
      secrets: { adminPass },
    });
    return adminPass;
  }

  async unrescue(ctx: AuthContext, uuid: string): Promise<void> {
    await this.ops.accept(ctx, uuid, "unrescue", "unrescue", { kind: "unrescue" });
  }

  /**
   * The console log, or its tail as nova's compute manager cuts it: the last `length` pieces
   * of the log split at newlines (a log ending in a newline has an empty last piece, so
   * `length` 2 gives one line), nothing for 0, and all but the first piece for -1.
   */
  async consoleOutput(ctx: AuthContext, uuid: string, length?: number): Promise<string> {
    const instance = await this.ops.get(ctx, uuid);
    const driver = instance.host ? this.ops.drivers.get(instance.host) : undefined;
    if (!driver || instance.vmState === VmState.BUILDING) throw new Conflict(`Instance ${uuid} is not ready`);
    let log: string;
    try {
      log = await driver.consoleOutput(uuid);
    } catch {
      throw new Conflict(`Instance ${uuid} is not ready`);
    }
    if (length === undefined) return log;
    return length === 0 ? "" : log.split("\n").slice(-length).join("\n");
  }
}
