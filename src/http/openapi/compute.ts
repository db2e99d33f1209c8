/**
 * The compute API's OpenAPI document, from the route table `mountCompute` routes (method,
 * nova's path template, microversion range, status, removed) and nova's vendored schemas
 * that validate each endpoint's body and query and, in response validation, its answer.
 * Paths are nova's templates under `/v2.1`, as the shared OpenStack descriptions write them.
 */
import { STATUS_CODES } from "node:http";
import { ApiVersion, MAX_VERSION, MIN_VERSION } from "../compute/microversion.js";
import type { ActionRouteDef, RouteDef } from "../compute/router.js";
import { type EndpointRef, lookup, readSchema, type SchemaRef } from "../compute/validation.js";
import {
  type JsonSchema,
  type OpenApiDocument,
  type Operation,
  type Parameter,
  pathParameters,
  type VersionRange,
} from "./document.js";

/** What the document reads of a route or an action: everything but its handler. */
type Described = Pick<RouteDef, "min" | "max" | "removed" | "status">;

interface Variant {
  readonly def: Described;
  readonly ref: EndpointRef;
}

/** The microversioned mount. /v2 and /v1.1 serve the same table as version 2.0. */
const MOUNT = "/v2.1";

/** What `mountCompute` answers (GET) under the mount beside the route table: nova's version documents. */
const VERSION_PATHS = ["/", "/versions/{id}"];

export function computeDocument(routes: ReadonlyArray<RouteDef | ActionRouteDef>): OpenApiDocument {
  const components = new Components();
  const paths: OpenApiDocument["paths"] = {
    "/": { get: { description: "The versions list: v2.0 and v2.1.", responses: { 200: response(200, []) } } },
    "/openapi.json": { get: { description: "This document.", responses: { 200: response(200, []) } } },
  };
  const add = (method: string, path: string, operation: Operation) => {
    paths[`${MOUNT}${path}`] ??= {};
    paths[`${MOUNT}${path}`]![method.toLowerCase()] = operation;
  };
  for (const path of VERSION_PATHS) {
    add("GET", path, operation(path, [{ def: { status: 200 }, ref: { method: "GET", path } }], components));
  }
  for (const route of routes) {
    const variants: Variant[] =
      "actions" in route
        ? route.actions.map((def) => ({
            def,
            ref: { method: route.method, path: route.path, action: def.name },
          }))
        : [{ def: route, ref: { method: route.method, path: route.path } }];
    add(route.method, route.path, operation(route.path, variants, components));
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "OpenStack Compute API",
      version: MAX_VERSION.toString(),
      description:
        "nimbus's compute API, microversions 2.1 to the maximum. The same paths answer under " +
        "/v2 and /v1.1 (as version 2.0) and with a /{project_id} segment after the version.",
      "x-openstack": { "min-ver": MIN_VERSION.toString(), "max-ver": MAX_VERSION.toString() },
    },
    paths,
    components: { schemas: components.schemas },
  };
}

/**
 * One operation: a route, or the action endpoint with a variant per action key, its body
 * one of the actions' (exactly one: the key tells them apart). Where nova has a schema per
 * microversion range, a body, parameter or answer is any of them. A removed variant answers
 * 410 before any validation, so it contributes no schema.
 */
