import { STATUS_CODES } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { installApiErrorHandler, toFault } from "../error-handler.js";
import { HttpFault } from "../faults.js";

/**
 * A microversion outside the range: placement's 406 names the range, which clients
 * (osc-placement) read to negotiate down.
 */
export class VersionNotAcceptable extends HttpFault {
  constructor(
    wanted: string,
    readonly range: { min_version: string; max_version: string },
  ) {
    super(406, `Unacceptable version header: ${wanted}`);
  }
}

/** Placement's error body: a list of errors, each with its status, title, detail and request id. */
function placementBody(status: number, detail: string, requestId: string, extra: object = {}): string {
  const title = STATUS_CODES[status] ?? "Error";
  return JSON.stringify({
    errors: [{ status, title, detail, request_id: requestId, code: "placement.undefined_code", ...extra }],
  });
}

/** Renders every error in the placement scope as placement does (a 401 is keystonemiddleware's). */
export function installPlacementErrors(scope: FastifyInstance, identityUrl: string): void {
  installApiErrorHandler(
    scope,
    (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      const fault = toFault(error);
      if (fault.status >= 500) request.log.error({ err: error }, "unexpected error");
      if (fault.status === 401) reply.header("WWW-Authenticate", `Keystone uri="${identityUrl}"`);
      const detail =
        fault.status >= 500
          ? "The server has either erred or is incapable of performing the requested operation."
          : fault.message;
      void reply
        .headers(fault.headers)
        .status(fault.status)
        .type("application/json")
        .send(
          placementBody(
            fault.status,
            detail,
            request.requestId,
            error instanceof VersionNotAcceptable ? error.range : {},
          ),
        );
    },
    (fault) => ({ contentType: "application/json", body: placementBody(fault.status, fault.message, "") }),
  );
  scope.setNotFoundHandler((request, reply) => {
    void reply
      .status(404)
      .type("application/json")
      .send(placementBody(404, "The resource could not be found.", request.requestId));
  });
}
