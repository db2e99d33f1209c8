/**
 * Nova's fault envelope: every error a client can cause leaves the API as
 * `{"<faultName>": {"code": <status>, "message": "..."}}`. The name follows the
 * status exactly as nova's wsgi.Fault does.
 */
const FAULT_NAMES: Record<number, string> = {
  400: "badRequest",
  401: "unauthorized",
  403: "forbidden",
  404: "itemNotFound",
  405: "badMethod",
  409: "conflictingRequest",
  413: "overLimit",
  415: "badMediaType",
  429: "overLimit",
  501: "notImplemented",
  503: "serviceUnavailable",
};

export function faultName(status: number): string {
  return FAULT_NAMES[status] ?? "computeFault";
}

/** An error that the HTTP edge renders as a Nova fault with this status and message. */
export class HttpFault extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpFault";
  }

  body(): Record<string, { code: number; message: string; retryAfter?: string }> {
    const inner: { code: number; message: string; retryAfter?: string } = {
      code: this.status,
      message: this.message,
    };
    const retryAfter = this.headers["Retry-After"];
    if (retryAfter !== undefined && (this.status === 413 || this.status === 429))
      inner.retryAfter = retryAfter;
    return { [faultName(this.status)]: inner };
  }
}

export const badRequest = (message: string) => new HttpFault(400, message);
export const forbidden = (message: string) => new HttpFault(403, message);
export const notFound = (message = "The resource could not be found.") => new HttpFault(404, message);
export const conflict = (message: string) => new HttpFault(409, message);
