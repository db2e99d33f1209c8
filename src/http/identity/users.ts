import type { FastifyInstance } from "fastify";
import { callerOf, type IdentityRoutes, type Params, queryFlag, queryParam, selfLink } from "./context.js";
import { validateBody } from "./schemas.js";
import { collectionLinks, projectView, userView } from "./views.js";

export async function userRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  scope.get("/v3/users", async (request) => {
    const users = await identity.listUsers(callerOf(request), {
      name: queryParam(request, "name"),
      domainId: queryParam(request, "domain_id"),
      enabled: queryFlag(request, "enabled"),
    });
    return { users: users.map((u) => userView(u, v3)), links: collectionLinks(selfLink(request, v3)) };
  });

  scope.post("/v3/users", async (request, reply) => {
    const { user: body } = validateBody("userCreate", request.body);
    const user = await identity.createUser(callerOf(request), {
      name: body.name,
      domainId: body.domain_id,
      password: body.password,
      email: body.email,
      description: body.description,
      defaultProjectId: body.default_project_id,
      enabled: body.enabled,
    });
    void reply.code(201);
    return { user: userView(user, v3) };
  });

  scope.get<{ Params: Params }>("/v3/users/:id", async (request) => ({
    user: userView(await identity.getUser(callerOf(request), request.params.id!), v3),
  }));

  scope.patch<{ Params: Params }>("/v3/users/:id", async (request) => {
    const { user: body } = validateBody("userUpdate", request.body);
    const user = await identity.updateUser(callerOf(request), request.params.id!, {
      name: body.name,
      password: body.password,
      email: body.email,
      description: body.description,
      defaultProjectId: body.default_project_id,
      enabled: body.enabled,
    });
    return { user: userView(user, v3) };
  });

  scope.delete<{ Params: Params }>("/v3/users/:id", async (request, reply) => {
    await identity.deleteUser(callerOf(request), request.params.id!);
    return reply.code(204).send();
  });

  scope.get<{ Params: Params }>("/v3/users/:id/projects", async (request) => {
    const projects = await identity.listUserProjects(callerOf(request), request.params.id!);
    return {
      projects: projects.map((p) => projectView(p, v3)),
      links: collectionLinks(selfLink(request, v3)),
    };
  });
}
