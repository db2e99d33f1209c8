import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface HttpRequestOptions {
  headers?: Record<string, string>;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as given (set the Content-Type in `headers`). */
  body?: string;
  timeoutMs?: number;
}

export interface TlsSettings {
  /** false accepts any certificate (clouds.yaml `verify: false`). */
  rejectUnauthorized?: boolean;
  /** PEM text of extra CAs (clouds.yaml `cacert`). */
  ca?: string;
}

/** A transport failure (connection refused, reset, timeout), as opposed to an HTTP status. */
export class HttpTransportError extends Error {
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`${method} ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "HttpTransportError";
  }
}

/**
 * A keep-alive HTTP(S) client, as real OpenStack clients keep their sessions: the latency
 * figures then measure the API, not TCP handshakes.
 */
export class HttpClient {
  readonly #http: http.Agent;
  readonly #https: https.Agent;
  readonly #defaultTimeoutMs: number;

  constructor(tls: TlsSettings = {}, defaultTimeoutMs = 120_000) {
    this.#http = new http.Agent({ keepAlive: true, maxSockets: 256 });
    this.#https = new https.Agent({
      keepAlive: true,
      maxSockets: 256,
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
      ca: tls.ca,
    });
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  request(method: string, url: string, options: HttpRequestOptions = {}): Promise<HttpResponse> {
    const target = new URL(url);
    const secure = target.protocol === "https:";
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    let payload: Buffer | undefined;
    if (options.json !== undefined) {
      payload = Buffer.from(JSON.stringify(options.json));
      headers["Content-Type"] = "application/json";
    } else if (options.body !== undefined) payload = Buffer.from(options.body);
    if (payload) headers["Content-Length"] = String(payload.length);
    const timeoutMs = options.timeoutMs ?? this.#defaultTimeoutMs;
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        target,
        { method, headers, agent: secure ? this.#https : this.#http },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => reject(new HttpTransportError(method, url, error)));
          res.on("end", () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString("utf8"),
            }),
          );
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
      req.on("error", (error) => reject(new HttpTransportError(method, url, error)));
      req.end(payload);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
