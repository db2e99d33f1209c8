import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ResponseValidation } from "../../config.js";
import type { AuthContext } from "../../services/context.js";
import { type Authenticate, authHook } from "../auth-hook.js";
import { HttpFault, notFound } from "../faults.js";
import { computeDocument } from "../openapi/compute.js";
import { serveOpenApi } from "../openapi/document.js";
import { Links } from "./links.js";
import { type ApiVersion, LEGACY_V2, negotiate } from "./microversion.js";
import { responseProblem } from "./response-validation.js";
import { type EndpointRef, validateBody, validateQuery } from "./validation.js";
import { choicesDocument, versionDocument } from "./versions.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";
type Status = number | ((version: ApiVersion) => number);

/** What a compute handler is given: the negotiated version, the caller, validated input and link helpers. */
export interface ComputeCall {
  readonly version: ApiVersion;
  readonly auth: AuthContext;
  readonly params: Record<string, string>;
  /** Validated query: each parameter's values in order (parameters may repeat). */
  readonly query: Record<string, string[]>;
  /** Validated body (for an action, the value under the action's key). */
  // biome-ignore lint/suspicious/noExplicitAny: shape is guaranteed by nova's JSON schema for the endpoint and version
  readonly body: any;
  readonly links: Links;
  /** Overrides the route's success status for this response. */
  setStatus(status: number): void;
  setHeader(name: string, value: string): void;
}

export type Handler = (call: ComputeCall) => Promise<unknown> | unknown;

/**
 * One compute endpoint as ENDPOINTS.md lists it: nova's path template, the
 * microversion range it is routed in (outside it: 404), its success status.
 * Request validation comes from nova's schema for (method, path, action, version).
 */
export interface RouteDef {
  method: Method;
  path: string;
  min?: string;
  max?: string;
  /** Removed from nova: always 410. */
  removed?: boolean;
  status: Status;
  handler: Handler;
}

/** One key of an action endpoint (`POST /servers/{id}/action {"reboot": ...}`). */
export interface ActionDef {
  name: string;
  min?: string;
  max?: string;
  removed?: boolean;
  status: Status;
  handler: Handler;
}

export interface ActionRouteDef {
  method: "POST";
  path: string;
  actions: ActionDef[];
}

const PROJECT_ID = /^[0-9a-f-]+$/;

/** nova's router answers paths it has no route for itself, outside the fault envelope (webob's JSON body). */
const ROUTER_NOT_FOUND = {
  code: "404 Not Found",
  title: "Not Found",
  message: "The resource could not be found.",
};

interface Mount {
  prefix: string;
  legacy: boolean;
}

/** nova's `/v2.1` (microversioned) and `/v2` (2.0 compatibility; `/v1.1` is the same app). */
const MOUNTS: Mount[] = [
  { prefix: "/v2.1", legacy: false },
  { prefix: "/v2", legacy: true },
  { prefix: "/v1.1", legacy: true },
];

function baseUrl(request: FastifyRequest): string {
  return `${request.protocol}://${request.headers.host ?? request.hostname}`;
}

function queryArrays(raw: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries((raw ?? {}) as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? value.map(String) : [String(value)];
  }
  return out;
}

const fastifyPath = (path: string) => path.replace(/\{(\w+)\}/g, ":$1");

interface CallState {
  version: ApiVersion;
  mount: Mount;
}

declare module "fastify" {
  interface FastifyRequest {
    compute: CallState | null;
  }
}

/**
 * Mounts the compute API under `/compute`: version documents, 300 choices, and every
 * route on `/v2.1`, `/v2` and `/v1.1`, each with and without the `{project_id}` segment.
 */
