/**
 * The OpenAPI 3.1 document nimbus publishes for each API it serves (`GET <api>/openapi.json`),
 * and the few pieces of it every API's generator shares. Each document is built from what
 * the API itself routes and validates, never written by hand.
 */
import type { FastifyInstance } from "fastify";

export type JsonSchema = Record<string, unknown>;

export interface Parameter {
  name: string;
  in: "path" | "query";
  required?: boolean;
  schema: JsonSchema;
  "x-openstack"?: VersionRange;
}

export interface Operation {
  description?: string;
  deprecated?: boolean;
  parameters?: Parameter[];
  requestBody?: { content: { "application/json": { schema: JsonSchema } } };
  responses?: Record<
    string,
    { description: string; content?: { "application/json": { schema: JsonSchema } } }
  >;
  /** Compute: the microversion range, or the action endpoint's actions. */
  "x-openstack"?: object;
}

/** Lower-case HTTP methods, as OpenAPI's path items name their operations. */
export type PathItem = Record<string, Operation>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string; "x-openstack"?: VersionRange };
  paths: Record<string, PathItem>;
  components?: { schemas: Record<string, JsonSchema> };
}

/** A compute microversion range, spelled as the shared OpenStack descriptions spell it. */
export interface VersionRange {
  "min-ver"?: string;
  "max-ver"?: string;
}

/** `{name}` segments of an OpenAPI path template, each as the required path parameter OpenAPI demands. */
export function pathParameters(path: string): Parameter[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name: name!,
    in: "path",
    required: true,
    schema: { type: "string" },
  }));
}

/**
 * Serves `GET /openapi.json` in this scope. The document is built on the first request,
 * once every route is registered, and its text is kept: routes do not change while serving.
 * No token is asked, as for the version documents: it describes the API, not a project.
 */
export function serveOpenApi(scope: FastifyInstance, build: () => OpenApiDocument): void {
  let text: string | undefined;
  scope.get("/openapi.json", async (_request, reply) => {
    text ??= JSON.stringify(build());
    return reply.type("application/json").send(text);
  });
}
