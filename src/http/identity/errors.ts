import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { TooManyAuthFailures } from "../../services/identity/errors.js";
import { installApiErrorHandler, type RawFaultRenderer, toFault } from "../error-handler.js";
import { HttpFault } from "../faults.js";

/** Keystone's `title` per status (the HTTP reason phrases keystone/exception.py uses). */
const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

export interface KeystoneError {
  error: { code: number; title: string; message: string };
}

export function keystoneError(status: number, message: string): KeystoneError {
  return {
    error: {
      code: status,
      title: TITLES[status] ?? (status >= 500 ? "Internal Server Error" : "Error"),
      message,
    },
  };
}

/**
 * Renders errors the Keystone way inside the identity plugin's scope (fastify
 * encapsulation), so the rest of the app keeps Nova's faults. Statuses come from
 * the same mapping as the Nova edge; 401 carries Keystone's WWW-Authenticate. Too many
 * failed passwords from one address is a 429 with Retry-After (a limit of nimbus's own).
 */
export function installKeystoneErrors(scope: FastifyInstance, identityUrl: string): void {
  const raw: RawFaultRenderer = (fault) => ({
    contentType: "application/json",
    body: JSON.stringify(keystoneError(fault.status, fault.message)),
  });
  installApiErrorHandler(
    scope,
    (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const fault =
        error instanceof TooManyAuthFailures
          ? new HttpFault(429, error.message, { "Retry-After": String(error.retryAfterSeconds) })
          : toFault(error);
      let message = fault.message;
      if (fault.status >= 500) {
        request.log.error({ err: error }, "unexpected error");
        message = "An unexpected error prevented the server from fulfilling your request.";
      }
      if (fault.status === 401) reply.header("WWW-Authenticate", `Keystone uri="${identityUrl}"`);
      void reply
        .status(fault.status)
        .headers(fault.headers)
        .type("application/json")
        .send(keystoneError(fault.status, message));
    },
    raw,
  );
  scope.setNotFoundHandler((_request, reply) => {
    void reply
      .status(404)
      .type("application/json")
      .send(keystoneError(404, "The resource could not be found."));
  });
}
