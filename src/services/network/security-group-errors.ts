import { Conflict, InvalidInput, NotFound } from "../errors.js";

// Neutron's security group exceptions (neutron/extensions/securitygroup.py and
// neutron_lib/exceptions), by name and message: the HTTP edge puts the class name in the
// fault's `type`.

export class SecurityGroupNotFound extends NotFound {
  constructor(readonly id: string) {
    super(`Security group ${id} does not exist`);
  }
}

export class SecurityGroupRuleNotFound extends NotFound {
  constructor(readonly id: string) {
    super(`Security group rule ${id} does not exist`);
  }
}

export class AddressGroupNotFound extends NotFound {
  constructor(readonly id: string) {
    super(`Address group ${id} could not be found.`);
  }
}

export class SecurityGroupInUse extends Conflict {
  constructor(readonly id: string) {
    super(`Security Group ${id} in use.`);
  }
}

export class SecurityGroupCannotRemoveDefault extends Conflict {
  constructor() {
    super("Insufficient rights for removing default security group.");
  }
}

export class SecurityGroupCannotUpdateDefault extends Conflict {
  constructor() {
    super("Updating default security group not allowed.");
  }
}

export class SecurityGroupDefaultAlreadyExists extends Conflict {
  constructor() {
    super("Default security group already exists.");
  }
}

export class SecurityGroupRuleExists extends Conflict {
  constructor(readonly ruleId: string) {
    super(`Security group rule already exists. Rule id is ${ruleId}.`);
  }
}

export class SecurityGroupRuleInvalidProtocol extends InvalidInput {
  constructor(
    readonly protocol: unknown,
    values: readonly (string | null)[],
  ) {
    const list = `[${values.map((v) => (v === null ? "None" : `'${v}'`)).join(", ")}]`;
    super(
      `Security group rule protocol ${String(protocol)} not supported. Only protocol values ${list} and integer representations [0 to 255] are supported.`,
    );
  }
}

export class SecurityGroupInvalidPortValue extends InvalidInput {
  constructor(readonly port: unknown) {
    super(`Invalid value for port ${String(port)}`);
  }
}

export class SecurityGroupInvalidPortRange extends InvalidInput {
  constructor() {
    super("For TCP/UDP protocols, port_range_min must be <= port_range_max");
  }
}

export class SecurityGroupInvalidIcmpValue extends InvalidInput {
  constructor(field: string, attr: string, value: number) {
    super(`Invalid value for ICMP ${field} (${attr}) ${value}. It must be 0 to 255.`);
  }
}

export class SecurityGroupMissingIcmpType extends InvalidInput {
  constructor(value: number) {
    super(`ICMP code (port-range-max) ${value} is provided but ICMP type (port-range-min) is missing.`);
  }
}

export class SecurityGroupInvalidProtocolForPortRange extends InvalidInput {
  constructor(protocol: number) {
    super(
      `Invalid protocol ${protocol} for port range, only supported for TCP, UDP, UDPLITE, SCTP and DCCP.`,
    );
  }
}

export class SecurityGroupProtocolRequiredWithPorts extends InvalidInput {
  constructor() {
    super("Must also specify protocol if port range is given.");
  }
}

export class SecurityGroupRemoteGroupAndRemoteIpPrefix extends InvalidInput {
  constructor() {
    super("Only remote_ip_prefix or remote_group_id may be provided.");
  }
}

export class SecurityGroupRuleParameterConflict extends InvalidInput {
  constructor(ethertype: string, cidr: string) {
    super(`Conflicting value ethertype ${ethertype} for CIDR ${cidr}`);
  }
}

export class SecurityGroupEthertypeConflictWithProtocol extends InvalidInput {
  constructor(ethertype: string, protocol: string) {
    super(`Invalid ethertype ${ethertype} for protocol ${protocol}.`);
  }
}

export class InvalidCIDR extends InvalidInput {
  constructor(input: string) {
    super(`Invalid CIDR ${input} given as IP prefix.`);
  }
}

export class PortSecurityAndIPRequiredForSecurityGroups extends InvalidInput {
  constructor() {
    super("Port security must be enabled and port must have an IP address in order to use security groups.");
  }
}

export class PortSecurityPortHasSecurityGroup extends Conflict {
  constructor() {
    super(
      "Port has security group associated. Cannot disable port security or IP address until security group is removed",
    );
  }
}
