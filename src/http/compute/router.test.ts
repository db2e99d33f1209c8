/**
 * The compute edge through inject(): mounting under /compute, version documents and
 * 300 choices, microversion negotiation and its response headers, request ids, the
 * optional {project_id} segment, legacy /v2, the router's own 404s and action dispatch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, IMAGE_ID, TINY } from "../../../test/compute-harness.js";

const BASE = "http://localhost:80/compute";
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const V20 = {
  id: "v2.0",
  status: "DEPRECATED",
  version: "",
  min_version: "",
  updated: "2025-07-04T12:00:00Z",
};
const V21 = {
  id: "v2.1",
  status: "CURRENT",
  version: "2.104",
  min_version: "2.1",
  updated: "2013-07-23T11:33:21Z",
};
const describedBy = { href: "http://docs.openstack.org/", rel: "describedby", type: "text/html" };

const v21Document = {
  version: {
    ...V21,
    links: [{ href: `${BASE}/v2.1/`, rel: "self" }, describedBy],
    "media-types": [{ base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" }],
  },
};

let h: ComputeHarness;
let server: string;
beforeAll(async () => {
  h = await computeHarness();
  server = await h.activeServer({ name: "router-vm" });
});
afterAll(async () => h.close());

function expectVersionHeaders(headers: Record<string, unknown>, version: string) {
  expect(headers["openstack-api-version"]).toBe(`compute ${version}`);
  expect(headers["x-openstack-nova-api-version"]).toBe(version);
  const vary = String(headers.vary)
    .split(",")
    .map((v) => v.trim().toLowerCase());
  expect(vary).toEqual(expect.arrayContaining(["openstack-api-version", "x-openstack-nova-api-version"]));
}

function expectNoVersionHeaders(headers: Record<string, unknown>) {
  expect(headers["openstack-api-version"]).toBeUndefined();
  expect(headers["x-openstack-nova-api-version"]).toBeUndefined();
  const vary = String(headers.vary ?? "").toLowerCase();
  expect(vary).not.toContain("openstack-api-version");
}

function expectRequestIds(headers: Record<string, unknown>) {
  expect(headers["x-compute-request-id"]).toMatch(REQUEST_ID);
  expect(headers["x-openstack-request-id"]).toBe(headers["x-compute-request-id"]);
}

describe("version documents", () => {
  it("GET /compute/ lists both versions, unversioned and without a token", async () => {
    const r = await h.call({ url: "/compute/", as: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      versions: [
        { ...V20, links: [{ href: `${BASE}/v2/`, rel: "self" }] },
        { ...V21, links: [{ href: `${BASE}/v2.1/`, rel: "self" }] },
      ],
    });
    expectNoVersionHeaders(r.headers);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
  });

  it.each(["/compute/v2.1", "/compute/v2.1/"])(
    "GET %s is the v2.1 document, no token needed",
    async (url) => {
      const r = await h.call({ url, as: null });
      expect(r.status).toBe(200);
      expect(r.json).toEqual(v21Document);
      expectRequestIds(r.headers);
    },
  );

  it.each(["/compute/v2", "/compute/v2/"])("GET %s is the v2.0 document", async (url) => {
    const r = await h.call({ url, as: null });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      version: {
        ...V20,
        links: [{ href: `${BASE}/v2/`, rel: "self" }, describedBy],
        "media-types": [
          { base: "application/json", type: "application/vnd.openstack.compute+json;version=2" },
        ],
      },
    });
    expectNoVersionHeaders(r.headers);
  });

  it.each([
    ["/compute/servers", "/servers"],
    ["/compute/v2.0/servers/detail", "/v2.0/servers/detail"],
    ["/compute/foo", "/foo"],
  ])("GET %s is 300 Multiple Choices naming the path under each version", async (url, path) => {
    const r = await h.call({ url, as: null });
    expect(r.status).toBe(300);
    expect(r.json).toEqual({
      choices: [
        {
          id: "v2.0",
          status: "DEPRECATED",
          links: [{ href: `${BASE}/v2${path}`, rel: "self" }],
          "media-types": [
            { base: "application/json", type: "application/vnd.openstack.compute+json;version=2" },
          ],
        },
        {
          id: "v2.1",
          status: "CURRENT",
          links: [{ href: `${BASE}/v2.1${path}`, rel: "self" }],
          "media-types": [
            { base: "application/json", type: "application/vnd.openstack.compute+json;version=2.1" },
          ],
        },
      ],
    });
    expectRequestIds(r.headers);
  });

  it("GET /v2.1/{project_id}/ is the v2.1 document (authenticated), microversioned", async () => {
    const r = await h.call({ url: `/compute/v2.1/${h.projects.demo}/`, version: "2.50" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(v21Document);
    expectVersionHeaders(r.headers, "2.50");
  });

  it("GET /v2.1/{project_id} redirects (302) to the slash form", async () => {
    const r = await h.call({ url: `/compute/v2.1/${h.projects.demo}` });
    expect(r.status).toBe(302);
    expect(String(r.headers.location)).toMatch(new RegExp(`/compute/v2\\.1/${h.projects.demo}/$`));
  });

  it("GET /v2.1/versions/{id} shows a version; an unknown id is 404", async () => {
    const r = await h.call({ url: "/versions/v2.1" });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(v21Document);
    const v2 = await h.call({ url: "/versions/v2.0" });
    expect(v2.status).toBe(200);
    expect(v2.json.version.id).toBe("v2.0");
    const unknown = await h.call({ url: "/versions/v3.0" });
    expect(unknown.status).toBe(404);
    expect(unknown.json.itemNotFound.code).toBe(404);
  });
});

describe("microversion negotiation", () => {
  const show = (headers: Record<string, string>) =>
    h.call({ url: `/servers/${server}`, headers: { ...headers } });

  it("uses 2.1 without a header", async () => {
    const r = await show({});
    expect(r.status).toBe(200);
    expectVersionHeaders(r.headers, "2.1");
    // 2.9's `locked` is not there yet
    expect(r.json.server).not.toHaveProperty("locked");
  });

  it("reads the legacy X-OpenStack-Nova-API-Version header", async () => {
    const r = await show({ "x-openstack-nova-api-version": "2.9" });
    expect(r.status).toBe(200);
    expectVersionHeaders(r.headers, "2.9");
    expect(r.json.server.locked).toBe(false);
  });

  it("reads the standard OpenStack-API-Version header at any version (not only from 2.27)", async () => {
    const r = await show({ "openstack-api-version": "compute 2.9" });
    expectVersionHeaders(r.headers, "2.9");
    expect(r.json.server.locked).toBe(false);
  });

  it("prefers the standard header when both are sent", async () => {
    const r = await show({ "openstack-api-version": "compute 2.19", "x-openstack-nova-api-version": "2.9" });
    expectVersionHeaders(r.headers, "2.19");
    expect(r.json.server).toHaveProperty("description");
  });

  it("takes the last compute entry of a multi-service header, the service name case-insensitively", async () => {
    const r = await show({ "openstack-api-version": "identity 3.7, COMPUTE 2.3, image 2.5, Compute 2.16" });
    expectVersionHeaders(r.headers, "2.16");
  });

  it("falls back to the legacy header when the standard one names no compute version", async () => {
    const r = await show({ "openstack-api-version": "identity 3.7", "x-openstack-nova-api-version": "2.26" });
    expectVersionHeaders(r.headers, "2.26");
  });

  it.each([
    ["openstack-api-version", "compute latest"],
    ["x-openstack-nova-api-version", "latest"],
  ])("%s %s is the maximum, 2.104", async (name, value) => {
    const r = await show({ [name]: value });
    expect(r.status).toBe(200);
    expectVersionHeaders(r.headers, "2.104");
    expect(r.json.server).toHaveProperty("scheduler_hints");
  });

  it.each(["2.01", "abc", "2", "2.1.1", "02.1"])(
    "answers 400 for the malformed version %s",
    async (value) => {
      const r = await show({ "openstack-api-version": `compute ${value}` });
      expect(r.status).toBe(400);
      expect(r.json).toEqual({
        badRequest: {
          code: 400,
          message: `API Version String ${value} is of invalid format. Must be of format MajorNum.MinorNum.`,
        },
      });
      expectRequestIds(r.headers);
    },
  );

  it.each([
    ["2.105", "2.105"],
    ["3.0", "3.0"],
    ["2.0", "2.0"],
    ["1.1", "1.1"],
  ])("answers 406 for %s, outside [2.1, 2.104]", async (value, shown) => {
    const r = await show({ "x-openstack-nova-api-version": value });
    expect(r.status).toBe(406);
    expect(r.json).toEqual({
      computeFault: {
        code: 406,
        message: `Version ${shown} is not supported by the API. Minimum is 2.1 and maximum is 2.104.`,
      },
    });
    expect(r.headers["content-type"]).toBe("application/json; charset=UTF-8");
  });

  it("sends the version headers on faults too", async () => {
    const missing = await h.call({ url: "/servers/00000000-0000-4000-8000-000000000000", version: "2.30" });
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.message).toBe(
      "Instance 00000000-0000-4000-8000-000000000000 could not be found.",
    );
    expectVersionHeaders(missing.headers, "2.30");
    expectRequestIds(missing.headers);

    const invalid = await h.call({ url: "/servers?limit=-1", version: "2.40" });
    expect(invalid.status).toBe(400);
    expectVersionHeaders(invalid.headers, "2.40");
  });

  it("answers 404 in the nova envelope for a route outside its microversion range", async () => {
    const r = await h.call({ url: `/servers/${server}/tags`, version: "2.25" });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ itemNotFound: { code: 404, message: "The resource could not be found." } });
    expectVersionHeaders(r.headers, "2.25");
    expect((await h.call({ url: `/servers/${server}/tags`, version: "2.26" })).status).toBe(200);
  });
});

describe("request ids", () => {
  it("sends the same req-<uuid4> in both headers, a fresh one per request", async () => {
    const a = await h.call({ url: "/servers" });
    const b = await h.call({ url: "/servers" });
    expectRequestIds(a.headers);
    expectRequestIds(b.headers);
    expect(a.headers["x-compute-request-id"]).not.toBe(b.headers["x-compute-request-id"]);
  });

  it("sends them on faults, 401s, router 404s, version documents and choices", async () => {
    for (const r of [
      await h.call({ url: "/servers/nope" }),
      await h.call({ url: "/servers", as: null }),
      await h.call({ url: "/compute/v2.1/servers/x/y/z" }),
      await h.call({ url: "/compute/v2.1/", as: null }),
      await h.call({ url: "/compute/servers", as: null }),
      await h.call({ method: "POST", url: `/servers/${server}/action`, body: { nothing: null } }),
    ]) {
      expectRequestIds(r.headers);
    }
  });

  it("never echoes a global request id the client sends", async () => {
    const global = "req-11111111-2222-4333-8444-555555555555";
    const r = await h.call({ url: "/servers", headers: { "x-openstack-request-id": global } });
    expect(r.status).toBe(200);
    expectRequestIds(r.headers);
    expect(r.headers["x-openstack-request-id"]).not.toBe(global);
    expect(r.headers["x-compute-request-id"]).not.toBe(global);
  });
});

describe("authentication", () => {
  it("answers 401 without a token or with an unknown one", async () => {
    const none = await h.call({ url: "/servers", as: null });
    expect(none.status).toBe(401);
    const bad = await h.call({ url: "/servers", as: null, headers: { "x-auth-token": "not-a-token" } });
    expect(bad.status).toBe(401);
  });
});

describe("the {project_id} segment", () => {
  it("is the same API with the caller's project id, and links then carry it", async () => {
    const pid = h.projects.demo;
    const r = await h.call({ url: `/compute/v2.1/${pid}/servers/${server}`, version: "2.47" });
    expect(r.status).toBe(200);
    expectVersionHeaders(r.headers, "2.47");
    expect(r.json.server.id).toBe(server);
    expect(r.json.server.links).toEqual([
      { href: `${BASE}/v2.1/${pid}/servers/${server}`, rel: "self" },
      { href: `${BASE}/${pid}/servers/${server}`, rel: "bookmark" },
    ]);
    expect(r.json.server.image.links).toEqual([
      { href: `${BASE}/${pid}/images/${IMAGE_ID}`, rel: "bookmark" },
    ]);

    const plain = await h.call({ url: `/servers/${server}`, version: "2.47" });
    expect(plain.json.server.links).toEqual([
      { href: `${BASE}/v2.1/servers/${server}`, rel: "self" },
      { href: `${BASE}/servers/${server}`, rel: "bookmark" },
    ]);
    const { links: _a, image: _b, ...withProject } = r.json.server;
    const { links: _c, image: _d, ...without } = plain.json.server;
    expect(withProject).toEqual(without);
  });

  it("puts the project id in the next link of a paged list", async () => {
    const pid = h.projects.demo;
    await h.createServer({ name: "router-page" });
    const r = await h.call({ url: `/compute/v2.1/${pid}/servers?limit=1` });
    expect(r.status).toBe(200);
    expect(r.json.servers).toHaveLength(1);
    expect(r.json.servers_links).toEqual([
      { rel: "next", href: `${BASE}/v2.1/${pid}/servers?limit=1&marker=${r.json.servers[0].id}` },
    ]);
    await h.drain();
  });

  it("with another project's id answers 400 Malformed request URL", async () => {
    const r = await h.call({ url: `/compute/v2.1/${h.projects.other}/servers` });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({
      badRequest: {
        code: 400,
        message: `Malformed request URL: URL's project_id '${h.projects.other}' doesn't match Context's project_id '${h.projects.demo}'`,
      },
    });
  });

  it("creates a server with the segment: Location and links carry it", async () => {
    const pid = h.projects.demo;
    const r = await h.call({
      method: "POST",
      url: `/compute/v2.1/${pid}/servers`,
      body: { server: { name: "router-pid", imageRef: IMAGE_ID, flavorRef: TINY } },
    });
    expect(r.status).toBe(202);
    expect(r.headers.location).toBe(`${BASE}/v2.1/${pid}/servers/${r.json.server.id}`);
    await h.drain();
  });
});

describe("the legacy /v2 endpoint", () => {
  it("ignores microversion headers, answers as 2.0 and sends no version headers", async () => {
    const r = await h.call({
      url: `/compute/v2/servers/${server}`,
      headers: { "openstack-api-version": "compute 2.50", "x-openstack-nova-api-version": "2.50" },
    });
    expect(r.status).toBe(200);
    expectNoVersionHeaders(r.headers);
    expectRequestIds(r.headers);
    expect(r.json.server).not.toHaveProperty("locked");
    expect(r.json.server).not.toHaveProperty("tags");
    expect(r.json.server.flavor).toHaveProperty("id");
    expect(r.json.server.links[0]).toEqual({ href: `${BASE}/v2/servers/${server}`, rel: "self" });
  });

  it("ignores an out-of-range version header instead of answering 406", async () => {
    const r = await h.call({
      url: "/compute/v2/servers",
      headers: { "x-openstack-nova-api-version": "9.9" },
    });
    expect(r.status).toBe(200);
    expectNoVersionHeaders(r.headers);
  });

  it("sends no version headers on faults either", async () => {
    const r = await h.call({ url: "/compute/v2/servers/00000000-0000-4000-8000-000000000000" });
    expect(r.status).toBe(404);
    expect(r.json.itemNotFound.code).toBe(404);
    expectNoVersionHeaders(r.headers);
  });

  it("drops unknown body keys silently where /v2.1 answers 400", async () => {
    const body = {
      server: { name: "legacy-extra", imageRef: IMAGE_ID, flavorRef: TINY, not_a_nova_key: "x" },
    };
    const strict = await h.call({ method: "POST", url: "/servers", body });
    expect(strict.status).toBe(400);
    expect(strict.json.badRequest.message).toContain("not_a_nova_key");

    const legacy = await h.call({ method: "POST", url: "/compute/v2/servers", body });
    expect(legacy.status).toBe(202);
    expectNoVersionHeaders(legacy.headers);
    expect(legacy.headers.location).toBe(`${BASE}/v2/servers/${legacy.json.server.id}`);
    await h.drain();
    const created = await h.show(legacy.json.server.id);
    expect(created.name).toBe("legacy-extra");
    expect(created.status).toBe("ACTIVE");
  });

  it("accepts the {project_id} segment under /v2 too", async () => {
    const pid = h.projects.demo;
    const r = await h.call({ url: `/compute/v2/${pid}/servers/${server}` });
    expect(r.status).toBe(200);
    expect(r.json.server.links[0].href).toBe(`${BASE}/v2/${pid}/servers/${server}`);
  });
});

describe("paths the router does not know", () => {
  const webob404 = { code: "404 Not Found", title: "Not Found", message: expect.any(String) };

  it.each([
    "/compute/v2.1/os-no-such-thing",
    "/compute/v2.1/servers/x/y/z",
    "/compute/v2.1/flavors/1/no-such-thing/x",
    "/compute/v2/os-no-such-thing",
    // an empty segment names nothing: nova's routes do not match it
    "/compute/v2.1/os-simple-tenant-usage/",
    "/compute/v2.1/flavors/",
    "/compute/v2.1/servers//metadata",
  ])("GET %s answers the router's own 404, outside the fault envelope", async (url) => {
    const r = await h.call({ url });
    expect(r.status).toBe(404);
    expect(r.json).toEqual(webob404);
  });

  it("answers an unrouted method on a known path with 404, never 405", async () => {
    for (const method of ["PATCH", "PUT"] as const) {
      const r = await h.call({ method, url: "/servers", body: {} });
      expect(r.status).toBe(404);
      expect(r.json).toEqual(webob404);
    }
    const del = await h.call({ method: "DELETE", url: "/servers/detail" });
    expect(del.status).toBe(404);
  });
});

describe("bodies", () => {
  it("answers 415 badMediaType for a non-JSON content type", async () => {
    const r = await h.call({
      method: "POST",
      url: `/servers/${server}/action`,
      body: "<reboot/>",
      headers: { "content-type": "application/xml" },
    });
    expect(r.status).toBe(415);
    expect(r.json.badMediaType.code).toBe(415);
  });

  it("reads application/vnd.openstack.compute+json and text/plain as JSON", async () => {
    for (const type of ["application/vnd.openstack.compute+json", "text/plain"]) {
      const r = await h.call({
        method: "POST",
        url: `/servers/${server}/action`,
        body: { "os-getConsoleOutput": {} },
        headers: { "content-type": type },
      });
      expect(r.status).toBe(200);
      expect(typeof r.json.output).toBe("string");
    }
  });

  it("answers 400 Malformed request body for unparseable JSON", async () => {
    const r = await h.call({ method: "POST", url: "/servers", body: "{not json" });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ badRequest: { code: 400, message: "Malformed request body" } });
  });

  it("answers 400 for an empty create body (validated as null)", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: "",
      headers: { "content-type": "application/json" },
    });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.code).toBe(400);
  });
});

describe("action dispatch", () => {
  const act = (body: unknown, version?: string) =>
    h.call({ method: "POST", url: `/servers/${server}/action`, body, version });

  it("answers 400 for an unknown action", async () => {
    const r = await act({ fly: null });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ badRequest: { code: 400, message: "There is no such action: fly" } });
  });

  it("answers 400 for a body with two action keys", async () => {
    const r = await act({ pause: null, unpause: null });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toMatch(/too many body keys/);
  });

  it.each([[[]], ["reboot"], [null], [{}]])("answers 400 for the body %j", async (body) => {
    const r = await act(body);
    expect(r.status).toBe(400);
    expect(r.json.badRequest.code).toBe(400);
  });

  it("validates the action's argument against nova's schema", async () => {
    const r = await act({ reboot: { type: "GENTLE" } });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toMatch(/^Invalid input for field\/attribute type\. Value: GENTLE\./);
    const missing = await act({ reboot: {} });
    expect(missing.status).toBe(400);
  });

  it("answers 410 computeFault for the removed resetNetwork, at every version", async () => {
    for (const version of [undefined, "2.1", "latest"]) {
      const r = await act({ resetNetwork: null }, version);
      expect(r.status).toBe(410);
      expect(r.json.computeFault.code).toBe(410);
    }
    // the legacy endpoint has no microversions, but a removed action is gone there too
    const legacy = await h.call({
      method: "POST",
      url: `/compute/v2/servers/${server}/action`,
      body: { resetNetwork: null },
    });
    expect(legacy.status).toBe(410);
    expect(legacy.json).toEqual({
      computeFault: { code: 410, message: "This resource is no longer available in the Nova API." },
    });
  });

  it("routes trigger_crash_dump only from 2.17 (404 before)", async () => {
    const before = await act({ trigger_crash_dump: null }, "2.16");
    expect(before.status).toBe(404);
    expect(before.json.itemNotFound.code).toBe(404);
    const from = await act({ trigger_crash_dump: null }, "2.17");
    expect(from.status).toBe(202);
  });

  it("answers 404 for an action on a server that does not exist", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers/00000000-0000-4000-8000-000000000000/action",
      body: { pause: null },
    });
    expect(r.status).toBe(404);
    expect(r.json.itemNotFound.code).toBe(404);
  });
});

describe("APIs nova removed", () => {
  it("answer 410 computeFault at every version and on the legacy endpoint, before any validation", async () => {
    const gone = [
      { method: "GET", url: "/os-cloudpipe" },
      { method: "POST", url: "/os-networks", body: { network: { label: 7 } } },
      { method: "GET", url: "/os-fixed-ips/10.0.0.2" },
      { method: "POST", url: "/os-fixed-ips/10.0.0.2/action", body: { reserve: null } },
      { method: "POST", url: "/os-networks/x/action", body: { disassociate: null } },
      { method: "DELETE", url: "/os-floating-ip-dns/example.org/entries/www" },
      { method: "GET", url: `/servers/${server}/consoles` },
      { method: "GET", url: "/os-agents" },
    ] as const;
    for (const request of gone) {
      for (const version of [undefined, "2.1", "latest"]) {
        const r = await h.call({ ...request, version });
        expect(r.status, `${request.method} ${request.url} at ${version}`).toBe(410);
        expect(r.json.computeFault.code).toBe(410);
      }
      const legacy = await h.call({ ...request, url: `/compute/v2${request.url}` });
      expect(legacy.status, `${request.method} /v2${request.url}`).toBe(410);
    }
  });
});
