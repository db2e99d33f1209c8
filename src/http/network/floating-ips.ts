import { canonicalIp } from "../../services/network/ip.js";
import { type AttributeMap, invalidAttribute, standardAttributes, uuid } from "./attributes.js";

function ipAddress(value: unknown, name: string): string {
  const ip = typeof value === "string" ? canonicalIp(value) : undefined;
  if (!ip) throw invalidAttribute(name, `'${String(value)}' is not a valid IP address`);
  return ip;
}

const orNull =
  <T>(convert: (value: unknown, name: string) => T) =>
  (value: unknown, name: string): T | null =>
    value === null ? null : convert(value, name);

/** A floating IP's attributes (the router extension's floatingips) and fip-port-details. */
export const FLOATING_IP_ATTRIBUTES: AttributeMap = {
  ...standardAttributes(),
  floating_ip_address: {
    field: "floating_ip_address",
    extension: "router",
    allowPost: true,
    allowPut: false,
    isVisible: true,
    isFilter: true,
    convert: ipAddress,
  },
  subnet_id: {
    field: "subnet_id",
    extension: "router",
    allowPost: true,
    allowPut: false,
    isVisible: false,
    isFilter: false,
    convert: uuid,
  },
  floating_network_id: {
    field: "floating_network_id",
    extension: "router",
    allowPost: true,
    allowPut: false,
    required: true,
    isVisible: true,
    isFilter: true,
    convert: uuid,
  },
  router_id: {
    field: "router_id",
    extension: "router",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
  },
  port_id: {
    field: "port_id",
    extension: "router",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: orNull(uuid),
  },
  fixed_ip_address: {
    field: "fixed_ip_address",
    extension: "router",
    allowPost: true,
    allowPut: true,
    isVisible: true,
    isFilter: true,
    convert: orNull(ipAddress),
  },
  status: {
    field: "status",
    extension: "router",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: true,
  },
  port_details: {
    field: "port_details",
    extension: "fip-port-details",
    allowPost: false,
    allowPut: false,
    isVisible: true,
    isFilter: false,
  },
};
