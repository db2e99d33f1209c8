import type { FastifyInstance } from "fastify";
import type { Config } from "../../config.js";
import type { IdentityService } from "../../services/identity/identity-service.js";
import { describeRoutes } from "../openapi/fastify-routes.js";
import { authRoutes, issueTokenRoute } from "./auth-tokens.js";
import { type IdentityRoutes, requireToken } from "./context.js";
import { domainRoutes } from "./domains.js";
import { installKeystoneErrors } from "./errors.js";
import { projectRoutes } from "./projects.js";
import { roleRoutes } from "./roles.js";
import { catalogRoutes } from "./services.js";
import { userRoutes } from "./users.js";
import { v3Document, versionsDocument } from "./versions.js";

export interface IdentityDeps {
  identity: IdentityService;
  config: Config;
}

/**
 * Mounts the Keystone v3 subset under `/identity`: version discovery, tokens, the
 * catalog, domains, projects, users, roles and role assignments. Errors inside this
 * scope use Keystone's body (`{"error": {"code", "title", "message"}}`).
 */
export async function registerIdentity(app: FastifyInstance, deps: IdentityDeps): Promise<void> {
  const identityUrl = `${deps.config.publicUrl.replace(/\/+$/, "")}/identity`;
  const routes: IdentityRoutes = { identity: deps.identity, identityUrl, v3: `${identityUrl}/v3` };

  await app.register(
    async (scope) => {
      describeRoutes(scope, { title: "OpenStack Identity API", version: v3Document("").version.id.slice(1) });
      installKeystoneErrors(scope, identityUrl);
      // Keystone sends x-openstack-request-id only; the compute header is Nova's.
      scope.addHook("onRequest", async (_request, reply) => {
        reply.removeHeader("x-compute-request-id");
      });

      scope.get("/", async (_request, reply) => {
        void reply.code(300);
        return versionsDocument(identityUrl);
      });
      scope.get("/v3", async () => v3Document(identityUrl));
      scope.get("/v3/", async () => v3Document(identityUrl));
      issueTokenRoute(scope, routes);

      await scope.register(async (authed) => {
        requireToken(authed, deps.identity);
        await authRoutes(authed, routes);
        await domainRoutes(authed, routes);
        await projectRoutes(authed, routes);
        await userRoutes(authed, routes);
        await roleRoutes(authed, routes);
        await catalogRoutes(authed, routes);
      });
    },
    { prefix: "/identity" },
  );
}
