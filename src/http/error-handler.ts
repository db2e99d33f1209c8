import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCategory, ServiceError } from "../services/errors.js";
import { RegexpFilterRefused } from "../store/regexp.js";
import { HttpFault } from "./faults.js";

/** An API's error handler, as its scope installs it. */
export type ApiErrorHandler = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;

/** An API's fault as bare bytes, for a request too broken to become a fastify request. */
export type RawFaultRenderer = (fault: HttpFault) => { contentType: string; body: string };

/** How an API renders the errors raised before routing picked its scope. */
export interface ApiErrors {
  prefix: string;
  handler: ApiErrorHandler;
  raw: RawFaultRenderer;
}

declare module "fastify" {
  interface FastifyInstance {
    /** Each API's error rendering by URL prefix (see apiErrorsFor). */
    apiErrorHandlers: ApiErrors[];
  }
}

const STATUS_OF: Record<ErrorCategory, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  over_limit: 413,
};

/**
 * Turns anything thrown by a handler into a Nova fault. Service errors map by category;
 * fastify's own client errors (bad JSON, huge body, bad media type) keep their 4xx;
 * everything else is a bug and becomes 500 "Unexpected API Error".
 */
export function toFault(error: unknown): HttpFault {
  if (error instanceof HttpFault) return error;
  if (error instanceof ServiceError) return new HttpFault(STATUS_OF[error.category], error.message);
  if (error instanceof RegexpFilterRefused) return new HttpFault(400, error.message);
  const fe = error as FastifyError;
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new HttpFault(400, "Malformed request body");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new HttpFault(413, "Request is too large.");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new HttpFault(415, "Unsupported Content-Type");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new HttpFault(400, "Request body size did not match Content-Length");
  }
  if (error instanceof SyntaxError) return new HttpFault(400, "Malformed request body");
  if (typeof fe.statusCode === "number" && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new HttpFault(fe.statusCode, fe.message);
  }
  return new HttpFault(
    500,
    "Unexpected API Error. Please report this at http://bugs.launchpad.net/nova/ and attach the Nova API log if possible.",
  );
}

/** A Nova fault as bytes: the default for every URL no other API claims. */
const novaRawFault: RawFaultRenderer = (fault) => ({
  contentType: "application/json; charset=UTF-8",
  body: JSON.stringify(fault.body()),
});

/** Renders any error as a Nova fault: the default for every URL no other API claims. */
export function novaErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const fault = toFault(error);
  if (fault.status >= 500) request.log.error({ err: error }, "unexpected error");
  void reply
    .status(fault.status)
    .headers(fault.headers)
    .type("application/json; charset=UTF-8")
    .send(fault.body());
}

export function installErrorHandler(app: FastifyInstance): void {
  app.decorate("apiErrorHandlers", []);
  app.setErrorHandler(novaErrorHandler);
}

/**
 * Sets the error handler of an API's scope, and names it for the URLs under the scope's
 * prefix that fail before routing (see onUnroutableUrl in app.ts).
 */
export function installApiErrorHandler(
  scope: FastifyInstance,
  handler: ApiErrorHandler,
  raw: RawFaultRenderer,
): void {
  scope.setErrorHandler(handler);
  scope.apiErrorHandlers.push({ prefix: scope.prefix, handler, raw });
}

/** The error rendering of the API a path belongs to (its longest prefix), Nova's by default. */
export function apiErrorsFor(app: FastifyInstance, path: string): Omit<ApiErrors, "prefix"> {
  const owner = app.apiErrorHandlers
    .filter(({ prefix }) => prefix !== "" && (path === prefix || path.startsWith(`${prefix}/`)))
    .sort((a, b) => b.prefix.length - a.prefix.length)[0];
  return owner ?? { handler: novaErrorHandler, raw: novaRawFault };
}
