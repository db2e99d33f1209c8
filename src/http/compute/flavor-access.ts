import type { FlavorService } from "../../services/compute/flavor-service.js";
import { badRequest, conflict, notFound } from "../faults.js";
import { authorize, type Policy } from "./policy.js";
import type { ActionRouteDef, ComputeCall, RouteDef } from "./router.js";
import { flavorAccessView } from "./views/flavors.js";

const LIST: Policy = { name: "os_compute_api:os-flavor-access", rule: "admin" };
const ADD: Policy = { name: "os_compute_api:os-flavor-access:add_tenant_access", rule: "admin" };
const REMOVE: Policy = { name: "os_compute_api:os-flavor-access:remove_tenant_access", rule: "admin" };

/** From this microversion, sharing a public flavor is a 409 (before it was silently recorded). */
const PUBLIC_FLAVOR_CONFLICT_MIN = "2.7";

/**
 * Whether a project exists, as Keystone would answer nova's verify_project_id: false only
 * when it certainly does not (then nova answers 400); true when it does or cannot be told.
 */
export type ProjectExists = (projectId: string) => Promise<boolean>;

export interface FlavorAccessRouteDeps {
  flavors: FlavorService;
  projectExists?: ProjectExists;
}

const invalidProject = (projectId: string) => `Project ID ${projectId} is not a valid project.`;

/** GET /flavors/{flavor_id}/os-flavor-access and the addTenantAccess / removeTenantAccess actions. */
export function flavorAccessRoutes(deps: FlavorAccessRouteDeps): Array<RouteDef | ActionRouteDef> {
  const { flavors } = deps;
  const projectExists = deps.projectExists ?? (async () => true);

  return [
    {
      method: "GET",
      path: "/flavors/{flavor_id}/os-flavor-access",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, LIST);
        const flavor = await flavors.get(call.auth, call.params.flavor_id!);
        if (flavor.is_public) throw notFound("Access list not available for public flavors.");
        return flavorAccessView(flavor.flavorid, await flavors.projects(call.auth, flavor.flavorid));
      },
    },
    {
      method: "POST",
      path: "/flavors/{id}/action",
      actions: [
        {
          name: "addTenantAccess",
          status: 200,
          handler: async (call: ComputeCall) => {
            authorize(call.auth, ADD);
            const tenant = call.body.tenant as string;
            if (!(await projectExists(tenant))) throw badRequest(invalidProject(tenant));
            const flavor = await flavors.get(call.auth, call.params.id!);
            if (flavor.is_public && call.version.atLeast(PUBLIC_FLAVOR_CONFLICT_MIN)) {
              throw conflict("Can not add access to a public flavor.");
            }
            return flavorAccessView(
              flavor.flavorid,
              await flavors.addAccess(call.auth, flavor.flavorid, tenant),
            );
          },
        },
        {
          name: "removeTenantAccess",
          status: 200,
          handler: async (call: ComputeCall) => {
            authorize(call.auth, REMOVE);
            // an unknown project is fine here: nova removes it from the list all the same
            const tenant = call.body.tenant as string;
            const flavor = await flavors.get(call.auth, call.params.id!);
            return flavorAccessView(
              flavor.flavorid,
              await flavors.removeAccess(call.auth, flavor.flavorid, tenant),
            );
          },
        },
      ],
    },
  ];
}
