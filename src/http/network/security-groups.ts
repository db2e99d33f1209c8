import {
  convertIpPrefix,
  convertPort,
  convertProtocol,
} from "../../services/network/security-group-rules.js";
import {
  type AttributeMap,
  boolean,
  booleanFilter,
  integerFilter,
  invalidAttribute,
  listMatches,
  listOf,
  oneOf,
  standardAttributes,
  string,
  uuid,
} from "./attributes.js";

/** neutron's convert_ethertype_to_case_insensitive, then the values check. */
function ethertype(value: unknown, name: string): string {
  const match = ["IPv4", "IPv6"].find(
    (e) => typeof value === "string" && e.toLowerCase() === value.toLowerCase(),
  );
  if (!match) throw invalidAttribute(name, `'${String(value)}' is not in ["IPv4","IPv6"]`);
  return match;
}

const nullableUuid = (value: unknown, name: string): string | null =>
  value === null ? null : uuid(value, name);

/** Filters of nullable integers: `?port_range_min=22`. */
const nullableIntegerFilter = (text: string, name: string): unknown =>
  text === "" ? null : integerFilter(text, name);

/** A security group's attributes (security-group, stateful-security-group). */
export const SECURITY_GROUP_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: {
    field: "name",
    extension: "security-group",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: string(255),
  },
  stateful: {
    field: "stateful",
    extension: "stateful-security-group",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: boolean,
    filterValue: booleanFilter,
  },
  security_group_rules: {
    field: "security_group_rules",
    extension: "security-group",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: false,
  },
};

const { tags: _noTags, ...ruleStandardAttributes } = standardAttributes();

/** A security group rule's attributes (no tags: Neutron tags groups, not rules). */
export const SECURITY_GROUP_RULE_ATTRIBUTES: AttributeMap = {
  ...ruleStandardAttributes,
  security_group_id: {
    field: "security_group_id",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: uuid,
  },
  direction: {
    field: "direction",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: oneOf(["ingress", "egress"]),
  },
  ethertype: {
    field: "ethertype",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: ethertype,
  },
  protocol: {
    field: "protocol",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: convertProtocol,
  },
  port_range_min: {
    field: "port_range_min",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: convertPort,
    filterValue: nullableIntegerFilter,
  },
  port_range_max: {
    field: "port_range_max",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: convertPort,
    filterValue: nullableIntegerFilter,
  },
  remote_ip_prefix: {
    field: "remote_ip_prefix",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: convertIpPrefix,
  },
  normalized_cidr: {
    field: "normalized_cidr",
    extension: "security-groups-normalized-cidr",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
  },
  remote_group_id: {
    field: "remote_group_id",
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: nullableUuid,
  },
  remote_address_group_id: {
    field: "remote_address_group_id",
    // address groups are not served: the attribute is there, always null
    extension: "security-group",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: nullableUuid,
  },
  description: {
    ...ruleStandardAttributes.description!,
    allowPut: false,
  },
};

/** The port's attribute the security-group extension adds. */
export const PORT_SECURITY_GROUPS_ATTRIBUTE: AttributeMap = {
  security_groups: {
    field: "security_groups",
    extension: "security-group",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    // null is "none" as Neutron's convert_to_uuid_list_or_none has it
    convert: (value, name) => (value === null ? [] : listOf(uuid)(value, name)),
    matches: listMatches,
  },
};
