/**
 * What the HTTP edge refuses or renders alike for every API, on both engines (this file
 * runs again on PostgreSQL from test/postgres/edge.test.ts): NUL characters anywhere in a
 * request, JSON nested too deep, and internal errors, each in the API's own fault format
 * with the request id.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type ComputeHarness, computeHarness } from "../../test/compute-harness.js";
import { ServerLifecycle } from "../services/compute/servers/lifecycle.js";
import { IdentityService } from "../services/identity/identity-service.js";
import { ImageService } from "../services/image/image-service.js";
import { MAX_JSON_DEPTH } from "./json-body.js";

const REQUEST_ID = /^req-[0-9a-f-]{36}$/;

let h: ComputeHarness;
const logged: string[] = [];
beforeAll(async () => {
  h = await computeHarness({ logStream: { write: (line: string) => void logged.push(line) } });
});
afterAll(async () => h.close());

type Api = "compute" | "identity" | "image";

/** One request as the demo member to an API's path (identity and image paths are absolute). */
async function call(api: Api, method: "GET" | "POST" | "PATCH", url: string, payload?: string) {
  const contentType =
    method === "PATCH" ? "application/openstack-images-v2.1-json-patch" : "application/json";
  const response = await h.app.inject({
    method,
    url: api === "compute" ? `/compute/v2.1${url}` : url,
    headers: {
      "x-auth-token": h.tokens.demo,
      accept: "application/json",
      ...(payload === undefined ? {} : { "content-type": contentType }),
    },
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: response.statusCode, json: response.json(), headers: response.headers };
}

/** The message of an API's fault body, after checking the body has that API's shape. */
function faultMessage(api: Api, status: number, json: Record<string, unknown>): string {
  if (api === "compute") {
    const [name] = Object.keys(json);
    const fault = json[name!] as { code: number; message: string };
    expect(fault.code).toBe(status);
    return fault.message;
  }
  if (api === "identity") {
    const error = json.error as { code: number; title: string; message: string };
    expect(error.code).toBe(status);
    expect(typeof error.title).toBe("string");
    return error.message;
  }
  expect(json.code).toMatch(new RegExp(`^${status} `));
  return json.message as string;
}

const PATHS: Record<Api, { get: string; post: string; patch?: string }> = {
  compute: { get: "/servers", post: "/os-keypairs" },
  identity: { get: "/identity/v3/projects", post: "/identity/v3/auth/tokens" },
  image: { get: "/image/v2/images", post: "/image/v2/images", patch: "/image/v2/images/{id}" },
};

describe.each(["compute", "identity", "image"] as const)("the %s API", (api) => {
  it("refuses a NUL character in the path or the query with a 400 in its own fault format", async () => {
    for (const url of [
      `${PATHS[api].get}/a%00b`,
      `${PATHS[api].get}?name=%00`,
      `${PATHS[api].get}?marker=x%00`,
    ]) {
      const r = await call(api, "GET", url);
      expect(r.status, url).toBe(400);
      expect(faultMessage(api, 400, r.json)).toMatch(/NUL character/);
      expect(r.headers["x-openstack-request-id"]).toMatch(REQUEST_ID);
    }
  });

  it("answers a URL the router cannot match in its own fault format: a bad escape 400, an overlong id 404", async () => {
    for (const [suffix, status] of [
      ["/%zz", 400],
      ["/a%", 400],
      ["/%FF%FE", 400],
      [`/${"x".repeat(600)}`, 404],
    ] as const) {
      const url = `${PATHS[api].get}${suffix}`;
      const r = await call(api, "GET", url);
      expect(r.status, url).toBe(status);
      // compute's router answers a path it cannot route with webob's 404 body, as nova's does
      const routerless = api === "compute" && status === 404;
      expect(routerless ? r.json.code : faultMessage(api, status, r.json)).toBeTruthy();
      if (routerless) expect(r.json).toMatchObject({ code: "404 Not Found", title: "Not Found" });
      expect(r.headers["x-openstack-request-id"]).toMatch(REQUEST_ID);
    }
  });

  it("refuses a NUL character anywhere in a JSON body, in values and in keys", async () => {
    for (const payload of ['{"name": "a\\u0000b"}', '{"a\\u0000": 1}', '{"x": {"y": ["\\u0000"]}}']) {
      const r = await call(api, "POST", PATHS[api].post, payload);
      expect(r.status, payload).toBe(400);
      expect(faultMessage(api, 400, r.json)).toMatch(/NUL character/);
    }
    // an escaped backslash followed by the letters u0000 is no NUL: the body reaches the API
    const r = await call(api, "POST", PATHS[api].post, '{"name": "a\\\\u0000"}');
    expect(r.status).not.toBe(500);
    if (r.status === 400) expect(faultMessage(api, 400, r.json)).not.toMatch(/NUL character/);
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} levels, however deep`, async () => {
    for (const depth of [MAX_JSON_DEPTH + 1, 8_000, 200_000]) {
      const payload = `{"name": ${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
      const r = await call(api, "POST", PATHS[api].post, payload);
      expect(r.status, String(depth)).toBe(400);
      expect(faultMessage(api, 400, r.json)).toMatch(/nested more than/);
    }
  });
});

describe("internal errors", () => {
  it("carry each API's fault body and the request id, and are logged with their stack", async () => {
    const boom = () => Promise.reject(new Error("injected failure"));
    const spies = [
      vi.spyOn(ServerLifecycle.prototype, "list").mockImplementation(boom),
      vi.spyOn(IdentityService.prototype, "listProjects").mockImplementation(boom),
      vi.spyOn(ImageService.prototype, "list").mockImplementation(boom),
    ];
    try {
      for (const api of ["compute", "identity", "image"] as const) {
        logged.length = 0;
        const r = await call(api, "GET", PATHS[api].get);
        expect(r.status, api).toBe(500);
        const message = faultMessage(api, 500, r.json);
        expect(message).not.toMatch(/injected failure/);
        const requestId = r.headers["x-openstack-request-id"] as string;
        expect(requestId).toMatch(REQUEST_ID);
        const line = logged.find((l) => l.includes("injected failure"));
        expect(line, `${api}: ${logged.join("")}`).toBeDefined();
        const entry = JSON.parse(line!);
        expect(entry.reqId).toBe(requestId);
        expect(entry.err.stack).toMatch(/injected failure\n\s+at /);
      }
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});

describe("a PATCH of an image", () => {
  it("refuses a path nested deep in the body with 400, never a stack overflow", async () => {
    const created = await call("image", "POST", "/image/v2/images", '{"name": "patch-target"}');
    expect(created.status).toBe(201);
    const url = PATHS.image.patch!.replace("{id}", created.json.id);
    const deep = `[{"op": "replace", "path": ${"[".repeat(4000)}${"]".repeat(4000)}, "value": "x"}]`;
    const r = await call("image", "PATCH", url, deep);
    expect(r.status).toBe(400);
    const shallow = await call("image", "PATCH", url, '[{"op": "replace", "path": "/name", "value": "y"}]');
    expect(shallow.status).toBe(200);
  });
});

describe("a request Node's parser refuses", () => {
  it("is answered in the fault format of the API its request line names", async () => {
    const address = await h.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = new URL(address);
    try {
      for (const [api, path] of [
        ["compute", "/compute/v2.1/servers"],
        ["identity", "/identity/v3/projects"],
        ["image", "/image/v2/images"],
      ] as const) {
        // a URL past Node's header size limit (16 KiB)
        const raw = await rawExchange(
          port,
          `GET ${path}?name=${"x".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        );
        const [head = "", body = ""] = raw.split("\r\n\r\n");
        expect(head, api).toMatch(/^HTTP\/1\.1 431 /);
        expect(head).toMatch(/x-openstack-request-id: req-/);
        expect(faultMessage(api, 431, JSON.parse(body))).toMatch(/larger than this server accepts/);
      }
    } finally {
      await h.app.server.close();
    }
  });
});

/** Writes raw bytes to the server and reads all it answers until it closes the connection. */
function rawExchange(port: string, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), "127.0.0.1", () => socket.end(request));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}
