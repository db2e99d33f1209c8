import { hostname } from "node:os";
import type { Destination } from "../migration-records.js";

/**
 * What nova's conductor and scheduler decide for the live migrations and evacuations of a
 * server, which nimbus does not carry out yet: where it may go, answered with nova's
 * refusals. (A cold migration's destination is chosen with placement: TaskSupport.)
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

/**
 * nova's LiveMigrationTask: a forced host is only checked not to be the source; otherwise
 * the scheduler picks among the other hosts (only the requested one, when there is one).
 */
export function liveMigrationDestination(
  uuid: string,
  source: string | null,
  hosts: readonly string[],
  target: LiveMigrationTarget,
): string {
  if (target.host !== null && target.forced) {
    if (target.host === source) throw new UnableToMigrateToSelf(uuid, target.host);
    return target.host;
  }
  const destination = hosts.find((h) => h !== source && (target.host === null || h === target.host));
  if (destination === undefined) throw new NoValidHost(NOT_ENOUGH_HOSTS);
  return destination;
}
