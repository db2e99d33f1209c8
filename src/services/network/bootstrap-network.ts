import { isUniqueViolation } from "../../store/identity-repository.js";
import type { AuthContext } from "../context.js";
import type { NeutronService } from "./neutron-service.js";

/**
 * The public network's id. Fixed so that when several processes bootstrap one database
 * at once, the second one's insert fails on the primary key and it leaves the layout to
 * the first.
 */
export const PUBLIC_NETWORK_ID = "6a1f3d2e-9b0c-4e57-8f21-3c4d5e6f7a80";

/** The demo project's private network: fixed too, so tests and docs can name it. */
export const PRIVATE_NETWORK_ID = "2b7c9e4a-1d3f-4a6b-9c8e-5f0a1b2c3d4e";

export interface NetworkBootstrap {
  adminProjectId: string;
  demoProjectId: string;
}

/**
 * Lays out a fresh cloud's networks as devstack does: an external `public` network
 * (172.24.4.0/24, owned by admin) and the demo project's `private` network with an IPv4
 * subnet (10.0.0.0/22: room for a thousand servers) and a SLAAC IPv6 subnet, joined to
 * `public` by `router1`, so that `server create` with no network choice lands on
 * `private` and its servers can take floating IPs, as on a devstack.
 * Runs once: a cloud that has any network is left as it is.
 */
export async function bootstrapNetworks(neutron: NeutronService, projects: NetworkBootstrap): Promise<void> {
  if ((await neutron.ports.repo.listNetworks(undefined)).length > 0) return;
  const admin: AuthContext = {
    userId: "",
    userName: "bootstrap",
    projectId: projects.adminProjectId,
    projectName: "admin",
    roles: ["admin"],
    isAdmin: true,
    requestId: "req-bootstrap",
  };
  try {
    await neutron.networks.create(admin, { name: "public", external: true }, PUBLIC_NETWORK_ID);
  } catch (error) {
    if (isUniqueViolation(error)) return; // another process is laying it out
    throw error;
  }
  await neutron.subnets.create(admin, {
    network_id: PUBLIC_NETWORK_ID,
    name: "public-subnet",
    ip_version: 4,
    cidr: "172.24.4.0/24",
    gateway_ip: "172.24.4.1",
    enable_dhcp: false,
  });
  const priv = await neutron.networks.create(
    admin,
    { name: "private", project_id: projects.demoProjectId },
    PRIVATE_NETWORK_ID,
  );
  const v4 = await neutron.subnets.create(admin, {
    network_id: priv.id,
    project_id: projects.demoProjectId,
    name: "private-subnet",
    ip_version: 4,
    cidr: "10.0.0.0/22",
    gateway_ip: "10.0.0.1",
  });
  const v6 = await neutron.subnets.create(admin, {
    network_id: priv.id,
    project_id: projects.demoProjectId,
    name: "ipv6-private-subnet",
    ip_version: 6,
    cidr: "fd3e:5c1a:7b20::/64",
    ipv6_ra_mode: "slaac",
    ipv6_address_mode: "slaac",
  });
  // router1 joins private to public, so the demo project's servers can take floating IPs
  const router = await neutron.routers.create(admin, {
    name: "router1",
    project_id: projects.demoProjectId,
    external_gateway_info: { network_id: PUBLIC_NETWORK_ID },
  });
  for (const subnet of [v4, v6])
    await neutron.routers.addInterface(admin, router.id, { subnet_id: subnet.id });
}
