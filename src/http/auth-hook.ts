import type { FastifyReply, FastifyRequest } from "fastify";
import type { AuthContext } from "../services/context.js";
import { HttpFault } from "./faults.js";

/** Resolves an X-Auth-Token to who is asking, or undefined when the token is unknown, expired or revoked. */
export type Authenticate = (token: string, requestId: string) => Promise<AuthContext | undefined>;

/**
 * The token check in front of a service (what keystonemiddleware does for nova and
 * glance): a missing, expired or revoked token is refused with 401 at once.
 */
export function authHook(authenticate: Authenticate) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = request.headers["x-auth-token"];
    if (typeof token !== "string" || token === "") {
      reply.header("WWW-Authenticate", 'Keystone uri="/identity"');
      throw new HttpFault(401, "The request you have made requires authentication.");
    }
    const auth = await authenticate(token, request.requestId);
    if (!auth) {
      reply.header("WWW-Authenticate", 'Keystone uri="/identity"');
      throw new HttpFault(401, "The request you have made requires authentication.");
    }
    request.auth = auth;
  };
}
