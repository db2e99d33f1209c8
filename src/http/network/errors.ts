import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ServiceError } from "../../services/errors.js";
import { RevisionNumberConstraintFailed } from "../../services/network/errors.js";
import { installApiErrorHandler, toFault } from "../error-handler.js";

/** The webob exception Neutron raises for a status when no Neutron exception names the error. */
const HTTP_TYPES: Record<number, string> = {
  400: "HTTPBadRequest",
  403: "HTTPForbidden",
  404: "HTTPNotFound",
  405: "HTTPMethodNotAllowed",
  409: "HTTPConflict",
  412: "HTTPPreconditionFailed",
  413: "HTTPRequestEntityTooLarge",
  415: "HTTPUnsupportedMediaType",
  500: "HTTPInternalServerError",
};

function neutronBody(type: string, message: string): string {
  return JSON.stringify({ NeutronError: { type, message, detail: "" } });
}

function neutronError(reply: FastifyReply, status: number, type: string, message: string): void {
  void reply.status(status).type("application/json").send(neutronBody(type, message));
}

/**
 * Renders errors the Neutron way in the network scope: `{"NeutronError": {type, message,
 * detail}}`, the type being the service error's class name (NetworkNotFound, ...) as Neutron
 * names its exceptions, or the webob name of one Neutron raises as a plain HTTP error
 * (its `neutronType`). A 401 is keystonemiddleware's, which answers before Neutron does.
 */
export function installNeutronErrors(scope: FastifyInstance, identityUrl: string): void {
  installApiErrorHandler(
    scope,
    (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      if (error instanceof RevisionNumberConstraintFailed) {
        neutronError(reply, 412, error.name, error.message);
        return;
      }
      const fault = toFault(error);
      if (fault.status >= 500) {
        request.log.error({ err: error }, "unexpected error");
        neutronError(
          reply,
          500,
          HTTP_TYPES[500]!,
          "Request Failed: internal server error while processing your request.",
        );
        return;
      }
      if (fault.status === 401) {
        void reply
          .status(401)
          .header("WWW-Authenticate", `Keystone uri="${identityUrl}"`)
          .type("application/json")
          .send({
            error: {
              code: 401,
              title: "Unauthorized",
              message: "The request you have made requires authentication.",
            },
          });
        return;
      }
      const type =
        error instanceof ServiceError
          ? ((error as { neutronType?: string }).neutronType ?? error.name)
          : (HTTP_TYPES[fault.status] ?? "HTTPError");
      void reply.headers(fault.headers);
      neutronError(reply, fault.status, type, fault.message);
    },
    (fault) => ({
      contentType: "application/json",
      body: neutronBody(HTTP_TYPES[fault.status] ?? "HTTPError", fault.message),
    }),
  );
  scope.setNotFoundHandler((_request, reply) => {
    neutronError(reply, 404, "HTTPNotFound", "The resource could not be found.");
  });
}
