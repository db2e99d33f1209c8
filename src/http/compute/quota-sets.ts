import {
  QUOTA_RESOURCES,
  type QuotaResource,
  type QuotaService,
} from "../../services/quota/quota-service.js";
import { badRequest } from "../faults.js";
import type { ProjectExists } from "./flavor-access.js";
import { strictBool } from "./flavors.js";
import { authorize, type Policy } from "./policy.js";
import type { ComputeCall, RouteDef } from "./router.js";
import { quotaSetView } from "./views/quota-sets.js";

const p = (action: string, rule: Policy["rule"]): Policy => ({
  name: `os_compute_api:os-quota-sets:${action}`,
  rule,
});

export interface QuotaSetRouteDeps {
  quotas: QuotaService;
  /** Keystone's word on whether a project exists (nova's verify_project_id); absent: every id is accepted. */
  projectExists?: ProjectExists;
}

const RESOURCES = new Set<string>(QUOTA_RESOURCES);

/** `user_id` as nova reads it here (parse_qs: the first value). */
const userIdOf = (call: ComputeCall): string | undefined => call.query.user_id?.[0] || undefined;

/** GET/PUT/DELETE /os-quota-sets/{id}, GET .../detail and .../defaults. */
export function quotaSetRoutes(deps: QuotaSetRouteDeps): RouteDef[] {
  const { quotas } = deps;
  const projectExists = deps.projectExists ?? (async () => true);

  /** Policy check against the project in the URL, then nova's check that the project exists. */
  const target = async (call: ComputeCall, policy: Policy): Promise<string> => {
    const projectId = call.params.id!;
    authorize(call.auth, policy, projectId);
    if (!(await projectExists(projectId)))
      throw badRequest(`Project ID ${projectId} is not a valid project.`);
    return projectId;
  };

  return [
    {
      method: "GET",
      path: "/os-quota-sets/{id}",
      status: 200,
      handler: async (call) => {
        const projectId = await target(call, p("show", "project_reader"));
        return quotaSetView(projectId, await quotas.limitsOf(projectId, userIdOf(call)), call.version);
      },
    },
    {
      method: "GET",
      path: "/os-quota-sets/{id}/detail",
      status: 200,
      handler: async (call) => {
        const projectId = await target(call, p("detail", "project_reader"));
        return quotaSetView(projectId, await quotas.detailFor(projectId, userIdOf(call)), call.version);
      },
    },
    {
      method: "GET",
      path: "/os-quota-sets/{id}/defaults",
      status: 200,
      handler: async (call) => {
        const projectId = await target(call, p("defaults", "any"));
        return quotaSetView(projectId, await quotas.defaults(), call.version);
      },
    },
    {
      method: "PUT",
      path: "/os-quota-sets/{id}",
      status: 200,
      handler: async (call) => {
        const projectId = await target(call, p("update", "admin"));
        const body = call.body.quota_set as Record<string, unknown>;
        // nova reads force leniently: anything but a true-ish string is false
        const force = strictBool(body.force ?? false) === true;
        // the version's schema admits only its resources (and force)
        const requested: Partial<Record<QuotaResource, number>> = {};
        for (const [key, value] of Object.entries(body)) {
          if (key === "force" || value === null || value === "" || !RESOURCES.has(key)) continue;
          requested[key as QuotaResource] = Number(value);
        }
        const limits = await quotas.update(projectId, requested, { force, userId: userIdOf(call) });
        return quotaSetView(undefined, limits, call.version);
      },
    },
    {
      method: "DELETE",
      path: "/os-quota-sets/{id}",
      status: 202,
      handler: async (call) => {
        authorize(call.auth, p("delete", "admin"), call.params.id!);
        // nova's delete does not ask Keystone whether the project exists
        await quotas.reset(call.params.id!, userIdOf(call));
      },
    },
  ];
}
