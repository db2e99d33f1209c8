import type { AttributeMap } from "./attributes.js";

interface ExtensionInfo {
  name: string;
  description: string;
  updated: string;
}

/** What neutron-lib's API definitions say of each extension nimbus implements. */
const KNOWN: Record<string, ExtensionInfo> = {
  "external-net": {
    name: "Neutron external network",
    description: "Adds external network attribute to network resource.",
    updated: "2013-01-14T10:00:00-00:00",
  },
  "project-id": {
    name: "project_id field enabled",
    description: "Extension that indicates that project_id field is enabled.",
    updated: "2016-09-09T09:09:09-09:09",
  },
  pagination: {
    name: "Pagination support",
    description: "Extension that indicates that pagination is enabled.",
    updated: "2016-06-12T00:00:00-00:00",
  },
  sorting: {
    name: "Sorting support",
    description: "Extension that indicates that sorting is enabled.",
    updated: "2016-06-12T00:00:00-00:00",
  },
  "filter-validation": {
    name: "Filter parameters validation",
    description: "Provides validation on filter parameters.",
    updated: "2018-03-21T10:00:00-00:00",
  },
  "standard-attr-description": {
    name: "standard-attr-description",
    description: "Extension to add descriptions to standard attributes",
    updated: "2016-02-10T10:00:00-00:00",
  },
  "standard-attr-tag": {
    name: "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
    description: "Enables to set tag on resources with standard attribute.",
    updated: "2017-01-01T00:00:00-00:00",
  },
  "standard-attr-timestamp": {
    name: "Resource timestamps",
    description:
      "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
    updated: "2016-09-12T10:00:00-00:00",
  },
  "standard-attr-revisions": {
    name: "Resource revision numbers",
    description: "This extension will display the revision number of neutron resources.",
    updated: "2016-04-11T10:00:00-00:00",
  },
  "revision-if-match": {
    name: "If-Match constraints based on revision_number",
    description: "Extension indicating that If-Match based on revision_number is supported.",
    updated: "2016-12-11T00:00:00-00:00",
  },
  "net-mtu": {
    name: "Network MTU",
    description: "Provides MTU attribute for a network resource.",
    updated: "2015-03-25T10:00:00-00:00",
  },
  availability_zone: {
    name: "Availability Zone",
    description: "The availability zone extension.",
    updated: "2015-01-01T10:00:00-00:00",
  },
  network_availability_zone: {
    name: "Network Availability Zone",
    description: "Availability zone support for network.",
    updated: "2015-01-01T10:00:00-00:00",
  },
  "allowed-address-pairs": {
    name: "Allowed Address Pairs",
    description: "Provides allowed address pairs",
    updated: "2013-07-23T10:00:00-00:00",
  },
  "port-security": {
    name: "Port Security",
    description: "Provides port security",
    updated: "2012-07-23T10:00:00-00:00",
  },
  binding: {
    name: "Port Binding",
    description: "Expose port bindings of a virtual port to external application",
    updated: "2014-02-03T10:00:00-00:00",
  },
  router: {
    name: "Neutron L3 Router",
    description:
      "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
    updated: "2012-07-20T10:00:00-00:00",
  },
  "ext-gw-mode": {
    name: "Neutron L3 Configurable external gateway mode",
    description:
      "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
    updated: "2013-03-28T10:00:00-00:00",
  },
  extraroute: {
    name: "Neutron Extra Route",
    description: "Extra routes configuration for L3 router",
    updated: "2013-02-01T10:00:00-00:00",
  },
  "fip-port-details": {
    name: "Floating IP Port Details Extension",
    description: "Add port_details attribute to Floating IP resource",
    updated: "2018-04-09T10:00:00-00:00",
  },
  "security-group": {
    name: "security-group",
    description: "The security groups extension.",
    updated: "2012-10-05T10:00:00-00:00",
  },
  "stateful-security-group": {
    name: "Stateful security group",
    description: "Indicates if the security group is stateful or not",
    updated: "2019-11-26T09:00:00-00:00",
  },
  "security-groups-normalized-cidr": {
    name: "Normalized CIDR field for security group rules",
    description: "Add new field with normalized remote_ip_prefix cidr in SG rule",
    updated: "2020-07-01T00:00:00-00:00",
  },
  "auto-allocated-topology": {
    name: "Auto Allocated Topology Services",
    description: "Auto Allocated Topology Services.",
    updated: "2016-01-01T00:00:00-00:00",
  },
  "network-ip-availability": {
    name: "Network IP Availability",
    description: "Provides IP availability data for each network and subnet.",
    updated: "2015-09-24T00:00:00-00:00",
  },
  quotas: {
    name: "Quota management support",
    description: "Expose functions for quotas management per project",
    updated: "2012-07-29T10:00:00-00:00",
  },
  quota_details: {
    name: "Quota details management support",
    description: "Expose functions for quotas usage statistics per project",
    updated: "2017-02-10T10:00:00-00:00",
  },
  provider: {
    name: "Provider Network",
    description: "Expose mapping of virtual networks to physical networks",
    updated: "2012-09-07T10:00:00-00:00",
  },
};

/**
 * Extensions that are behaviour of the API rather than attributes of a resource
 * (ext-gw-mode adds a key inside the router's external_gateway_info, not an attribute).
 */
const BEHAVIOUR = [
  "pagination",
  "sorting",
  "filter-validation",
  "revision-if-match",
  "availability_zone",
  "ext-gw-mode",
  "quotas",
  "quota_details",
  "network-ip-availability",
  "auto-allocated-topology",
];

export interface Extension extends ExtensionInfo {
  alias: string;
  links: never[];
}

/**
 * The extension list, derived: every extension an attribute of a resource comes from, and
 * the behaviours above. An alias without a description here is a mistake in a definition.
 */
export function extensionsOf(maps: readonly AttributeMap[]): Extension[] {
  const aliases = new Set<string>(BEHAVIOUR);
  for (const map of maps)
    for (const attribute of Object.values(map))
      if (attribute.extension !== "core") aliases.add(attribute.extension);
  return [...aliases].sort().map((alias) => {
    const info = KNOWN[alias];
    if (!info) throw new Error(`extension ${alias} has no description`);
    return { alias, ...info, links: [] };
  });
}
