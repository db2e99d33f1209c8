/**
 * nimbus's OpenAPI documents against the shared OpenStack descriptions, whose operations
 * `scripts/extract-openapi-operations.mjs` lists in `upstream-operations.json`:
 * (a) every upstream operation the running app routes is in nimbus's document, and
 * (b) nimbus's document has no operation upstream lacks, but the extras named below.
 * Path parameters are compared by position, not by name: nimbus keeps its own names.
 */
import fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness } from "../../../test/compute-harness.js";
import { computeRoutes } from "../compute/index.js";
import { computeDocument } from "./compute.js";
import type { OpenApiDocument } from "./document.js";

type Api = "compute" | "identity" | "image" | "network";

const UPSTREAM = JSON.parse(
  fs.readFileSync(new URL("./upstream-operations.json", import.meta.url), "utf8"),
) as Record<Api, { file: string; operations: string[] }>;

const PREFIXES: Record<Api, string> = {
  compute: "/compute",
  identity: "/identity",
  image: "/image",
  network: "/network",
};

const THIS_DOCUMENT = "nimbus's own: this document";

/** Operations nimbus serves that the shared descriptions leave out, each with why. */
const EXTRAS: Record<Api, Record<string, string>> = {
  compute: {
    "GET /": "nova's versions list at the API's root; the shared file has only /v2.1/",
    "GET /openapi.json": THIS_DOCUMENT,
  },
  identity: {
    "GET /openapi.json": THIS_DOCUMENT,
    "HEAD /openapi.json": THIS_DOCUMENT,
    "GET /v3/": "keystone's /v3 version document with a trailing slash, which clients follow",
    "HEAD /v3/": "keystone's /v3 version document with a trailing slash, which clients follow",
  },
  image: {
    "GET /": "glance's versions list (300) at the API's root",
    "GET /versions": "glance's versions list (200)",
    "GET /openapi.json": THIS_DOCUMENT,
  },
  network: {
    "GET /": "neutron's versions list at the API's root",
    "GET /v2.0": "neutron's v2.0 resource list",
    "GET /v2.0/": "neutron's v2.0 resource list with a trailing slash",
    "GET /v2.0/quotas/project": "neutron's quotas collection action naming the caller's project",
    "GET /v2.0/quotas/tenant": "the same action under its deprecated name",
    "GET /openapi.json": THIS_DOCUMENT,
  },
};

/**
 * Fastify answers HEAD for every GET route. Keystone documents those HEADs; glance's and
 * neutron's descriptions leave them out, so there a HEAD beside a documented GET is no extra.
 */
const HEAD_BESIDE_GET: ReadonlySet<Api> = new Set(["image", "network"]);

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

const byPosition = (path: string) => path.replace(/\{[^}]+\}/g, "{}");

function operationsOf(document: OpenApiDocument): Set<string> {
  return new Set(
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((method) => method in item).map(
        (method) => `${method.toUpperCase()} ${byPosition(path)}`,
      ),
    ),
  );
}

/** Does the running app route this operation of the API? Asked of fastify's router. */
function routes(app: FastifyInstance, api: Api, operation: string): boolean {
  const [method, path] = operation.split(" ") as [string, string];
  const url = `${PREFIXES[api]}${path.replace(/\{[^}]+\}/g, ":p")}`;
  return app.hasRoute({ method: method as "GET", url });
}

/** (a): upstream operations the app routes that its document lacks. */
function missing(app: FastifyInstance, api: Api, document: OpenApiDocument): string[] {
  const documented = operationsOf(document);
  return UPSTREAM[api].operations
    .filter((operation) => routes(app, api, operation))
    .filter((operation) => !documented.has(byPosition(operation)));
}

/** (b): documented operations upstream lacks that are not named extras. */
function extra(api: Api, document: OpenApiDocument): string[] {
  const upstream = new Set(UPSTREAM[api].operations.map(byPosition));
  const documented = operationsOf(document);
  return [...documented].filter((operation) => {
    if (upstream.has(operation) || Object.hasOwn(EXTRAS[api], operation)) return false;
    const [method, path] = operation.split(" ");
    return !(method === "HEAD" && HEAD_BESIDE_GET.has(api) && documented.has(`GET ${path}`));
  });
}

