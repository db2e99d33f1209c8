/**
 * The fuzzer's HTTP: one request exactly as generated (raw path, every header, any body
 * bytes), over a keep-alive agent so that the load is requests rather than TCP handshakes.
 * `new URL()` is not used: it would normalise the dot segments and escapes the fuzzer
 * wants the server to see.
 */
import http from "node:http";

export interface WireRequest {
  readonly method: string;
  /** Sent as is: already percent-encoded where needed. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface WireResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly ms: number;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Sends one request; rejects when nothing answers within `timeoutMs` or the connection fails. */
export function send(baseUrl: string, request: WireRequest, timeoutMs: number): Promise<WireResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers["Content-Length"] = String(request.body.length);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port,
        method: request.method,
        path: request.path,
        headers,
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            text: Buffer.concat(chunks).toString("utf8"),
            ms: performance.now() - started,
          }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(request.body);
  });
}
