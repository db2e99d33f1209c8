import {
  type AttributeMap,
  boolean,
  booleanFilter,
  dictOf,
  integer,
  integerFilter,
  invalidAttribute,
  listOf,
  nullableString,
  oneOf,
  standardAttributes,
  string,
  uuid,
} from "./attributes.js";

const IPV6_MODES = ["slaac", "dhcpv6-stateful", "dhcpv6-stateless"] as const;

/** A subnet's attributes (core; no subnet pools yet, so cidr is required). */
export const SUBNET_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  name: {
    field: "name",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: string(255),
  },
  network_id: {
    field: "network_id",
    extension: "core",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: uuid,
  },
  ip_version: {
    field: "ip_version",
    extension: "core",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: (value, name) => {
      const n = integer(4, 6)(value, name);
      if (n === 5) throw invalidAttribute(name, "'5' is not in [4, 6]");
      return n;
    },
    filterValue: integerFilter,
  },
  cidr: {
    field: "cidr",
    extension: "core",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: string(64),
  },
  gateway_ip: {
    field: "gateway_ip",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: nullableString(64),
  },
  enable_dhcp: {
    field: "enable_dhcp",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: boolean,
    filterValue: booleanFilter,
  },
  ipv6_ra_mode: {
    field: "ipv6_ra_mode",
    extension: "core",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: oneOf(IPV6_MODES, true),
  },
  ipv6_address_mode: {
    field: "ipv6_address_mode",
    extension: "core",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: oneOf(IPV6_MODES, true),
  },
  allocation_pools: {
    field: "allocation_pools",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: listOf(
      dictOf({
        start: { convert: string(64), required: true },
        end: { convert: string(64), required: true },
      }),
    ),
  },
  // core, but nimbus has no subnet pools: every subnet's is null, as Neutron shows a subnet
  // made from a CIDR without a pool; naming one in a POST is a 400
  subnetpool_id: {
    field: "subnetpool_id",
    extension: "core",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    value: () => null,
  },
  dns_nameservers: {
    field: "dns_nameservers",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: listOf(string(64)),
  },
  host_routes: {
    field: "host_routes",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: listOf(
      dictOf({
        destination: { convert: string(64), required: true },
        nexthop: { convert: string(64), required: true },
      }),
    ),
  },
};
