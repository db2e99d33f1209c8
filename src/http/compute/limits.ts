import type { QuotaService } from "../../services/quota/quota-service.js";
import { authorize, type Policy } from "./policy.js";
import type { RouteDef } from "./router.js";
import { limitsView } from "./views/limits.js";

const LIMITS: Policy = { name: "os_compute_api:limits", rule: "any" };
const OTHER_PROJECT: Policy = { name: "os_compute_api:limits:other_project", rule: "admin" };

export interface LimitRouteDeps {
  quotas: QuotaService;
}

/** GET /limits: the caller's project's absolute limits and usage (another project's with `tenant_id`, admin). */
export function limitRoutes(deps: LimitRouteDeps): RouteDef[] {
  const { quotas } = deps;
  return [
    {
      method: "GET",
      path: "/limits",
      status: 200,
      handler: async (call) => {
        authorize(call.auth, LIMITS);
        let projectId = call.auth.projectId ?? "";
        const tenant = call.query.tenant_id?.at(-1);
        if (tenant !== undefined) {
          authorize(call.auth, OTHER_PROJECT);
          projectId = tenant;
        }
        return limitsView(await quotas.detailFor(projectId), call.version);
      },
    },
  ];
}
