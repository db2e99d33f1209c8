import type { TaskHandler } from "../../../tasks/engine.js";
import type { Driver } from "../../../virt/driver.js";
import { VmState } from "../vm-states.js";
import type { TaskSupport } from "./support.js";

type PowerAction = "start" | "stop" | "pause" | "unpause" | "suspend" | "resume";

/** Per power action: the host operation, the vm_state it ends in, nova's event name. */
const POWER: Record<
  PowerAction,
  { run: (d: Driver, uuid: string) => Promise<void>; vmState: string; event: string }
> = {
  start: { run: (d, u) => d.powerOn(u), vmState: VmState.ACTIVE, event: "compute_start_instance" },
  stop: { run: (d, u) => d.powerOff(u), vmState: VmState.STOPPED, event: "compute_stop_instance" },
  pause: { run: (d, u) => d.pause(u), vmState: VmState.PAUSED, event: "compute_pause_instance" },
  unpause: { run: (d, u) => d.unpause(u), vmState: VmState.ACTIVE, event: "compute_unpause_instance" },
  suspend: { run: (d, u) => d.suspend(u), vmState: VmState.SUSPENDED, event: "compute_suspend_instance" },
  resume: { run: (d, u) => d.resume(u), vmState: VmState.ACTIVE, event: "compute_resume_instance" },
};

export function powerTask(s: TaskSupport): TaskHandler<{ action: PowerAction }> {
  return {
    kind: "power",
    steps: [
      (ctx) => {
        const op = POWER[ctx.payload.action];
        return s.hostOperation(ctx, op.event, (driver, i) => op.run(driver, i.uuid), {
          vm_state: op.vmState,
        });
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}

/** Reboot, soft or hard; a hard reboot also recovers a server from ERROR, STOPPED, PAUSED or SUSPENDED. */
export function rebootTask(s: TaskSupport): TaskHandler<{ hard: boolean }> {
  return {
    kind: "reboot",
    steps: [
      (ctx) =>
        s.hostOperation(
          ctx,
          "compute_reboot_instance",
          async (driver, instance) => {
            await s.set(instance.uuid, {
              task_state: ctx.payload.hard ? "reboot_started_hard" : "reboot_started",
            });
            await driver.reboot(instance.uuid, ctx.payload.hard);
          },
          { vm_state: VmState.ACTIVE },
        ),
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