export async function mountCompute(
  app: FastifyInstance,
  authenticate: Authenticate,
  routes: Array<RouteDef | ActionRouteDef>,
  responseValidation: ResponseValidation = "ignore",
): Promise<void> {
  app.decorateRequest("compute", null);
  await app.register(
    async (compute) => {
      compute.get("/", async (request) => ({ versions: versionsList(request) }));
      serveOpenApi(compute, () => computeDocument(routes));
      compute.all("/*", async (request, reply) => {
        const path = request.url.replace(/^\/compute/, "").split("?")[0] ?? "/";
        if (MOUNTS.some((m) => path.startsWith(`${m.prefix}/`))) {
          return reply.status(404).send(ROUTER_NOT_FOUND);
        }
        return reply.status(300).send(choicesDocument(`${baseUrl(request)}/compute`, path));
      });
      for (const mount of MOUNTS) {
        await compute.register(
          async (scope) => mountVersion(scope, mount, authenticate, routes, responseValidation),
          {
            prefix: mount.prefix,
          },
        );
      }
    },
    { prefix: "/compute" },
  );

  function versionsList(request: FastifyRequest) {
    const base = `${baseUrl(request)}/compute`;
    return [versionDocument("v2.0", base).version, versionDocument("v2.1", base).version].map(
      ({ "media-types": _m, links, ...rest }) => ({ ...rest, links: links.slice(0, 1) }),
    );
  }
}

