import type { AggregateService } from "../../services/compute/aggregate-service.js";
import type { ComputeService } from "../../services/compute/compute-service.js";
import type { ConsoleService } from "../../services/compute/console-service.js";
import type { FlavorService } from "../../services/compute/flavor-service.js";
import type { HostService } from "../../services/compute/host-service.js";
import type { HypervisorService } from "../../services/compute/hypervisor-service.js";
import type { KeypairService } from "../../services/compute/keypair-service.js";
import type { ServerGroupService } from "../../services/compute/server-group-service.js";
import type { TenantUsageService } from "../../services/compute/tenant-usage.js";
import type { ImageService } from "../../services/image/image-service.js";
import type { InstanceNetworking } from "../../services/network/instance-networking.js";
import type { NeutronService } from "../../services/network/neutron-service.js";
import type { QuotaService } from "../../services/quota/quota-service.js";
import { aggregateRoutes } from "./aggregates.js";
import { attachInterfaceRoutes } from "./attach-interfaces.js";
import { availabilityZoneRoutes } from "./availability-zones.js";
import { extensionRoutes } from "./extensions.js";
import { flavorAccessRoutes, type ProjectExists } from "./flavor-access.js";
import { flavorExtraSpecRoutes } from "./flavor-extra-specs.js";
import { flavorRoutes } from "./flavors.js";
import { floatingIpActions, floatingIpRoutes } from "./floating-ips.js";
import { hostRoutes } from "./hosts.js";
import { hypervisorRoutes } from "./hypervisors.js";
import { imageMetadataRoutes, imageRoutes } from "./images.js";
import { instanceUsageAuditLogRoutes } from "./instance-usage-audit-log.js";
import { keypairRoutes } from "./keypairs.js";
import { limitRoutes } from "./limits.js";
import { migrationRoutes } from "./migrations.js";
import { networkRoutes } from "./networks.js";
import { quotaClassSetRoutes } from "./quota-class-sets.js";
import { quotaSetRoutes } from "./quota-sets.js";
import { remoteConsoleActions, remoteConsoleRoutes } from "./remote-consoles.js";
import { removedApiRoutes } from "./removed-apis.js";
import type { ActionRouteDef, RouteDef } from "./router.js";
import { securityGroupActions, securityGroupRoutes } from "./security-groups.js";
import { serverActionRoutes } from "./server-actions.js";
import { serverDiagnosticsRoutes } from "./server-diagnostics.js";
import { serverExternalEventRoutes } from "./server-external-events.js";
import { serverGroupRoutes } from "./server-groups.js";
import { serverMigrationRoutes } from "./server-migrations.js";
import { serverPasswordRoutes } from "./server-password.js";
import { instanceActionRoutes, ipRoutes, serverMetadataRoutes, serverTagRoutes } from "./server-resources.js";
import { serverRoutes } from "./servers.js";
import { serviceRoutes } from "./services.js";
import { simpleTenantUsageRoutes } from "./simple-tenant-usage.js";

export interface ComputeApiDeps {
  compute: ComputeService;
  flavors: FlavorService;
  keypairs: KeypairService;
  serverGroups: ServerGroupService;
  quotas: QuotaService;
  projectExists: ProjectExists;
  hosts: HostService;
  hypervisors: HypervisorService;
  usage: TenantUsageService;
  aggregates: AggregateService;
  /** Nova's side of Neutron: servers' ports and the network proxies. */
  network: InstanceNetworking;
  neutron: NeutronService;
  /** Remote consoles and their tokens. */
  consoles: ConsoleService;
  /** Glance's images, for nova's image proxy. */
  images: ImageService;
}

/** Every compute endpoint nimbus serves. */
export function computeRoutes(deps: ComputeApiDeps): Array<RouteDef | ActionRouteDef> {
  return [
    ...serverRoutes(deps.compute),
    serverActionRoutes(deps.compute, [
      ...securityGroupActions(deps.compute, deps.network),
      ...floatingIpActions(deps.compute, deps.network),
      ...remoteConsoleActions(deps.compute, deps.consoles),
    ]),
    ...ipRoutes(deps.compute),
    ...attachInterfaceRoutes(deps.compute),
    ...securityGroupRoutes(deps.compute, deps.network),
    ...floatingIpRoutes(deps.network),
    ...networkRoutes(deps.neutron),
    ...serverMetadataRoutes(deps.compute),
    ...serverTagRoutes(deps.compute),
    ...instanceActionRoutes(deps.compute),
    ...serverPasswordRoutes(deps.compute),
    ...flavorRoutes(deps),
    ...flavorAccessRoutes(deps),
    ...flavorExtraSpecRoutes(deps),
    ...keypairRoutes(deps),
    ...imageRoutes(deps),
    ...imageMetadataRoutes(deps),
    ...serverGroupRoutes(deps),
    ...quotaSetRoutes(deps),
    ...limitRoutes(deps),
    ...extensionRoutes(),
    ...removedApiRoutes(),
    ...availabilityZoneRoutes(deps),
    ...hypervisorRoutes(deps),
    ...serviceRoutes(deps),
    ...simpleTenantUsageRoutes(deps),
    ...aggregateRoutes(deps),
    ...quotaClassSetRoutes(deps),
    ...hostRoutes(deps),
    ...migrationRoutes(deps.compute),
    ...serverMigrationRoutes(deps.compute),
    ...serverExternalEventRoutes(deps.compute),
    ...instanceUsageAuditLogRoutes(deps),
    ...serverDiagnosticsRoutes(deps.compute),
    ...remoteConsoleRoutes(deps.compute, deps.consoles),
  ];
}
