import type { FastifyInstance } from "fastify";
import { callerOf, type IdentityRoutes, type Params, queryFlag, queryParam, selfLink } from "./context.js";
import { collectionLinks, domainView } from "./views.js";

/** The default domain, which clients look up by id and by name. */
export async function domainRoutes(scope: FastifyInstance, { identity, v3 }: IdentityRoutes): Promise<void> {
  scope.get("/v3/domains", async (request) => {
    const domains = identity.listDomains(callerOf(request), {
      name: queryParam(request, "name"),
      enabled: queryFlag(request, "enabled"),
    });
    return { domains: domains.map((d) => domainView(d, v3)), links: collectionLinks(selfLink(request, v3)) };
  });

  scope.get<{ Params: Params }>("/v3/domains/:id", async (request) => ({
    domain: domainView(identity.getDomain(callerOf(request), request.params.id!), v3),
  }));
}