async function mountVersion(
  scope: FastifyInstance,
  mount: Mount,
  authenticate: Authenticate,
  routes: Array<RouteDef | ActionRouteDef>,
  responseValidation: ResponseValidation,
): Promise<void> {
  const id = mount.legacy ? "v2.0" : "v2.1";
  const versionDoc = async (request: FastifyRequest) => versionDocument(id, `${baseUrl(request)}/compute`);
  // with a prefix, "/" answers both /v2.1 and /v2.1/
  scope.get("/", versionDoc);

  await scope.register(async (api) => {
    api.addHook("onRequest", authHook(authenticate));
    api.addHook("onRequest", async (request, reply) => {
      let version = LEGACY_V2;
      if (!mount.legacy) {
        const negotiation = negotiate(request.headers);
        if (!negotiation.ok) throw new HttpFault(negotiation.status, negotiation.message);
        version = negotiation.version;
      }
      request.compute = { version, mount };
      if (!mount.legacy) {
        const v = version.toString();
        reply.header("OpenStack-API-Version", `compute ${v}`);
        reply.header("X-OpenStack-Nova-API-Version", v);
        reply.header("Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
      }
      const projectId = (request.params as Record<string, string | undefined>).project_id;
      if (projectId !== undefined) {
        // not a project id: some unknown one-segment path that matched the {project_id} route
        if (!PROJECT_ID.test(projectId)) return reply.status(404).send(ROUTER_NOT_FOUND);
        if (projectId !== request.auth?.projectId) {
          throw new HttpFault(
            400,
            `Malformed request URL: URL's project_id '${projectId}' doesn't match Context's project_id '${request.auth?.projectId}'`,
          );
        }
      }
    });

    for (const withProject of [false, true]) {
      const prefix = withProject ? "/:project_id" : "";
      if (withProject) {
        api.get(prefix, async (request, reply) => reply.redirect(`${request.url.split("?")[0]}/`, 302));
        api.get(`${prefix}/`, async (request) => versionDocument(id, `${baseUrl(request)}/compute`));
      }
      api.get(`${prefix}/versions/:version_id`, async (request) => {
        const wanted = (request.params as { version_id: string }).version_id;
        if (wanted !== "v2.0" && wanted !== "v2.1") throw notFound();
        return versionDocument(wanted, `${baseUrl(request)}/compute`);
      });
      for (const route of routes) {
        api.route({
          method: route.method,
          url: `${prefix}${fastifyPath(route.path)}`,
          handler:
            "actions" in route
              ? actionHandler(route, responseValidation)
              : routeHandler(route, responseValidation),
        });
      }
    }
  });
}

function linksFor(request: FastifyRequest, mount: Mount): Links {
  const projectId = (request.params as Record<string, string | undefined>).project_id;
  return new Links(`${baseUrl(request)}/compute`, mount.prefix, projectId, request.url);
}

/** What one endpoint's call is: nova's name for it, its success status, its handler. */
interface Endpoint {
  readonly ref: EndpointRef;
  readonly status: Status;
  readonly handler: Handler;
  readonly responseValidation: ResponseValidation;
}

async function invoke(
  request: FastifyRequest,
  reply: FastifyReply,
  endpoint: Endpoint,
  query: Record<string, string[]>,
  body: unknown,
): Promise<unknown> {
  const { status, handler } = endpoint;
  const state = request.compute!;
  let code = typeof status === "function" ? status(state.version) : status;
  const call: ComputeCall = {
    version: state.version,
    auth: request.auth!,
    params: request.params as Record<string, string>,
    query,
    body,
    links: linksFor(request, state.mount),
    setStatus: (s) => {
      code = s;
    },
    setHeader: (name, value) => {
      reply.header(name, value);
    },
  };
  const result = await handler(call);
  if (endpoint.responseValidation !== "ignore") {
    const problem = responseProblem(endpoint.ref, state.version, code === 204 ? undefined : result);
    if (problem !== null) {
      request.log.warn({ problem }, "response failed nova's response schema");
      if (endpoint.responseValidation === "error") {
        throw new HttpFault(500, `Response failed schema validation: ${problem}`);
      }
    }
  }
  reply.status(code).type("application/json");
  if (code === 204 || result === undefined) return reply.send(code === 204 ? undefined : "");
  return reply.send(result);
}

/**
 * A removed endpoint is gone (410) on every mount; otherwise outside its microversion
 * range it is 404. The legacy /v2 has no microversions and serves what 2.1 had.
 */
function checkRange(version: ApiVersion, def: { min?: string; max?: string; removed?: boolean }): void {
  if (def.removed) throw new HttpFault(410, "This resource is no longer available in the Nova API.");
  if (version.isLegacyV2 && !def.min) return;
  if (!version.within(def.min ?? "2.1", def.max)) throw notFound();
}

/** nova's routes never match an empty path segment (`/os-simple-tenant-usage/`); fastify's do. */
const hasEmptyParam = (request: FastifyRequest) =>
  Object.values(request.params as Record<string, string>).some((value) => value === "");

function routeHandler(route: RouteDef, responseValidation: ResponseValidation) {
  const ref = { method: route.method, path: route.path };
  const endpoint = { ref, status: route.status, handler: route.handler, responseValidation };
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (hasEmptyParam(request)) return reply.status(404).send(ROUTER_NOT_FOUND);
    const { version } = request.compute!;
    checkRange(version, route);
    const query = validateQuery(ref, version, queryArrays(request.query));
    const body =
      route.method === "POST" || route.method === "PUT"
        ? validateBody(ref, version, request.body ?? null)
        : undefined;
    return invoke(request, reply, endpoint, query, body);
  };
}

function actionHandler(route: ActionRouteDef, responseValidation: ResponseValidation) {
  const byName = new Map(route.actions.map((a) => [a.name, a]));
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (hasEmptyParam(request)) return reply.status(404).send(ROUTER_NOT_FOUND);
    const { version } = request.compute!;
    const body = request.body;
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new HttpFault(400, "Malformed request body");
    }
    const keys = Object.keys(body);
    if (keys.length !== 1) throw new HttpFault(400, "Malformed request body: too many body keys");
    const name = keys[0]!;
    const action = byName.get(name);
    if (!action) throw new HttpFault(400, `There is no such action: ${name}`);
    checkRange(version, action);
    const ref = { method: "POST", path: route.path, action: name };
    const validated = validateBody(ref, version, body) as Record<string, unknown>;
    const query = queryArrays(request.query);
    const endpoint = { ref, status: action.status, handler: action.handler, responseValidation };
    return invoke(request, reply, endpoint, query, validated[name]);
  };
}
