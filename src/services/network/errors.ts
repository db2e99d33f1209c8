import { Conflict, Forbidden, InvalidInput, NotFound } from "../errors.js";

// Neutron's exceptions (neutron_lib/exceptions), by name: the HTTP edge puts the class
// name in the fault's `type`, as Neutron does, so clients that test it keep working.

export class NetworkNotFound extends NotFound {
  constructor(readonly networkId: string) {
    super(`Network ${networkId} could not be found.`);
  }
}

export class SubnetNotFound extends NotFound {
  constructor(readonly subnetId: string) {
    super(`Subnet ${subnetId} could not be found.`);
  }
}

export class PortNotFound extends NotFound {
  constructor(readonly portId: string) {
    super(`Port ${portId} could not be found.`);
  }
}

export class TagNotFound extends NotFound {
  constructor(
    readonly resourceId: string,
    readonly tag: string,
  ) {
    super(`Tag ${tag} could not be found for resource ${resourceId}.`);
  }
}

export class NetworkInUse extends Conflict {
  constructor(readonly networkId: string) {
    super(
      `Unable to complete operation on network ${networkId}. There are one or more ports still in use on the network.`,
    );
  }
}

export class SubnetInUse extends Conflict {
  constructor(readonly subnetId: string) {
    super(
      `Unable to complete operation on subnet ${subnetId}: One or more ports have an IP allocation from this subnet.`,
    );
  }
}

export class IpAddressAlreadyAllocated extends Conflict {
  constructor(
    readonly ip: string,
    readonly subnetId: string,
  ) {
    super(`IP address ${ip} already allocated in subnet ${subnetId}`);
  }
}

export class IpAddressGenerationFailure extends Conflict {
  constructor(readonly networkId: string) {
    super(`No more IP addresses available on network ${networkId}.`);
  }
}

export class MacAddressInUse extends Conflict {
  constructor(
    readonly networkId: string,
    readonly mac: string,
  ) {
    super(`Unable to complete operation for network ${networkId}. The mac address ${mac} is in use.`);
  }
}

/** An If-Match revision that is not the resource's current one (HTTP 412). */
export class RevisionNumberConstraintFailed extends Conflict {
  constructor(
    readonly expected: number,
    readonly current: number,
  ) {
    super(`Constrained to ${expected}, but current revision is ${current}`);
  }
}

/** What oslo.policy raises: the caller may not do this (or set this attribute). */
export class PolicyNotAuthorized extends Forbidden {
  constructor(readonly rule: string) {
    super(`(rule:${rule}) is disallowed by policy`);
  }
}

export class InvalidIpForSubnet extends InvalidInput {
  constructor(readonly ip: string) {
    super(`IP address ${ip} is not a valid IP for the specified subnet.`);
  }
}

export class InvalidIpForNetwork extends InvalidInput {
  constructor(readonly ip: string) {
    super(`IP address ${ip} is not a valid IP for any of the subnets on the specified network.`);
  }
}

/** Neutron's InvalidInput: "Invalid input for operation: <reason>." */
export function invalidInput(reason: string): InvalidInput {
  return new InvalidInput(`Invalid input for operation: ${reason}.`);
}

/** A create that would take a project past its limit of these resources (neutron-lib's OverQuota). */
export class OverQuota extends Conflict {
  constructor(readonly overs: readonly string[]) {
    // Neutron formats the sorted list as Python prints it: ['port']
    super(
      `Quota exceeded for resources: [${[...overs]
        .sort()
        .map((r) => `'${r}'`)
        .join(", ")}].`,
    );
  }
}

/** A DELETE of a project's quotas when none were set (neutron-lib's TenantQuotaNotFound). */
export class TenantQuotaNotFound extends NotFound {
  constructor(readonly projectId: string) {
    super(`Quota for project ${projectId} could not be found.`);
  }
}

/** Neutron's AdminRequired (a 403 raised by code rather than by policy). */
export class AdminRequired extends Forbidden {
  constructor(readonly reason: string) {
    super(`User does not have admin privileges: ${reason}.`);
  }
}

/**
 * A limit below what the project already uses: Neutron answers it with a plain webob
 * HTTPBadRequest, so the fault's type is that and not the class name.
 */
export class QuotaLimitBelowUsage extends InvalidInput {
  readonly neutronType = "HTTPBadRequest";
  constructor(limit: number, resource: string, used: number) {
    super(`Quota limit ${limit} for ${resource} must be greater than or equal to already used ${used}`);
  }
}

/**
 * A single resource the caller's policy does not show: Neutron's controller pretends it
 * does not exist, with a plain webob HTTPNotFound.
 */
export class ResourceNotFound extends NotFound {
  readonly neutronType = "HTTPNotFound";
  constructor() {
    super("The resource could not be found.");
  }
}

/** neutron-lib's generic NotAuthorized: the caller may not act for that project. */
export class NotAuthorized extends Forbidden {
  constructor() {
    super("Not authorized.");
  }
}

/** Neutron's auto-allocation (services/auto_allocate) failing on the cloud's setup. */
export class AutoAllocationFailure extends Conflict {
  constructor(readonly reason: string) {
    super(`Deployment error: ${reason}.`);
  }
}
