import type { FastifyInstance } from "fastify";
import { ValidationError } from "../../services/identity/errors.js";
import { callerOf, type IdentityRoutes, type Params, queryFlag, queryParam, selfLink } from "./context.js";
import { validateBody } from "./schemas.js";
import { assignmentView, collectionLinks, roleView } from "./views.js";

/** Roles, grants of a role to a user on a project, and the role assignment list. */
export async function roleRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  scope.get("/v3/roles", async (request) => {
    const caller = callerOf(request);
    // nimbus has global roles only: a filter on a domain's roles finds none.
    const domainId = queryParam(request, "domain_id");
    const roles = domainId ? [] : await identity.listRoles(caller, { name: queryParam(request, "name") });
    return { roles: roles.map((r) => roleView(r, v3)), links: collectionLinks(selfLink(request, v3)) };
  });

  scope.post("/v3/roles", async (request, reply) => {
    const { role: body } = validateBody("roleCreate", request.body);
    if (body.domain_id) throw new ValidationError("nimbus does not support domain-specific roles.");
    const role = await identity.createRole(callerOf(request), { name: body.name });
    void reply.code(201);
    return { role: roleView(role, v3) };
  });

  scope.get<{ Params: Params }>("/v3/roles/:id", async (request) => ({
    role: roleView(await identity.getRole(callerOf(request), request.params.id!), v3),
  }));

  scope.delete<{ Params: Params }>("/v3/roles/:id", async (request, reply) => {
    await identity.deleteRole(callerOf(request), request.params.id!);
    return reply.code(204).send();
  });

  const grant = "/v3/projects/:projectId/users/:userId/roles/:roleId";
  type GrantParams = { Params: { projectId: string; userId: string; roleId: string } };

  scope.put<GrantParams>(grant, async (request, reply) => {
    const { projectId, userId, roleId } = request.params;
    await identity.grantRole(callerOf(request), projectId, userId, roleId);
    return reply.code(204).send();
  });

  scope.get<GrantParams>(grant, async (request, reply) => {
    const { projectId, userId, roleId } = request.params;
    await identity.checkGrant(callerOf(request), projectId, userId, roleId);
    return reply.code(204).send();
  });

  scope.delete<GrantParams>(grant, async (request, reply) => {
    const { projectId, userId, roleId } = request.params;
    await identity.revokeRole(callerOf(request), projectId, userId, roleId);
    return reply.code(204).send();
  });

  scope.get<{ Params: { projectId: string; userId: string } }>(
    "/v3/projects/:projectId/users/:userId/roles",
    async (request) => {
      const { projectId, userId } = request.params;
      const roles = await identity.listGrants(callerOf(request), projectId, userId);
      return { roles: roles.map((r) => roleView(r, v3)), links: collectionLinks(selfLink(request, v3)) };
    },
  );

  scope.get("/v3/role_assignments", async (request) => {
    const caller = callerOf(request);
    const q = (name: string) => queryParam(request, name);
    if (q("scope.domain.id") && q("scope.project.id"))
      throw new ValidationError("Specify a domain or project, not both");
    if (q("scope.system") && q("scope.project.id"))
      throw new ValidationError("Specify system or project, not both");
    if (q("user.id") && q("group.id")) throw new ValidationError("Specify a user or group, not both");
    const effective = queryFlag(request, "effective") === true;
    if (effective && q("group.id")) {
      throw new ValidationError("Combining effective and group filter will always result in an empty list.");
    }
    // nimbus grants roles to users on projects only: no groups, domain, system or inherited assignments.
    const none =
      q("group.id") || q("scope.domain.id") || q("scope.system") || q("scope.OS-INHERIT:inherited_to");
    const assignments = none
      ? []
      : await identity.listRoleAssignments(caller, {
          userId: q("user.id"),
          projectId: q("scope.project.id"),
          roleId: q("role.id"),
          effective,
        });
    const includeNames = queryFlag(request, "include_names") === true;
    return {
      role_assignments: assignments.map((a) => assignmentView(a, v3, includeNames)),
      links: collectionLinks(selfLink(request, v3)),
    };
  });
}
