import type { FastifyInstance } from "fastify";
import type { AutoAllocation } from "../../services/network/auto-allocation.js";
import { callerOf, queryOf } from "./resources.js";

/** Neutron's auto-allocated-topology extension: a project's network, built on first GET. */
export function autoAllocatedTopologyRoutes(scope: FastifyInstance, autoAllocation: AutoAllocation): void {
  type ProjectParams = { Params: { projectId: string } };
  scope.get<ProjectParams>("/v2.0/auto-allocated-topology/:projectId", async (request) => {
    const fields = queryOf(request)
      .getAll("fields")
      .filter((f) => f !== "");
    return {
      auto_allocated_topology: await autoAllocation.show(callerOf(request), request.params.projectId, fields),
    };
  });
  scope.delete<ProjectParams>("/v2.0/auto-allocated-topology/:projectId", async (request, reply) => {
    await autoAllocation.delete(callerOf(request), request.params.projectId);
    void reply.code(204);
  });
}
