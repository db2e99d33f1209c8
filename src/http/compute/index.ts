import type { ComputeService } from "../../services/compute/compute-service.js";
import type { FlavorService } from "../../services/compute/flavor-service.js";
import type { KeypairService } from "../../services/compute/keypair-service.js";
import type { QuotaService } from "../../services/quota/quota-service.js";
import { flavorAccessRoutes, type ProjectExists } from "./flavor-access.js";
import { flavorExtraSpecRoutes } from "./flavor-extra-specs.js";
import { flavorRoutes } from "./flavors.js";
import { keypairRoutes } from "./keypairs.js";
import { limitRoutes } from "./limits.js";
import { quotaSetRoutes } from "./quota-sets.js";
import type { ActionRouteDef, RouteDef } from "./router.js";
import { serverActionRoutes } from "./server-actions.js";
import { instanceActionRoutes, ipRoutes, serverMetadataRoutes, serverTagRoutes } from "./server-resources.js";
import { serverRoutes } from "./servers.js";

export interface ComputeApiDeps {
  compute: ComputeService;
  flavors: FlavorService;
  keypairs: KeypairService;
  quotas: QuotaService;
  projectExists: ProjectExists;
}

/** Every compute endpoint nimbus serves. */
export function computeRoutes(deps: ComputeApiDeps): Array<RouteDef | ActionRouteDef> {
  return [
    ...serverRoutes(deps.compute),
    serverActionRoutes(deps.compute),
    ...ipRoutes(deps.compute),
    ...serverMetadataRoutes(deps.compute),
    ...serverTagRoutes(deps.compute),
    ...instanceActionRoutes(deps.compute),
    ...flavorRoutes(deps),
    ...flavorAccessRoutes(deps),
    ...flavorExtraSpecRoutes(deps),
    ...keypairRoutes(deps),
    ...quotaSetRoutes(deps),
    ...limitRoutes(deps),
  ];
}
