import { STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import type { DestinationStream } from "pino";
import type { Config } from "../config.js";
import type { AuthContext } from "../services/context.js";
import { apiErrorsFor, installErrorHandler } from "./error-handler.js";
import { HttpFault } from "./faults.js";
import { parseJsonBody, urlHasNul } from "./json-body.js";
import { readBodyText } from "./request-body.js";
import { newRequestId } from "./request-id.js";

declare module "fastify" {
  interface FastifyRequest {
    /** `req-<uuid>`, echoed in x-openstack-request-id and x-compute-request-id. */
    requestId: string;
    /** Set by the token check of the service that needs one. */
    auth: AuthContext | null;
  }
}

/** Where a log line could carry a credential. */
const REDACTED_LOG_PATHS = [
  'req.headers["x-auth-token"]',
  'req.headers["x-subject-token"]',
  "req.headers.authorization",
  'res.headers["x-subject-token"]',
];

/** Media types nova (and our identity and image APIs) read as JSON. A missing type or text/plain counts as JSON too. */
const JSON_TYPES = ["application/json", "application/vnd.openstack.compute+json", "text/plain"];

/**
 * The bare HTTP server: request ids, JSON parsing with Nova's faults, the error
 * handler; logs go to stdout unless a test hands it a stream. Each OpenStack service registers itself on it under its own prefix.
 */
export function createHttpServer(config: Config, logStream?: DestinationStream): FastifyInstance {
  const app: FastifyInstance = Fastify({
    logger: {
      level: config.logLevel,
      // fastify logs no headers by default; should a serializer ever add them, tokens stay out
      redact: { paths: REDACTED_LOG_PATHS, censor: "[redacted]" },
      ...(logStream ? { stream: logStream } : {}),
    },
    bodyLimit: config.bodyLimitBytes,
    // a log line per request only when debugging: at scale they would drown everything else
    logController: new LogController({
      disableRequestLogging: !["debug", "trace"].includes(config.logLevel),
    }),
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 500 },
    genReqId: () => newRequestId(),
    frameworkErrors: (error, request, reply) => onUnroutableUrl(app, error, request, reply),
    clientErrorHandler: (error, socket) => onClientError(app, error, socket),
  });
  app.decorateRequest("requestId", "");
  app.decorateRequest("auth", null);

  app.addHook("onRequest", async (request, reply) => {
    request.requestId = request.id;
    reply.header("x-openstack-request-id", request.requestId);
    reply.header("x-compute-request-id", request.requestId);
    // PostgreSQL cannot hold NUL in text, SQLite can: refused here, alike for every API and engine
    if (urlHasNul(request.url)) {
      throw new HttpFault(400, "The request URL contains a NUL character (%00), which is not allowed.");
    }
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, async (request: FastifyRequest, payload: AsyncIterable<Buffer>) => {
    const text = await readBodyText(
      request,
      payload,
      config.bodyLimitBytes,
      () => new HttpFault(413, "Request is too large."),
    );
    if (text.trim() === "") return null;
    return parseJsonBody(text, "Malformed request body");
  });
  // A body with another media type is refused unless a service registers a parser for it.
  app.addContentTypeParser("*", (_request, _payload, done) => {
    done(new HttpFault(415, "Unsupported Content-Type"), undefined);
  });

  installErrorHandler(app);
  return app;
}

/**
 * A URL the router cannot even match (a malformed percent escape, a path segment longer
 * than any id) fails before any API's scope sees it; it is answered by the error handler
 * of the API whose prefix it starts with (longest prefix first), so the fault has that
 * API's format. A segment too long to be an id names nothing: 404, as the upstream
 * services answer an unknown id.
 */
function onUnroutableUrl(
  app: FastifyInstance,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  request.requestId = request.id;
  reply.header("x-openstack-request-id", request.requestId);
  reply.header("x-compute-request-id", request.requestId);
  const fault =
    error.code === "FST_ERR_MAX_PARAM_LENGTH"
      ? new HttpFault(404, "The resource could not be found.")
      : new HttpFault(400, "The request URL is not valid: it has a malformed percent-encoded character.");
  apiErrorsFor(app, request.url.split("?")[0] ?? "").handler(fault, request, reply);
}

/**
 * A request Node's parser refuses (headers or URL over the size limit, bad framing) never
 * reaches fastify; it is answered on the socket in the fault format of the API its request
 * line names, when the bytes received show one.
 */
function onClientError(
  app: FastifyInstance,
  error: Error & { code?: string; rawPacket?: unknown },
  socket: Duplex,
): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, message] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [431, "The request's headers (or its URL) are larger than this server accepts."]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [408, "The request was not received in time."]
        : [400, "The request is not valid HTTP."];
  // the bytes Node's parser had received (typed loosely by fastify, a Buffer at run time)
  const received = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
  const requestLine = received.subarray(0, 2048).toString("latin1").split("\r\n")[0] ?? "";
  const path = requestLine.split(" ")[1]?.split("?")[0] ?? "";
  const { contentType, body } = apiErrorsFor(app, path).raw(new HttpFault(status, message));
  const id = newRequestId();
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: ${contentType}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-openstack-request-id: ${id}\r\n` +
        `x-compute-request-id: ${id}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
