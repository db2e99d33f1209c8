import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuthContext } from "../../services/context.js";
import { AuthenticationFailed } from "../../services/identity/errors.js";
import type { IdentityService } from "../../services/identity/identity-service.js";

/** What every identity route module is given. */
export interface IdentityRoutes {
  identity: IdentityService;
  /** `<publicUrl>/identity`. */
  identityUrl: string;
  /** `<publicUrl>/identity/v3`: the base of every link. */
  v3: string;
}

/**
 * Requires a valid X-Auth-Token on every route of `scope` (Keystone answers 401 at
 * once for a missing, unknown, expired or revoked token) and sets `request.auth`.
 */
export function requireToken(scope: FastifyInstance, identity: IdentityService): void {
  scope.addHook("onRequest", async (request) => {
    const token = request.headers["x-auth-token"];
    const auth =
      typeof token === "string" && token !== ""
        ? await identity.authenticate(token, request.requestId)
        : undefined;
    if (!auth) throw new AuthenticationFailed();
    request.auth = auth;
  });
}

/** The caller of a route behind requireToken. */
export function callerOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AuthenticationFailed();
  return request.auth;
}

/** A query parameter's first value. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Keystone's truthiness of a query flag: present and not "0"/"false" (so `?nocatalog` counts). */
export function queryFlag(request: FastifyRequest, name: string): boolean | undefined {
  const value = queryParam(request, name);
  if (value === undefined) return undefined;
  return !["0", "false"].includes(value.toLowerCase());
}

/** The collection's self link: the request's path under the public URL, with its query. */
export function selfLink(request: FastifyRequest, v3: string): string {
  const url = request.url;
  const at = url.indexOf("/v3");
  return at < 0 ? v3 : `${v3}${url.slice(at + 3)}`;
}

export type Params = Record<string, string>;
