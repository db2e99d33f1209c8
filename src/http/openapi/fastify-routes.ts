/**
 * The OpenAPI document of an API made of plain Fastify routes (identity, image, network):
 * an `onRoute` hook on the API's scope sees every route as it is registered, with its
 * schema when it has one.
 */
import type { FastifyInstance, FastifySchema } from "fastify";
import {
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
  type Parameter,
  pathParameters,
  serveOpenApi,
} from "./document.js";

interface Route {
  method: string;
  /** OpenAPI path template relative to the API's prefix. */
  path: string;
  schema?: FastifySchema;
}

/**
 * Describes the routes this scope registers from now on (its child scopes' too) and serves
 * the description at `GET /openapi.json` of the scope. Call it before the API's routes.
 */
export function describeRoutes(scope: FastifyInstance, info: OpenApiDocument["info"]): void {
  const prefix = scope.prefix;
  const routes: Route[] = [];
  scope.addHook("onRoute", (route) => {
    const path = openApiPath(route.url.slice(prefix.length));
    for (const method of [route.method].flat()) routes.push({ method, path, schema: route.schema });
  });
  serveOpenApi(scope, () => fastifyDocument(info, routes));
}

/** Fastify's `:name` parameters as OpenAPI's `{name}`; the scope's own root is `/`. */
export function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, "{$1}") || "/";
}

function fastifyDocument(info: OpenApiDocument["info"], routes: readonly Route[]): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return { openapi: "3.1.0", info, paths };
}

function operation(route: Route): Operation {
  const parameters = [...pathParameters(route.path), ...queryParameters(route.schema?.querystring)];
  const body = route.schema?.body as JsonSchema | undefined;
  return {
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: { content: { "application/json": { schema: body } } } } : {}),
  };
}

function queryParameters(schema: unknown): Parameter[] {
  const { properties = {}, required = [] } = (schema ?? {}) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    ...(required.includes(name) ? { required: true } : {}),
    schema: property,
  }));
}
