/**
 * The errors services raise. Each names what went wrong in domain terms and carries
 * a category; the HTTP edge maps categories to statuses once (http/error-handler.ts).
 */
export type ErrorCategory =
  | "invalid"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "over_limit";

export abstract class ServiceError extends Error {
  abstract readonly category: ErrorCategory;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class InvalidInput extends ServiceError {
  readonly category = "invalid";
}

export class Unauthorized extends ServiceError {
  readonly category = "unauthorized";
}

export class Forbidden extends ServiceError {
  readonly category = "forbidden";
}

export class NotFound extends ServiceError {
  readonly category = "not_found";
}

export class Conflict extends ServiceError {
  readonly category = "conflict";
}

/** Nova answers quota overruns with 403 Forbidden, not 413. */
export class QuotaExceeded extends ServiceError {
  readonly category = "forbidden";
}

export class InstanceNotFound extends NotFound {
  constructor(readonly instanceId: string) {
    super(`Instance ${instanceId} could not be found.`);
  }
}

export class FlavorNotFound extends NotFound {
  constructor(readonly flavorId: string) {
    super(`Flavor ${flavorId} could not be found.`);
  }
}

export class ImageNotFound extends NotFound {
  constructor(readonly imageId: string) {
    super(`Image ${imageId} could not be found.`);
  }
}

export class KeypairNotFound extends NotFound {
  constructor(
    readonly userId: string,
    readonly keypairName: string,
  ) {
    super(`Keypair ${keypairName} not found for user ${userId}`);
  }
}

/**
 * An action refused because of the server's vm_state, task_state or launch state, worded as
 * nova's raise_http_conflict_for_instance_invalid_state: the state named when there is one,
 * a plainer message when the server is in none (task_state None, never launched).
 */
export class InstanceInvalidState extends Conflict {
  constructor(
    readonly instanceId: string,
    readonly action: string,
    readonly attribute: "vm_state" | "task_state" | "launched_at",
    readonly value: string | null,
  ) {
    super(
      value === null
        ? `Instance ${instanceId} is in an invalid state for '${action}'`
        : `Cannot '${action}' instance ${instanceId} while it is in ${attribute} ${value}`,
    );
  }
}

export class InstanceLocked extends Conflict {
  constructor(readonly instanceId: string) {
    super(`Instance ${instanceId} is locked`);
  }
}
