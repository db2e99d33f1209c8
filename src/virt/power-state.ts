/**
 * nova/compute/power_state.py: what a host reports of a guest. It lives with the drivers,
 * which read it back from their hosts; the compute service records it on the server.
 */
export const PowerState = {
  NOSTATE: 0,
  RUNNING: 1,
  PAUSED: 3,
  SHUTDOWN: 4,
  CRASHED: 6,
  SUSPENDED: 7,
} as const;
export type PowerState = (typeof PowerState)[keyof typeof PowerState];

/** nova's power_state.STATE_MAP: the names of power states in diagnostics and in nova's messages. */
export const POWER_STATE_NAMES: Readonly<Record<number, string>> = {
  0: "pending",
  1: "running",
  3: "paused",
  4: "shutdown",
  6: "crashed",
  7: "suspended",
};