let h: ComputeHarness;
const documents = {} as Record<Api, OpenApiDocument>;
beforeAll(async () => {
  h = await computeHarness();
  for (const api of Object.keys(PREFIXES) as Api[]) {
    // no token: the documents are public, as the version documents are
    const response = await h.app.inject({ method: "GET", url: `${PREFIXES[api]}/openapi.json` });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    documents[api] = response.json();
  }
});
afterAll(async () => h.close());

describe.each(Object.keys(PREFIXES) as Api[])("%s openapi.json", (api) => {
  it("is an OpenAPI 3.1 document with a title and a version", () => {
    const document = documents[api];
    expect(document.openapi).toBe("3.1.0");
    expect(document.info.title).toMatch(/^OpenStack /);
    expect(document.info.version).toMatch(/^\d+\.\d+$/);
  });

  it("declares every path parameter its paths name", () => {
    for (const [path, item] of Object.entries(documents[api].paths)) {
      const named = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name).sort();
      for (const operation of Object.values(item)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === "path").map((p) => p.name);
        expect(declared.sort(), path).toEqual(named);
      }
    }
  });

  it("(a) lists every upstream operation the app routes", () => {
    expect(missing(h.app, api, documents[api])).toEqual([]);
  });

  it("(b) lists nothing upstream lacks but the named extras", () => {
    expect(extra(api, documents[api])).toEqual([]);
    const documented = operationsOf(documents[api]);
    // an extra that is no longer served must leave the list
    expect(Object.keys(EXTRAS[api]).filter((operation) => !documented.has(operation))).toEqual([]);
  });
});

describe("the comparison", () => {
  it("(a) names a route the document leaves out", () => {
    // the route factories only keep their services for later: nothing is called here
    const table = computeRoutes(new Proxy({}, { get: () => ({}) }) as never);
    const document = computeDocument(
      table.filter((r) => !(r.method === "GET" && r.path === "/servers/{id}")),
    );
    expect(missing(h.app, "compute", document)).toEqual(["GET /v2.1/servers/{id}"]);
  });

  it("(b) names an operation upstream lacks", () => {
    const document = structuredClone(documents.network);
    document.paths["/v2.0/nimbus-things"] = { get: {} };
    expect(extra("network", document)).toEqual(["GET /v2.0/nimbus-things"]);
  });
});

describe("the compute document", () => {
  const compute = () => documents.compute;

  it("is versioned by the maximum microversion", () => {
    expect(compute().info.version).toBe("2.104");
    expect(compute().info["x-openstack"]).toEqual({ "min-ver": "2.1", "max-ver": "2.104" });
  });

  it("lists the server actions on one path, each with its range, its body one of theirs", () => {
    const action = compute().paths["/v2.1/servers/{id}/action"]!.post!;
    const actions = (action["x-openstack"] as { actions: { name: string; deprecated?: true }[] }).actions;
    expect(actions.map((a) => a.name)).toEqual(expect.arrayContaining(["reboot", "os-start", "resize"]));
    expect(actions.find((a) => a.name === "trigger_crash_dump")).toMatchObject({ "min-ver": "2.17" });
    const body = action.requestBody!.content["application/json"].schema as { oneOf: unknown[] };
    expect(body.oneOf).toHaveLength(actions.filter((a) => !a.deprecated).length);
  });

  it("marks removed routes deprecated, answering 410", () => {
    const removed = compute().paths["/v2.1/os-cells"]?.get;
    expect(removed).toMatchObject({ deprecated: true, responses: { 410: { description: "Gone" } } });
  });

  it("refers to every component it holds, and to no other", () => {
    const referred = new Set(
      [...JSON.stringify(compute().paths).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map(
        ([, name]) => name,
      ),
    );
    expect([...referred].sort()).toEqual(Object.keys(compute().components!.schemas).sort());
  });

  it("takes bodies, queries and answers from nova's schemas, each range once in components", () => {
    const create = compute().paths["/v2.1/servers"]!.post!;
    const bodies = (create.requestBody!.content["application/json"].schema as { anyOf: { $ref: string }[] })
      .anyOf;
    const schemas = compute().components!.schemas;
    expect(bodies.length).toBeGreaterThan(1);
    for (const { $ref } of bodies) expect(schemas[$ref.replace("#/components/schemas/", "")]).toBeDefined();
    const list = compute().paths["/v2.1/servers"]!.get!;
    expect(list.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(["limit", "marker", "name"]));
    expect(list.responses!["200"]!.content).toBeDefined();
    expect(compute().paths["/v2.1/servers/{id}"]!.delete!.responses).toEqual({
      204: { description: "No Content" },
    });
  });
});
