import { Conflict, Forbidden, InvalidInput, NotFound, ServiceError, Unauthorized } from "../errors.js";

/**
 * Identity's errors, worded as Keystone words them (keystone/exception.py), so that
 * clients that show the message show what they would show against Keystone.
 */

/** Bad credentials, an unusable token or scope: Keystone says no more than this. */
export class AuthenticationFailed extends Unauthorized {
  constructor(message = "The request you have made requires authentication.") {
    super(message);
  }
}

/**
 * A locked-out user (Keystone's AccountLocked). Keystone answers it as a plain
 * Unauthorized (its authentication notifier re-raises it so), so a caller cannot tell a
 * locked account from a wrong password; the user id is for the log.
 */
export class AccountLocked extends AuthenticationFailed {
  constructor(readonly userId: string) {
    super();
  }
}

/**
 * Too many failed password authentications from one source. Keystone itself has no such
 * limit; the Keystone edge answers it 429 Too Many Requests with Retry-After.
 */
export class TooManyAuthFailures extends ServiceError {
  readonly category = "over_limit";
  constructor(readonly retryAfterSeconds: number) {
    super(
      `Too many failed authentication attempts from this address. Retry after ${retryAfterSeconds} seconds.`,
    );
  }
}

/** A malformed request: Keystone's ValidationError (400). */
export class ValidationError extends InvalidInput {}

export class ForbiddenAction extends Forbidden {
  constructor(readonly action: string) {
    super(`You are not authorized to perform the requested action: ${action}.`);
  }
}

export type IdentityEntity = "project" | "user" | "role" | "domain" | "service" | "endpoint" | "region";

export class IdentityNotFound extends NotFound {
  constructor(
    readonly entity: IdentityEntity,
    readonly id: string,
  ) {
    super(`Could not find ${entity}: ${id}.`);
  }
}

export class DuplicateEntry extends Conflict {
  constructor(
    readonly entity: "project" | "user" | "role",
    readonly entityName: string,
    domainId?: string,
  ) {
    const where = domainId === undefined ? "" : ` at domain ID ${domainId}`;
    super(
      `Conflict occurred attempting to store ${entity} - Duplicate entry found with name ${entityName}${where}.`,
    );
  }
}

/** An X-Subject-Token that is unknown, expired or revoked (Keystone answers 404 here, 401 for X-Auth-Token). */
export class TokenNotFound extends NotFound {
  constructor(message = "Failed to validate token") {
    super(message);
  }
}

export class RoleAssignmentNotFound extends NotFound {
  constructor(
    readonly roleId: string,
    readonly userId: string,
    readonly projectId: string,
  ) {
    super(
      `Could not find role assignment with role: ${roleId}, user or group: ${userId}, project, domain, or system: ${projectId}.`,
    );
  }
}
