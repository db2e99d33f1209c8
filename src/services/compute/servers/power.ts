import type { AuthContext } from "../../context.js";
import type { ServerOperations } from "./operations.js";

/** Power and state actions: reboot, start/stop, pause, suspend, reset state, crash dump. */
export class ServerPower {
  constructor(private readonly ops: ServerOperations) {}

  async reboot(ctx: AuthContext, uuid: string, type: "SOFT" | "HARD"): Promise<void> {
    const hard = type === "HARD";
    await this.ops.accept(ctx, uuid, hard ? "reboot_hard" : "reboot_soft", "reboot", {
      kind: "reboot",
      payload: { hard },
    });
  }

  async powerAction(
    ctx: AuthContext,
    uuid: string,
    action: "start" | "stop" | "pause" | "unpause" | "suspend" | "resume",
  ) {
    await this.ops.accept(ctx, uuid, action, action, { kind: "power", payload: { action } });
  }

  /** os-resetState: admin's way out of a stuck state; sets vm_state and clears task_state. */
  async resetState(ctx: AuthContext, uuid: string, state: "active" | "error"): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.instances.update(trx, instance.uuid, { vm_state: state, task_state: null });
      await this.ops.recordInstant(trx, ctx, instance, "resetState");
    });
  }

  /** Asks the guest's kernel to dump core (an NMI); the fake and container drivers have nothing to dump. */
  async triggerCrashDump(ctx: AuthContext, uuid: string): Promise<void> {
    const instance = await this.ops.get(ctx, uuid);
    await this.ops.db.transaction().execute(async (trx) => {
      await this.ops.guard(ctx, uuid, "triggerCrashDump", "trigger_crash_dump", trx);
      await this.ops.recordInstant(trx, ctx, instance, "trigger_crash_dump");
    });
  }
}
