import {
  type AttributeMap,
  boolean,
  booleanFilter,
  dictOf,
  invalidAttribute,
  listOf,
  oneOf,
  standardAttributes,
  string,
  uuid,
} from "./attributes.js";
import { PORT_SECURITY_GROUPS_ATTRIBUTE } from "./security-groups.js";

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;

function macAddress(value: unknown, name: string): string {
  const text = string(32)(value, name);
  if (!MAC.test(text)) throw invalidAttribute(name, `'${text}' is not a valid MAC address`);
  return text;
}

const VNIC_TYPES = [
  "normal",
  "direct",
  "macvtap",
  "baremetal",
  "direct-physical",
  "virtio-forwarder",
  "smart-nic",
  "remote-managed",
] as const;

/**
 * `fixed_ips=ip_address=10.0.0.5` and `fixed_ips=subnet_id=<id>`: a port matches when one
 * of its addresses has every key=value asked for in one of the filter values.
 */
function fixedIpsMatch(value: unknown, wanted: readonly string[]): boolean {
  const ips = (value as Array<Record<string, string>>) ?? [];
  return wanted.some((w) => {
    const [key, ...rest] = w.split("=");
    const expected = rest.join("=");
    return ips.some((ip) => key !== undefined && ip[key] === expected);
  });
}

/** A port's attributes: core, port-security, allowed-address-pairs and binding. */
export const PORT_ATTRIBUTES: AttributeMap = {
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
  admin_state_up: {
    field: "admin_state_up",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: boolean,
    filterValue: booleanFilter,
  },
  mac_address: {
    field: "mac_address",
    extension: "core",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: macAddress,
  },
  fixed_ips: {
    field: "fixed_ips",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: listOf(dictOf({ subnet_id: { convert: uuid }, ip_address: { convert: string(64) } })),
    matches: fixedIpsMatch,
  },
  device_id: {
    field: "device_id",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: string(255),
  },
  device_owner: {
    field: "device_owner",
    extension: "core",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: string(255),
  },
  status: {
    field: "status",
    extension: "core",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
  },
  port_security_enabled: {
    field: "port_security_enabled",
    extension: "port-security",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: boolean,
    filterValue: booleanFilter,
  },
  allowed_address_pairs: {
    field: "allowed_address_pairs",
    extension: "allowed-address-pairs",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: false,
    convert: listOf(
      dictOf({ ip_address: { convert: string(64), required: true }, mac_address: { convert: macAddress } }),
    ),
  },
  "binding:host_id": {
    field: "binding_host_id",
    extension: "binding",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    adminOnly: true,
    convert: string(255),
  },
  "binding:vnic_type": {
    field: "binding_vnic_type",
    extension: "binding",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: oneOf(VNIC_TYPES),
  },
  "binding:vif_type": {
    field: "binding_vif_type",
    extension: "binding",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    adminOnly: true,
  },
  // what the OVS mechanism driver reports of a port it bound (the agent's bridge and
  // datapath keys aside); nothing while the port is unbound
  "binding:vif_details": {
    field: "binding_vif_type",
    extension: "binding",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: false,
    adminOnly: true,
    value: (record) => (record.binding_vif_type === "ovs" ? { port_filter: true, connectivity: "l2" } : {}),
  },
  // nimbus keeps no binding profile: every port's is the empty one Neutron shows when none
  // was set, and setting one is a 400
  "binding:profile": {
    field: "binding_profile",
    extension: "binding",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: false,
    adminOnly: true,
    value: () => ({}),
  },
  ...PORT_SECURITY_GROUPS_ATTRIBUTE,
};
