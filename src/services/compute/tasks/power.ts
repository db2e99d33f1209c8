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
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        const op = POWER[ctx.payload.action];
        await s.event(ctx, op.event, driver.hostname, async () => {
          await op.run(driver, instance.uuid);
          await s.set(instance.uuid, {
            vm_state: op.vmState,
            task_state: null,
            power_state: await driver.powerState(instance.uuid),
          });
        });
        await s.finishAction(ctx);
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
      async (ctx) => {
        const instance = await s.instance(ctx);
        const driver = s.driver(instance);
        await s.event(ctx, "compute_reboot_instance", driver.hostname, async () => {
          await s.set(instance.uuid, {
            task_state: ctx.payload.hard ? "reboot_started_hard" : "reboot_started",
          });
          await driver.reboot(instance.uuid, ctx.payload.hard);
          await s.set(instance.uuid, {
            vm_state: VmState.ACTIVE,
            task_state: null,
            power_state: await driver.powerState(instance.uuid),
          });
        });
        await s.finishAction(ctx);
      },
    ],
    async onFailure(ctx, error) {
      await s.fail(ctx, error);
    },
  };
}
