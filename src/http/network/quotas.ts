import type { FastifyInstance } from "fastify";
import { NETWORK_QUOTA_RESOURCES, type NetworkQuotas } from "../../services/network/quotas.js";
import type { NetworkQuotaResource } from "../../store/network-quota-repository.js";
import { HttpFault } from "../faults.js";
import { type AttributeMap, integer, parseBody } from "./attributes.js";
import { callerOf } from "./resources.js";

/** neutron-lib's DB_INTEGER_MAX_VALUE, the largest limit a PUT may set. */
const MAX_LIMIT = 2 ** 31 - 1;

/** What a PUT may set: each resource's limit, an integer from -1 (unlimited) up. */
const QUOTA_ATTRIBUTES: AttributeMap = Object.fromEntries(
  NETWORK_QUOTA_RESOURCES.map((resource) => [
    resource,
    {
      field: resource,
      extension: "quotas",
      allowPost: false,
      allowPut: true,
      isVisible: true,
      isFilter: false,
      convert: integer(-1, MAX_LIMIT),
    },
  ]),
);

/** A PUT's body: the limits, and `force` (only a JSON true skips the check against usage). */
function quotaBody(body: unknown): { limits: Partial<Record<NetworkQuotaResource, number>>; force: boolean } {
  const quota = (body as Record<string, unknown> | null)?.quota;
  if (typeof body !== "object" || body === null || quota === undefined)
    throw new HttpFault(400, "Unable to find 'quota' in request body");
  if (typeof quota !== "object" || quota === null || Array.isArray(quota))
    throw new HttpFault(400, "Body contains invalid data");
  // Neutron pops both before it validates the rest; check_limit is a no-op since 2025.1
  const { force, check_limit: _ignored, ...limits } = quota as Record<string, unknown>;
  return {
    limits: parseBody(QUOTA_ATTRIBUTES, limits, "PUT") as Partial<Record<NetworkQuotaResource, number>>,
    force: force === true,
  };
}

/**
 * Neutron's quotas and quota_details extensions: per-project limits of networks, subnets,
 * ports, routers, floating IPs, security groups and rules, their defaults and their usage.
 */
export function quotaRoutes(scope: FastifyInstance, quotas: NetworkQuotas): void {
  type ProjectParams = { Params: { projectId: string } };

  scope.get("/v2.0/quotas", async (request) => ({ quotas: await quotas.list(callerOf(request)) }));
  // the caller's own project, as quotas' collection actions `project` and (deprecated) `tenant` say
  for (const key of ["project", "tenant"] as const) {
    scope.get(`/v2.0/quotas/${key}`, async (request) => {
      const { projectId } = callerOf(request);
      if (!projectId) throw new HttpFault(400, "Tenant-id was missing from quota request.");
      return { [key]: { [`${key}_id`]: projectId } };
    });
  }
  scope.get<ProjectParams>("/v2.0/quotas/:projectId", async (request) => ({
    quota: await quotas.show(callerOf(request), request.params.projectId),
  }));
  scope.get<ProjectParams>("/v2.0/quotas/:projectId/default", async (request) => ({
    quota: quotas.defaults(callerOf(request), request.params.projectId),
  }));
  scope.get<ProjectParams>("/v2.0/quotas/:projectId/details", async (request) => ({
    quota: await quotas.details(callerOf(request), request.params.projectId),
  }));
  scope.put<ProjectParams>("/v2.0/quotas/:projectId", async (request) => {
    const caller = callerOf(request);
    // policy before the body, as Neutron's controller checks them
    quotas.authorizeChange(caller, "update_quota");
    const { limits, force } = quotaBody(request.body);
    return { quota: await quotas.update(caller, request.params.projectId, limits, force) };
  });
  scope.delete<ProjectParams>("/v2.0/quotas/:projectId", async (request, reply) => {
    await quotas.reset(callerOf(request), request.params.projectId);
    void reply.code(204);
  });
}
