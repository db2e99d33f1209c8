import { Conflict, InvalidInput, NotFound } from "../errors.js";

// neutron-lib's L3 exceptions (neutron_lib/exceptions/l3.py), by name and message, and
// the core ones the L3 code raises. The HTTP edge puts the class name in the fault's type.

export class RouterNotFound extends NotFound {
  constructor(readonly routerId: string) {
    super(`Router ${routerId} could not be found`);
  }
}

export class FloatingIPNotFound extends NotFound {
  constructor(readonly floatingIpId: string) {
    super(`Floating IP ${floatingIpId} could not be found`);
  }
}

export class RouterInUse extends Conflict {
  constructor(
    readonly routerId: string,
    reason = "still has ports",
  ) {
    super(`Router ${routerId} ${reason}`);
  }
}

export class RouterInterfaceNotFound extends NotFound {
  constructor(
    readonly routerId: string,
    readonly portId: string,
  ) {
    super(`Router ${routerId} does not have an interface with id ${portId}`);
  }
}

export class RouterInterfaceNotFoundForSubnet extends NotFound {
  constructor(
    readonly routerId: string,
    readonly subnetId: string,
  ) {
    super(`Router ${routerId} has no interface on subnet ${subnetId}`);
  }
}

export class RouterInterfaceInUseByFloatingIP extends Conflict {
  constructor(
    readonly routerId: string,
    readonly subnetId: string,
  ) {
    super(
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more floating IPs.`,
    );
  }
}

export class RouterExternalGatewayInUseByFloatingIp extends Conflict {
  constructor(
    readonly routerId: string,
    readonly networkId: string,
  ) {
    super(
      `Gateway cannot be updated for router ${routerId}, since a gateway to external network ${networkId} is required by one or more floating IPs.`,
    );
  }
}

export class ExternalGatewayForFloatingIPNotFound extends NotFound {
  constructor(
    readonly networkId: string,
    readonly subnetId: string,
    readonly portId: string,
  ) {
    super(
      `External network ${networkId} is not reachable from subnet ${subnetId}.  Therefore, cannot associate Port ${portId} with a Floating IP.`,
    );
  }
}

export class FloatingIPPortAlreadyAssociated extends Conflict {
  constructor(args: { address: string; fipId: string; portId: string; fixedIp: string; networkId: string }) {
    super(
      `Cannot associate floating IP ${args.address} (${args.fipId}) with port ${args.portId} using fixed IP ${args.fixedIp}, as that fixed IP already has a floating IP on external network ${args.networkId}.`,
    );
  }
}

export class ExternalIpAddressExhausted extends InvalidInput {
  constructor(readonly networkId: string) {
    super(`Unable to find any IP address on external network ${networkId}.`);
  }
}

/** neutron-lib's BadRequest: "Bad <resource> request: <msg>." */
export class BadRequest extends InvalidInput {
  constructor(resource: "router" | "floatingip" | "auto_allocate", reason: string) {
    super(`Bad ${resource} request: ${reason}.`);
  }
}

export class PortInUse extends Conflict {
  constructor(portId: string, networkId: string, deviceId: string) {
    super(
      `Unable to complete operation on port ${portId} for network ${networkId}. Port already has an attached device ${deviceId}.`,
    );
  }
}

export class ServicePortInUse extends Conflict {
  constructor(portId: string, reason: string) {
    super(`Port ${portId} cannot be deleted directly via the port API: ${reason}.`);
  }
}

export class SubnetMismatchForPort extends InvalidInput {
  constructor(portId: string, subnetId: string) {
    super(`Subnet on port ${portId} does not match the requested subnet ${subnetId}.`);
  }
}

/** `routes` is the request's list as Neutron prints it (a python repr). */
export class InvalidRoutes extends InvalidInput {
  constructor(routes: string, reason: string) {
    super(`Invalid format for routes: ${routes}, ${reason}`);
  }
}

export class RouterInterfaceInUseByRoute extends Conflict {
  constructor(
    readonly routerId: string,
    readonly subnetId: string,
  ) {
    super(
      `Router interface for subnet ${subnetId} on router ${routerId} cannot be deleted, as it is required by one or more routes.`,
    );
  }
}
