import type { FastifyInstance } from "fastify";
import { callerOf, type IdentityRoutes, type Params, queryFlag, queryParam, selfLink } from "./context.js";
import { validateBody } from "./schemas.js";
import { collectionLinks, projectView } from "./views.js";

export async function projectRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  scope.get("/v3/projects", async (request) => {
    const caller = callerOf(request);
    // nimbus has no projects acting as domains.
    const projects =
      queryFlag(request, "is_domain") === true
        ? []
        : await identity.listProjects(caller, {
            name: queryParam(request, "name"),
            domainId: queryParam(request, "domain_id"),
            enabled: queryFlag(request, "enabled"),
          });
    return {
      projects: projects.map((p) => projectView(p, v3)),
      links: collectionLinks(selfLink(request, v3)),
    };
  });

  scope.post("/v3/projects", async (request, reply) => {
    const { project: body } = validateBody("projectCreate", request.body);
    const project = await identity.createProject(callerOf(request), {
      name: body.name,
      domainId: body.domain_id ?? undefined,
      description: body.description ?? undefined,
      enabled: body.enabled,
      parentId: body.parent_id,
      isDomain: body.is_domain,
    });
    void reply.code(201);
    return { project: projectView(project, v3) };
  });

  scope.get<{ Params: Params }>("/v3/projects/:id", async (request) => ({
    project: projectView(await identity.getProject(callerOf(request), request.params.id!), v3),
  }));

  scope.patch<{ Params: Params }>("/v3/projects/:id", async (request) => {
    const { project: body } = validateBody("projectUpdate", request.body);
    const project = await identity.updateProject(callerOf(request), request.params.id!, {
      name: body.name,
      description: body.description === null ? "" : body.description,
      enabled: body.enabled,
    });
    return { project: projectView(project, v3) };
  });

  scope.delete<{ Params: Params }>("/v3/projects/:id", async (request, reply) => {
    await identity.deleteProject(callerOf(request), request.params.id!);
    return reply.code(204).send();
  });
}
