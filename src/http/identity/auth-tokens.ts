import type { FastifyInstance } from "fastify";
import { TokenNotFound } from "../../services/identity/errors.js";
import { callerOf, type IdentityRoutes, queryFlag } from "./context.js";
import { parseAuthRequest } from "./schemas.js";
import { collectionLinks, type domainView, projectView, tokenView } from "./views.js";

/** `POST /v3/auth/tokens`: the one identity route that needs no token. */
export function issueTokenRoute(scope: FastifyInstance, { identity }: IdentityRoutes): void {
  scope.post("/v3/auth/tokens", async (request, reply) => {
    const issued = await identity.issueToken(parseAuthRequest(request.body), request.ip);
    const catalog = queryFlag(request, "nocatalog") ? null : identity.catalog();
    void reply.code(201).header("X-Subject-Token", issued.id);
    return tokenView(issued.token, catalog);
  });
}

/** Validate (GET/HEAD) and revoke (DELETE) X-Subject-Token; the caller's catalog, projects and domains. */
export async function authRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  const subjectToken = (headers: Record<string, string | string[] | undefined>): string => {
    const value = headers["x-subject-token"];
    if (typeof value !== "string" || value === "") throw new TokenNotFound("No token in the request");
    return value;
  };

  scope.get("/v3/auth/tokens", async (request, reply) => {
    const id = subjectToken(request.headers);
    const token = await identity.validateToken(callerOf(request), id);
    const catalog = queryFlag(request, "nocatalog") ? null : identity.catalog();
    void reply.header("X-Subject-Token", id);
    return tokenView(token, catalog);
  });

  scope.delete("/v3/auth/tokens", async (request, reply) => {
    const cascade = queryFlag(request, "cascade") ?? true;
    await identity.revokeToken(callerOf(request), subjectToken(request.headers), cascade);
    return reply.code(204).send();
  });

  scope.get("/v3/auth/catalog", async (request) => ({
    catalog: identity.catalogFor(callerOf(request)),
    links: collectionLinks(`${v3}/auth/catalog`),
  }));

  scope.get("/v3/auth/projects", async (request) => {
    const projects = await identity.projectsForCaller(callerOf(request));
    return {
      projects: projects.map((p) => projectView(p, v3)),
      links: collectionLinks(`${v3}/auth/projects`),
    };
  });

  // nimbus has no domain-scoped role assignments, so no domain is a possible scope.
  scope.get("/v3/auth/domains", async () => ({
    domains: [] as ReturnType<typeof domainView>[],
    links: collectionLinks(`${v3}/auth/domains`),
  }));
}
