/** nova/compute/vm_states.py and task_states.py, and the API status derived from them (power states: virt/power-state.ts). */

export const VmState = {
  ACTIVE: "active",
  BUILDING: "building",
  PAUSED: "paused",
  SUSPENDED: "suspended",
  STOPPED: "stopped",
  RESCUED: "rescued",
  RESIZED: "resized",
  SOFT_DELETED: "soft-delete",
  DELETED: "deleted",
  ERROR: "error",
  SHELVED: "shelved",
  SHELVED_OFFLOADED: "shelved_offloaded",
} as const;
export type VmState = (typeof VmState)[keyof typeof VmState];

/** vm_state → [default status, {task_state → status}] (nova/api/openstack/common.py _STATE_MAP). */
const STATE_MAP: Record<string, [string, Record<string, string>]> = {
  active: [
    "ACTIVE",
    {
      rebooting: "REBOOT",
      reboot_pending: "REBOOT",
      reboot_started: "REBOOT",
      rebooting_hard: "HARD_REBOOT",
      reboot_pending_hard: "HARD_REBOOT",
      reboot_started_hard: "HARD_REBOOT",
      updating_password: "PASSWORD",
      rebuilding: "REBUILD",
      rebuild_block_device_mapping: "REBUILD",
      rebuild_spawning: "REBUILD",
      migrating: "MIGRATING",
      resize_prep: "RESIZE",
      resize_migrating: "RESIZE",
      resize_migrated: "RESIZE",
      resize_finish: "RESIZE",
    },
  ],
  building: ["BUILD", {}],
  stopped: [
    "SHUTOFF",
    {
      resize_prep: "RESIZE",
      resize_migrating: "RESIZE",
      resize_migrated: "RESIZE",
      resize_finish: "RESIZE",
      rebuilding: "REBUILD",
      rebuild_block_device_mapping: "REBUILD",
      rebuild_spawning: "REBUILD",
    },
  ],
  resized: ["VERIFY_RESIZE", { resize_reverting: "REVERT_RESIZE" }],
  paused: ["PAUSED", { migrating: "MIGRATING" }],
  suspended: ["SUSPENDED", {}],
  rescued: ["RESCUE", {}],
  error: [
    "ERROR",
    { rebuilding: "REBUILD", rebuild_block_device_mapping: "REBUILD", rebuild_spawning: "REBUILD" },
  ],
  deleted: ["DELETED", {}],
  "soft-delete": ["SOFT_DELETED", {}],
  shelved: ["SHELVED", {}],
  shelved_offloaded: ["SHELVED_OFFLOADED", {}],
};

export function statusOf(vmState: string, taskState: string | null): string {
  const entry = STATE_MAP[vmState];
  if (!entry) return "UNKNOWN";
  return (taskState && entry[1][taskState]) || entry[0];
}

/**
 * The (vm_state, task_state) pairs a status filter selects (nova's
 * task_and_vm_state_from_status). `undefined` when the status is unknown.
 */
export function statesForStatus(
  status: string,
): { vmStates: string[]; taskStates: Array<string | null> | "any" } | undefined {
  const wanted = status.toUpperCase();
  const vmStates: string[] = [];
  const taskStates = new Set<string | null>();
  let anyTask = false;
  for (const [vm, [defaultStatus, overrides]] of Object.entries(STATE_MAP)) {
    const overriding = Object.entries(overrides).filter(([, s]) => s === wanted);
    if (defaultStatus === wanted) {
      vmStates.push(vm);
      // nova drops the task_state filter when a status is some vm_state's default
      anyTask = true;
    }
    if (overriding.length > 0) {
      if (!vmStates.includes(vm)) vmStates.push(vm);
      for (const [task] of overriding) taskStates.add(task);
    }
  }
  if (vmStates.length === 0) return undefined;
  return { vmStates, taskStates: anyTask ? "any" : [...taskStates] };
}
