import type { AuthContext } from "../context.js";
import { InstanceInvalidState, InstanceLocked } from "../errors.js";
import { VmState } from "./vm-states.js";

/**
 * Which actions a server accepts in which state: nova's check_instance_state /
 * check_instance_lock decorators as data (FAULTS.md §10.1). `taskStates` lists the
 * task_states allowed besides none; "any" disables the task check.
 */
interface Guard {
  vmStates: readonly string[] | "any";
  taskStates?: ReadonlyArray<string | null> | "any";
  /** The server must have launched once (launched_at set). */
  launched?: boolean;
  /** Refused with 409 for a locked server unless the caller is admin. */
  lock?: boolean;
}

/** What accepting an action does at once: the task_state it sets (the task does the rest). */
export interface Transition extends Guard {
  taskState: string | null;
}

const { ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR, RESIZED, SHELVED, SHELVED_OFFLOADED } = VmState;

export const ACTIONS = {
  reboot_soft: { vmStates: [ACTIVE], launched: true, lock: true, taskState: "rebooting" },
  reboot_hard: {
    vmStates: [ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR],
    taskStates: [
      null,
      "rebooting",
      "reboot_pending",
      "reboot_started",
      "rebooting_hard",
      "resuming",
      "unpausing",
      "pausing",
      "suspending",
    ],
    launched: true,
    lock: true,
    taskState: "rebooting_hard",
  },
  resize: { vmStates: [ACTIVE, STOPPED], launched: true, lock: true, taskState: "resize_prep" },
  confirmResize: { vmStates: [RESIZED], launched: true, lock: true, taskState: null },
  revertResize: { vmStates: [RESIZED], launched: true, lock: true, taskState: "resize_reverting" },
  rebuild: { vmStates: [ACTIVE, STOPPED, ERROR], launched: true, lock: true, taskState: "rebuilding" },
  createImage: {
    vmStates: [ACTIVE, STOPPED, PAUSED, SUSPENDED],
    launched: true,
    lock: false,
    taskState: "image_snapshot",
  },
  start: { vmStates: [STOPPED], launched: true, lock: true, taskState: "powering-on" },
  stop: { vmStates: [ACTIVE, ERROR], launched: true, lock: true, taskState: "powering-off" },
  pause: { vmStates: [ACTIVE], launched: true, lock: true, taskState: "pausing" },
  unpause: { vmStates: [PAUSED], launched: true, lock: true, taskState: "unpausing" },
  suspend: { vmStates: [ACTIVE], launched: true, lock: true, taskState: "suspending" },
  resume: { vmStates: [VmState.SUSPENDED], launched: true, lock: true, taskState: "resuming" },
  delete: { vmStates: "any", taskStates: "any", launched: false, lock: true, taskState: "deleting" },
  // with a reclaim interval DELETE soft-deletes a server that has launched; others are deleted
  softDelete: { vmStates: "any", taskStates: "any", launched: true, lock: true, taskState: "soft-deleting" },
  restore: { vmStates: [VmState.SOFT_DELETED], launched: true, lock: true, taskState: "restoring" },
  forceDelete: { vmStates: "any", taskStates: "any", launched: false, lock: true, taskState: "deleting" },
  triggerCrashDump: {
    vmStates: [ACTIVE, PAUSED, VmState.RESCUED, RESIZED, ERROR],
    launched: true,
    lock: true,
    taskState: null,
  },
  metadata: {
    vmStates: [ACTIVE, PAUSED, SUSPENDED, STOPPED],
    taskStates: "any",
    launched: true,
    lock: true,
    taskState: null,
  },
  /** os-interface attach and detach (nova's attach_interface / detach_interface). */
  interface: { vmStates: [ACTIVE, PAUSED, STOPPED], launched: false, lock: true, taskState: null },
  shelve: {
    vmStates: [ACTIVE, STOPPED, PAUSED, SUSPENDED],
    launched: true,
    lock: true,
    taskState: "shelving",
  },
  shelveOffload: { vmStates: [SHELVED], launched: true, lock: true, taskState: "shelving_offloading" },
  unshelve: { vmStates: [SHELVED, SHELVED_OFFLOADED], launched: true, lock: true, taskState: "unshelving" },
  rescue: { vmStates: [ACTIVE, STOPPED, ERROR], launched: true, lock: true, taskState: "rescuing" },
  unrescue: { vmStates: [VmState.RESCUED], launched: true, lock: true, taskState: "unrescuing" },
  changePassword: { vmStates: [ACTIVE], launched: true, lock: true, taskState: "updating_password" },
  // like createImage, not lock-checked: a lock guards against change, a backup changes nothing
  createBackup: {
    vmStates: [ACTIVE, STOPPED, PAUSED, SUSPENDED],
    launched: true,
    lock: false,
    taskState: "image_backup",
  },
  // a cold migration is nova's resize without a new flavor
  migrate: { vmStates: [ACTIVE, STOPPED], launched: true, lock: true, taskState: "resize_prep" },
  // nova's evacuate: no lock check; the server's host must be down (checked by the service)
  evacuate: { vmStates: [ACTIVE, STOPPED, ERROR], launched: true, lock: false, taskState: "rebuilding" },
  "os-migrateLive": { vmStates: [ACTIVE, PAUSED], launched: true, lock: true, taskState: "migrating" },
} as const satisfies Record<string, Transition>;

export type ActionName = keyof typeof ACTIONS;

/** The fields of a server the guards read. */
export interface GuardedInstance {
  uuid: string;
  vmState: string;
  taskState: string | null;
  launchedAt: string | null;
  locked: boolean;
}

/**
 * Throws nova's 409s when `action` is not allowed now. `label` is the name nova puts in
 * the message ("Cannot 'reboot' instance ..."), which is nova's method name.
 */
export function checkGuard(instance: GuardedInstance, guard: Guard, label: string, auth: AuthContext): void {
  if (guard.lock && instance.locked && !auth.isAdmin) throw new InstanceLocked(instance.uuid);
  if (guard.vmStates !== "any" && !guard.vmStates.includes(instance.vmState)) {
    throw new InstanceInvalidState(instance.uuid, label, "vm_state", instance.vmState);
  }
  const tasks = guard.taskStates ?? [null];
  if (tasks !== "any" && !tasks.includes(instance.taskState)) {
    throw new InstanceInvalidState(instance.uuid, label, "task_state", instance.taskState);
  }
  if (guard.launched && instance.launchedAt === null) {
    throw new InstanceInvalidState(instance.uuid, label, "launched_at", null);
  }
}
