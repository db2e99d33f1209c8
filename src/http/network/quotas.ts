import type { FastifyInstance } from "fastify";
import { PolicyNotAuthorized } from "../../services/network/errors.js";
import { callerOf } from "./resources.js";

/**
 * Neutron's quota reads, for the resources nimbus has. Nothing limits them yet, which
 * Neutron writes as -1; clients with a network endpoint (`openstack quota show`) read
 * these whatever they are asked. Setting quotas is not served, so the `quotas` extension
 * is not listed.
 */
const UNLIMITED = {
  network: -1,
  subnet: -1,
  port: -1,
  router: -1,
  floatingip: -1,
  security_group: -1,
  security_group_rule: -1,
};

export function quotaRoutes(scope: FastifyInstance): void {
  const read = async (request: { params: { projectId: string } } & Parameters<typeof callerOf>[0]) => {
    const caller = callerOf(request);
    if (!caller.isAdmin && caller.projectId !== request.params.projectId)
      throw new PolicyNotAuthorized("get_quota");
    return { quota: { ...UNLIMITED } };
  };
  scope.get<{ Params: { projectId: string } }>("/v2.0/quotas/:projectId", read);
  scope.get<{ Params: { projectId: string } }>("/v2.0/quotas/:projectId/default", read);
}
