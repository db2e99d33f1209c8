import type { ActionRouteDef, RouteDef } from "./router.js";

/**
 * The endpoints nova removed (nova-network, cells v1, agents, certificates, cloudpipe, fping,
 * the XenAPI consoles, default security-group rules …): nova still routes them and answers
 * 410 Gone at every microversion, and so does nimbus, so that a client sees "gone" rather
 * than "never existed". From ENDPOINTS.md's `removed: 410` rows; resetNetwork, an action
 * of a live endpoint, sits with the other server actions.
 */
const REMOVED: ReadonlyArray<readonly [RouteDef["method"], string]> = [
  ["DELETE", "/os-agents/{id}"],
  ["DELETE", "/os-cells/{id}"],
  ["DELETE", "/os-floating-ip-dns/{domain_id}/entries/{id}"],
  ["DELETE", "/os-floating-ip-dns/{id}"],
  ["DELETE", "/os-networks/{id}"],
  ["DELETE", "/os-security-group-default-rules/{id}"],
  ["DELETE", "/os-tenant-networks/{id}"],
  ["DELETE", "/servers/{server_id}/consoles/{id}"],
  ["GET", "/os-agents"],
  ["GET", "/os-cells"],
  ["GET", "/os-cells/capacities"],
  ["GET", "/os-cells/detail"],
  ["GET", "/os-cells/info"],
  ["GET", "/os-cells/{id}"],
  ["GET", "/os-cells/{id}/capacities"],
  ["GET", "/os-certificates/{id}"],
  ["GET", "/os-cloudpipe"],
  ["GET", "/os-fixed-ips/{id}"],
  ["GET", "/os-floating-ip-dns"],
  ["GET", "/os-floating-ip-dns/{domain_id}/entries/{id}"],
  ["GET", "/os-floating-ips-bulk"],
  ["GET", "/os-floating-ips-bulk/{id}"],
  ["GET", "/os-fping"],
  ["GET", "/os-fping/{id}"],
  ["GET", "/os-security-group-default-rules"],
  ["GET", "/os-security-group-default-rules/{id}"],
  ["GET", "/servers/{server_id}/consoles"],
  ["GET", "/servers/{server_id}/consoles/{id}"],
  ["GET", "/servers/{server_id}/os-virtual-interfaces"],
  ["POST", "/os-agents"],
  ["POST", "/os-cells"],
  ["POST", "/os-cells/sync_instances"],
  ["POST", "/os-certificates"],
  ["POST", "/os-cloudpipe"],
  ["POST", "/os-floating-ips-bulk"],
  ["POST", "/os-networks"],
  ["POST", "/os-networks/add"],
  ["POST", "/os-security-group-default-rules"],
  ["POST", "/os-tenant-networks"],
  ["POST", "/servers/{server_id}/consoles"],
  ["PUT", "/os-agents/{id}"],
  ["PUT", "/os-cells/{id}"],
  ["PUT", "/os-cloudpipe/{id}"],
  ["PUT", "/os-floating-ip-dns/{domain_id}/entries/{id}"],
  ["PUT", "/os-floating-ip-dns/{id}"],
  ["PUT", "/os-floating-ips-bulk/{id}"],
];

/** Action endpoints all of whose actions are gone. */
const REMOVED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  "/os-fixed-ips/{id}/action": ["reserve", "unreserve"],
  "/os-networks/{id}/action": ["associate_host", "disassociate", "disassociate_host", "disassociate_project"],
};

const gone = () => undefined;

export function removedApiRoutes(): Array<RouteDef | ActionRouteDef> {
  return [
    ...REMOVED.map(
      ([method, path]): RouteDef => ({ method, path, removed: true, status: 410, handler: gone }),
    ),
    ...Object.entries(REMOVED_ACTIONS).map(
      ([path, names]): ActionRouteDef => ({
        method: "POST",
        path,
        actions: names.map((name) => ({ name, removed: true, status: 410, handler: gone })),
      }),
    ),
  ];
}