function operation(path: string, variants: readonly Variant[], components: Components): Operation {
  const live = variants.filter((v) => !v.def.removed);
  const isAction = variants.some((v) => v.ref.action !== undefined);
  const bodies = live.flatMap(({ def, ref }) => {
    const refs = applying(lookup(ref)?.request_body, def).map((r) => components.ref(r));
    // the router requires an action's key even where nova has no schema for its value
    if (refs.length === 0 && ref.action !== undefined) return [actionKeyOnly(ref.action, def)];
    return refs.length > 0 ? [anyOf(refs)] : [];
  });
  const query = live.flatMap(({ def, ref }) => applying(lookup(ref)?.query, def));
  const parameters = [...pathParameters(path), ...queryParameters(query)];
  const byStatus = new Map<number, JsonSchema[]>();
  for (const { def, ref } of variants) {
    const answers = def.removed ? [] : applying(lookup(ref)?.response_body, def);
    for (const status of statuses(def)) {
      // nova's schema for a 204 says its body is empty; there is no body to describe
      const schemas = status === 204 ? [] : answers.map((r) => components.ref(r));
      byStatus.set(status, [...(byStatus.get(status) ?? []), ...schemas]);
    }
  }
  return {
    ...(live.length === 0 ? { deprecated: true } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(bodies.length > 0
      ? {
          requestBody: {
            content: { "application/json": { schema: bodies[1] ? { oneOf: bodies } : bodies[0]! } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      [...byStatus].sort(([a], [b]) => a - b).map(([status, schemas]) => [status, response(status, schemas)]),
    ),
    ...extension(isAction, variants),
  };
}

/** The action endpoint's actions, each with its range; a route's range when it has one. */
function extension(isAction: boolean, variants: readonly Variant[]): Pick<Operation, "x-openstack"> {
  if (isAction) {
    const actions = variants.map(({ def, ref }) => ({
      name: ref.action,
      ...range(def.min, def.max),
      ...(def.removed ? { deprecated: true } : {}),
    }));
    return { "x-openstack": { actions } };
  }
  const { min, max } = variants[0]!.def;
  return min || max ? { "x-openstack": range(min, max) } : {};
}

/** The success statuses a route answers across its microversion range (a removed route: 410). */
function statuses(def: Described): number[] {
  if (def.removed) return [410];
  if (typeof def.status === "number") return [def.status];
  const found = new Set<number>();
  for (let minor = MIN_VERSION.minor; minor <= MAX_VERSION.minor; minor++) {
    const version = new ApiVersion(MAX_VERSION.major, minor);
    if (version.within(def.min, def.max)) found.add(def.status(version));
  }
  return [...found];
}

function response(status: number, schemas: JsonSchema[]) {
  const description = STATUS_CODES[status] ?? String(status);
  if (schemas.length === 0) return { description };
  return { description, content: { "application/json": { schema: anyOf(schemas) } } };
}

/** Schemas whose microversion range meets the route's (a route outside its range answers 404). */
function applying(refs: readonly SchemaRef[] | undefined, def: Described): SchemaRef[] {
  return (refs ?? []).filter((r) => !below(def.max, r.min_version) && !below(r.max_version, def.min ?? null));
}

/** True when the upper bound `max` lies below the lower bound `min` (an absent bound is open). */
function below(max: string | null | undefined, min: string | null | undefined): boolean {
  return max != null && min != null && ApiVersion.of(max).compare(ApiVersion.of(min)) < 0;
}

/**
 * Query parameters from nova's query schemas (one object schema per range, each parameter
 * an array of strings, as a repeated parameter parses). A parameter in several ranges is
 * described once, with every distinct schema it has and the union of its ranges.
 */
function queryParameters(refs: readonly SchemaRef[]): Parameter[] {
  const named = new Map<string, { schemas: Map<string, JsonSchema>; refs: SchemaRef[] }>();
  for (const ref of refs) {
    const properties = (readSchema(ref.file).doc.properties ?? {}) as Record<string, JsonSchema>;
    for (const [name, schema] of Object.entries(properties)) {
      const entry = named.get(name) ?? { schemas: new Map<string, JsonSchema>(), refs: [] as SchemaRef[] };
      entry.schemas.set(JSON.stringify(schema), schema);
      entry.refs.push(ref);
      named.set(name, entry);
    }
  }
  return [...named].map(([name, { schemas, refs }]) => ({
    name,
    in: "query",
    schema: anyOf([...schemas.values()]),
    "x-openstack": union(refs),
  }));
}

function union(refs: readonly SchemaRef[]): VersionRange {
  const mins = refs.map((r) => r.min_version);
  const maxes = refs.map((r) => r.max_version);
  const order = (a: string, b: string) => ApiVersion.of(a).compare(ApiVersion.of(b));
  return range(
    mins.includes(null) ? undefined : (mins as string[]).sort(order)[0],
    maxes.includes(null) ? undefined : (maxes as string[]).sort(order).at(-1),
  );
}

function range(min: string | null | undefined, max: string | null | undefined): VersionRange {
  return { ...(min ? { "min-ver": min } : {}), ...(max ? { "max-ver": max } : {}) };
}

function anyOf(schemas: JsonSchema[]): JsonSchema {
  return schemas.length === 1 ? schemas[0]! : { anyOf: schemas };
}

function actionKeyOnly(action: string, def: Described): JsonSchema {
  return {
    type: "object",
    properties: { [action]: {} },
    required: [action],
    additionalProperties: false,
    "x-openstack": range(def.min, def.max),
  };
}

/** nova's schema files as `components/schemas`, each once, named after its file. */
class Components {
  readonly schemas: Record<string, JsonSchema> = {};

  ref(schema: SchemaRef): JsonSchema {
    const name = schema.file.replace(/\.json$/, "").replace(/[^A-Za-z0-9._-]/g, ".");
    this.schemas[name] ??= {
      ...(readSchema(schema.file).doc as JsonSchema),
      "x-openstack": range(schema.min_version, schema.max_version),
    };
    return { $ref: `#/components/schemas/${name}` };
  }
}
