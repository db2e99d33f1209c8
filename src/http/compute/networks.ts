import type { AuthContext } from "../../services/context.js";
import type { NetworkRecord } from "../../services/network/networks.js";
import type { NeutronService } from "../../services/network/neutron-service.js";
import { notFound } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";
import { MAX_PROXY_VERSION } from "./security-groups.js";

/** nova-network's fields that nova's os-networks proxy still shows, all null but the id and label. */
const FIELDS = ["cidr", "netmask", "gateway", "broadcast", "dns1", "dns2", "cidr_v6", "gateway_v6"];
const AFTER_LABEL = ["netmask_v6"];
const ADMIN_FIELDS = [
  "created_at",
  "updated_at",
  "deleted_at",
  "deleted",
  "injected",
  "bridge",
  "vlan",
  "vpn_public_address",
  "vpn_public_port",
  "vpn_private_address",
  "dhcp_start",
  "project_id",
  "host",
  "bridge_interface",
  "multi_host",
  "priority",
  "rxtx_base",
  "mtu",
  "dhcp_server",
  "enable_dhcp",
  "share_address",
];

/** nova's networks.network_dict. */
function networkView(auth: AuthContext, network: NetworkRecord): Record<string, unknown> {
  const out: Record<string, unknown> = { id: network.id };
  for (const key of FIELDS) out[key] = null;
  out.label = network.name;
  for (const key of AFTER_LABEL) out[key] = null;
  if (auth.isAdmin) for (const key of ADMIN_FIELDS) out[key] = null;
  return out;
}

/** nova's tenant_networks.network_dict: `cidr` is Python's str(None). */
const tenantNetworkView = (network: NetworkRecord) => ({ id: network.id, cidr: "None", label: network.name });

/**
 * `os-networks` and `os-tenant-networks` as nova still serves them to 2.35: the Neutron
 * networks the caller sees, in nova-network's shape. Their writes answer 410 (removed-apis.ts).
 */
export function networkRoutes(neutron: NeutronService): RouteDef[] {
  const show = async (auth: AuthContext, id: string) => {
    try {
      return await neutron.networks.show(auth, id);
    } catch {
      throw notFound("Network not found");
    }
  };
  const routes = (base: string, prefix: string, view: (auth: AuthContext, n: NetworkRecord) => unknown) => {
    const p = (name: string): Policy => ({
      name: `os_compute_api:${prefix}:${name}`,
      rule: "project_reader",
    });
    return [
      {
        method: "GET",
        path: base,
        status: 200,
        max: MAX_PROXY_VERSION,
        handler: async (call) => {
          authorize(call.auth, p("list"), call.auth.projectId);
          return { networks: (await neutron.networks.list(call.auth)).map((n) => view(call.auth, n)) };
        },
      },
      {
        method: "GET",
        path: `${base}/{id}`,
        status: 200,
        max: MAX_PROXY_VERSION,
        handler: async (call) => {
          authorize(call.auth, p("show"), call.auth.projectId);
          return { network: view(call.auth, await show(call.auth, call.params.id!)) };
        },
      },
    ] satisfies RouteDef[];
  };
  return [
    ...routes("/os-networks", "os-networks", networkView),
    ...routes("/os-tenant-networks", "os-tenant-networks", (_auth, n) => tenantNetworkView(n)),
  ];
}
