import { hostname } from "node:os";
import type { Destination } from "../migration-records.js";

/**
 * nova's conductor's refusals of moves, worded as its exceptions are. (A move's destination
 * is chosen with placement: TaskSupport.claimMigration.)
 */

/** The host named in events that nova's conductor records (it runs in this process). */
export const CONDUCTOR_HOST = hostname();

/** A refusal of the scheduler or conductor, worded as nova's exceptions are. */
export class MigrationRefused extends Error {}

export class NoValidHost extends MigrationRefused {
  constructor(reason: string) {
    super(`No valid host was found. ${reason}`);
  }
}

/** The scheduler's reason when every candidate was filtered out (the source host is always ignored). */
export const NOT_ENOUGH_HOSTS = "There are not enough hosts available.";

export class UnableToMigrateToSelf extends MigrationRefused {
  constructor(uuid: string, host: string) {
    super(`Unable to migrate instance (${uuid}) to current host (${host}).`);
  }
}

/** The destination a live migration asked for: a host, and whether the scheduler is bypassed. */
export interface LiveMigrationTarget {
  host: string | null;
  forced: boolean;
}

/**
 * The destination nova's conductor records on a live migration as it begins: the host
 * when it was forced (the scheduler is bypassed); otherwise none until one is chosen.
 */
export function liveMigrationForcedTo(target: LiveMigrationTarget): Destination | undefined {
  return target.host !== null && target.forced ? { compute: target.host, node: null, host: null } : undefined;
}

export class ComputeServiceUnavailable extends MigrationRefused {
  constructor(host: string) {
    super(`Compute service of ${host} is unavailable at this time.`);
  }
}

export class InvalidHypervisorType extends MigrationRefused {
  constructor() {
    // sic: nova's message has lost its type
    super("The supplied hypervisor type of is invalid.");
  }
}

export class DestinationHypervisorTooOld extends MigrationRefused {
  constructor() {
    super("The instance requires a newer hypervisor version than has been provided.");
  }
}

/** nova's InstanceInvalidState of the conductor: a live migration needs a running or paused guest. */
export class InstanceNotLive extends MigrationRefused {
  constructor(uuid: string, state: string) {
    super(
      `Instance ${uuid} in power_state ${state}. Cannot live migrate while the instance is in this state.`,
    );
  }
}

/** The host named with force has no room (nova's claim_resources_on_destination). */
export function noRoomOn(uuid: string, host: string): NoValidHost {
  return new NoValidHost(
    `Unable to move instance ${uuid} to host ${host}. There is not enough capacity on the host for the instance.`,
  );
}

/**
 * nova's _check_compatible_with_source_hypervisor: the same hypervisor type, and a
 * destination no older than the source.
 */
export function checkCompatibleHypervisors(
  source: { hypervisorType: string; hypervisorVersion: number },
  destination: { hypervisorType: string; hypervisorVersion: number },
): void {
  if (source.hypervisorType !== destination.hypervisorType) throw new InvalidHypervisorType();
  if (source.hypervisorVersion > destination.hypervisorVersion) throw new DestinationHypervisorTooOld();
}
