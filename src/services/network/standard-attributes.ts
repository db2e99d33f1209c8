import { isoSeconds, nowIso } from "../../clock.js";
import type { AuthContext } from "../context.js";
import { InvalidInput, NotFound } from "../errors.js";
import { RevisionNumberConstraintFailed } from "./errors.js";

/** The zone every network lives in: nimbus has one, as a single-node Neutron does. */
export const DEFAULT_ZONE = "nova";

/** Neutron's standard attributes, which every core resource carries. */
export interface StandardAttributes {
  id: string;
  project_id: string;
  description: string;
  tags: string[];
  revision_number: number;
  created_at: string;
  updated_at: string;
}

/** Times as Neutron writes them: ISO 8601 UTC to the second. */
export function neutronTime(): string {
  return isoSeconds(nowIso());
}

/** Refuses a change when the client's If-Match revision is not the current one (revision-if-match). */
export function checkRevision(expected: number | undefined, current: number): void {
  if (expected !== undefined && expected !== current)
    throw new RevisionNumberConstraintFailed(expected, current);
}

/** The project a new resource belongs to: the caller's, or for an admin any it names. */
export function ownerOf(caller: AuthContext, requested: string | undefined): string {
  const own = caller.projectId ?? "";
  if (requested === undefined || requested === own) return own;
  if (!caller.isAdmin)
    throw new InvalidInput(
      "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
    );
  return requested;
}

/** Whether the caller may change a resource of this project (Neutron's admin_or_owner). */
export function ownsOrAdmin(caller: AuthContext, projectId: string): boolean {
  return caller.isAdmin || caller.projectId === projectId;
}

export class AvailabilityZoneNotFound extends NotFound {
  constructor(readonly zone: string) {
    super(`AvailabilityZone ${zone} could not be found.`);
  }
}
