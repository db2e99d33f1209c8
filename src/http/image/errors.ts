import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ImageGone } from "../../services/image/errors.js";
import { installApiErrorHandler, toFault } from "../error-handler.js";

/** HTTP reason phrases, as webob's exception classes carry them. */
const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Request Entity Too Large",
  415: "Unsupported Media Type",
  416: "Requested Range Not Satisfiable",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

const INTERNAL_ERROR = "The server has either erred or is incapable of performing the requested operation.";

type ErrorMediaType = "text/html" | "application/json" | "text/plain";

/**
 * The representation webob picks for an error: the better of text/html and application/json
 * by the request's Accept header (q-values, then that order), text/plain when neither is
 * acceptable or there is no Accept header.
 */
export function errorMediaType(accept: string | undefined): ErrorMediaType {
  if (!accept?.trim()) return "text/plain";
  const ranges = accept.split(",").map((part) => {
    const [range = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return { range, q: q === undefined ? 1 : Number(q.slice(2)) || 0 };
  });
  let best: { type: ErrorMediaType; q: number } | undefined;
  for (const offer of ["text/html", "application/json"] as const) {
    const [type] = offer.split("/");
    let match: { specificity: number; q: number } | undefined;
    for (const { range, q } of ranges) {
      const specificity = range === offer ? 3 : range === `${type}/*` ? 2 : range === "*/*" ? 1 : 0;
      if (specificity > 0 && (!match || specificity > match.specificity)) match = { specificity, q };
    }
    if (match && match.q > 0 && (!best || match.q > best.q)) best = { type: offer, q: match.q };
  }
  return best?.type ?? "text/plain";
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#x27;");
}

/** webob's strip_tags: newlines to spaces, <br> to newlines, other tags dropped. */
function stripTags(text: string): string {
  return text
    .replace(/\n/g, " ")
    .replace(/\r/g, "")
    .replace(/<br.*?>/gis, "\n")
    .replace(/<!--|-->/g, "")
    .replace(/<.*?>/gs, "");
}

/**
 * A Glance error body as webob renders an HTTPException whose explanation is `message`:
 * JSON `{"message", "code": "404 Not Found", "title"}`, an HTML page or plain text.
 */
export function glanceErrorBody(
  status: number,
  message: string,
  mediaType: ErrorMediaType,
): { contentType: string; body: string } {
  const title = TITLES[status] ?? (status >= 500 ? "Internal Server Error" : "Error");
  const statusLine = `${status} ${title}`;
  const body = (quote: (s: string) => string) => `${quote(message)}<br /><br />\n\n\n`;
  switch (mediaType) {
    case "application/json":
      return {
        contentType: "application/json",
        body: JSON.stringify({ message: body((s) => s), code: statusLine, title }),
      };
    case "text/html":
      return {
        contentType: "text/html; charset=UTF-8",
        body: `<html>\n <head>\n  <title>${statusLine}</title>\n </head>\n <body>\n  <h1>${statusLine}</h1>\n  ${body(escapeHtml)}\n </body>\n</html>`,
      };
    case "text/plain":
      return {
        contentType: "text/plain; charset=UTF-8",
        body: `${statusLine}\n\n${stripTags(body((s) => s))}`,
      };
  }
}

/**
 * Renders errors the Glance way inside the image plugin's scope. Statuses come from the
 * same mapping as the rest of nimbus (plus 410 for an image deleted during its upload);
 * a 401 is keystonemiddleware's, which answers before Glance sees the request.
 */
export function installGlanceErrors(scope: FastifyInstance, identityUrl: string): void {
  installApiErrorHandler(
    scope,
    (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
      let status: number;
      let message: string;
      let headers: Record<string, string> = {};
      if (error instanceof ImageGone) {
        status = 410;
        message = error.message;
      } else if ((error as NodeJS.ErrnoException).code === "ECONNRESET") {
        // the client went away mid-body (an abandoned upload): nobody is left to answer
        request.log.info({ err: error }, "client closed the connection");
        status = 400;
        message = "The client closed the connection before sending the whole body.";
      } else {
        const fault = toFault(error);
        status = fault.status;
        message = fault.message;
        headers = fault.headers;
      }
      if (status >= 500) {
        request.log.error({ err: error }, "unexpected error");
        message = INTERNAL_ERROR;
      }
      if (status === 401) {
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
      const { contentType, body } = glanceErrorBody(status, message, errorMediaType(request.headers.accept));
      void reply.status(status).headers(headers).type(contentType).send(body);
    },
    (fault) => glanceErrorBody(fault.status, fault.message, "application/json"),
  );
  scope.setNotFoundHandler((request, reply) => {
    const { contentType, body } = glanceErrorBody(
      404,
      "The resource could not be found.",
      errorMediaType(request.headers.accept),
    );
    void reply.status(404).type(contentType).send(body);
  });
}
