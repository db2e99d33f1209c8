/**
 * Checks Network API responses against the OpenAPI 3.1 description of Neutron v2.0
 * (`../shared/openapi/network-v2.29.yaml`, beside the repository).
 *
 * For a request (method, path below `/network`) and its answer the contract finds the
 * spec's operation, checks that the status is one the operation lists, validates the body
 * against the operation's schema for that status (JSON Schema 2020-12, as OpenAPI 3.1
 * uses it) and, stricter than the spec, reports every key of the body that the schema
 * does not document: the spec's schemas leave objects open, but a key they do not name
 * is one that no Neutron extension defines.
 */
import fs from "node:fs";
import path from "node:path";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import formatsPlugin from "ajv-formats";
import YAML from "yaml";
import { pathMatches } from "./structure.js";

export const NETWORK_SPEC = path.resolve(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "shared",
  "openapi",
  "network-v2.29.yaml",
);

/**
 * - `path`: the spec has no operation for this method and path.
 * - `status`: the operation lists responses, and not this status.
 * - `schema`: the body breaks the operation's schema.
 * - `undocumented`: the body has a key the schema does not name.
 */
export type ProblemKind = "path" | "status" | "schema" | "undocumented";

export interface Problem {
  /** `GET /v2.0/networks/{network_id}`: the spec's operation, or the request's path when there is none. */
  readonly operation: string;
  readonly kind: ProblemKind;
  /** Where in the body: `$`, `$.networks[0].name` (see structure.ts's paths). */
  readonly at: string;
  readonly message: string;
  /** The body's value there, for a `schema` problem. */
  readonly value?: unknown;
}

/**
 * A difference the test accepts. `operation` and `at` are patterns (see
 * {@link pathMatches}; `*` in `operation` is any operation). A `path` difference may give
 * the schema that nimbus's answer must meet instead of the spec's.
 */
export interface AcceptedDifference {
  readonly operation: string;
  readonly kind: ProblemKind;
  /** Body positions it covers; any when absent. */
  readonly at?: string | readonly string[];
  /** Covers a `schema` problem only where the body's value is null. */
  readonly whenNull?: boolean;
  readonly reason: string;
  readonly schema?: object;
}

type Schema = Record<string, unknown>;

interface Operation {
  readonly template: string;
  readonly method: string;
  readonly responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** `/a/{b}/c` as a regular expression over a path, with how many literal segments it has. */
function templateRegex(template: string): { regex: RegExp; literals: number } {
  const segments = template.split("/").filter(Boolean);
  const source = segments
    .map((s) => (/^\{[^}]+\}$/.test(s) ? "[^/]+" : s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&")))
    .join("/");
  return { regex: new RegExp(`^/${source}/?$`), literals: segments.filter((s) => !s.startsWith("{")).length };
}

/** The value a JSON pointer names in a document. */
function valueAt(document: unknown, pointer: string): unknown {
  let node = document;
  for (const raw of pointer.split("/").slice(1)) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

/** A JSON pointer of ajv's (`/networks/0/name`) as a body position (`$.networks[0].name`). */
export function positionOf(pointer: string): string {
  let out = "$";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  }
  return out;
}

function formatError(e: ErrorObject): string {
  const params = Object.entries(e.params)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
  return `${e.keyword}: ${e.message ?? ""}${params ? ` (${params})` : ""}`;
}

export class NetworkContract {
  private readonly operations: Array<Operation & { regex: RegExp; literals: number }> = [];
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(private readonly document: Schema) {
    const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
    for (const [template, item] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!["get", "post", "put", "delete", "patch", "head"].includes(method)) continue;
        const responses = ((op as Schema).responses ?? {}) as Operation["responses"];
        this.operations.push({
          template,
          method: method.toUpperCase(),
          responses,
          ...templateRegex(template),
        });
      }
    }
    // most literal segments first: /v2.0/quotas/{id}/default before a template with a parameter there
    this.operations.sort((a, b) => b.literals - a.literals);
    // The spec is OpenAPI, not bare JSON Schema: its `components` is no keyword ajv knows.
    this.ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    formatsPlugin.default(this.ajv);
    this.ajv.addSchema({ $id: "network", components: document.components }, "network");
  }

  static load(file = NETWORK_SPEC): NetworkContract {
    return new NetworkContract(YAML.parse(fs.readFileSync(file, "utf8")) as Schema);
  }

  /** The spec's operation for a method and a path below `/network` (query ignored). */
  operation(method: string, requestPath: string): Operation | undefined {
    const bare = requestPath.split("?")[0]!;
    return this.operations.find((o) => o.method === method && o.regex.test(bare));
  }

  /** Validates a body against a schema of the spec (with its `#/components` references) or another. */
  validate(schema: Schema, body: unknown, operation: string): Problem[] {
    const key = JSON.stringify(schema);
    let validator = this.validators.get(key);
    if (!validator) {
      validator = this.ajv.compile(this.rebase(schema));
      this.validators.set(key, validator);
    }
    const problems: Problem[] = [];
    if (!validator(body)) {
      for (const e of validator.errors ?? [])
        problems.push({
          operation,
          kind: "schema",
          at: positionOf(e.instancePath),
          message: formatError(e),
          value: valueAt(body, e.instancePath),
        });
    }
    for (const at of this.undocumented(schema, body, "$"))
      problems.push({ operation, kind: "undocumented", at, message: "key not in the spec's schema" });
    return problems;
  }

  /** Local references (`#/components/...`) made to point into the registered document. */
  private rebase(schema: Schema): Schema {
    return JSON.parse(
      JSON.stringify(schema, (k, v) =>
        k === "$ref" && typeof v === "string" && v.startsWith("#") ? `network${v}` : v,
      ),
    ) as Schema;
  }

  /** The schema a local reference names, followed until it is no reference. */
  private deref(schema: unknown): Schema {
    let node = schema as Schema;
    for (let hops = 0; typeof node?.$ref === "string" && hops < 32; hops++) {
      const ref = node.$ref as string;
      if (!ref.startsWith("#/")) throw new Error(`reference outside the document: ${ref}`);
      let target: unknown = this.document;
      for (const part of ref.slice(2).split("/")) target = (target as Schema)[part.replace(/~1/g, "/")];
      node = target as Schema;
    }
    return node ?? {};
  }

  /** Positions of the keys of `value` that `schema` does not name, where it names any. */
  private undocumented(schema: unknown, value: unknown, at: string): string[] {
    const node = this.deref(schema);
    const branches = [
      node,
      ...(["allOf", "anyOf", "oneOf"] as const).flatMap((k) => (node[k] as unknown[]) ?? []),
    ].map((b) => this.deref(b));
    const out: string[] = [];
    if (Array.isArray(value)) {
      const items = branches.map((b) => b.items).filter((i) => i !== undefined);
      if (items.length > 0)
        for (const [i, item] of value.entries())
          out.push(...this.undocumented(items[0], item, `${at}[${i}]`));
      return out;
    }
    if (value === null || typeof value !== "object") return out;
    const properties: Record<string, unknown> = {};
    let named = false;
    let open = false;
    for (const b of branches) {
      if (b.properties) {
        named = true;
        for (const [k, v] of Object.entries(b.properties as Schema)) properties[k] ??= v;
      }
      if (b.patternProperties || (b.additionalProperties !== undefined && b.additionalProperties !== false))
        open = true;
    }
    for (const [key, v] of Object.entries(value)) {
      const position = `${at}.${key}`;
      if (Object.hasOwn(properties, key)) out.push(...this.undocumented(properties[key], v, position));
      else if (named && !open) out.push(position);
    }
    return out;
  }

  /**
   * Every problem of one answer: its operation, status and body. `requestPath` is below
   * `/network` (`/v2.0/networks?limit=1`); `body` is undefined for an empty answer.
   */
  check(method: string, requestPath: string, status: number, body: unknown): Problem[] {
    const op = this.operation(method, requestPath);
    if (!op) {
      const bare = requestPath.split("?")[0]!;
      return [{ operation: `${method} ${bare}`, kind: "path", at: "$", message: "no operation in the spec" }];
    }
    const operation = `${method} ${op.template}`;
    const listed = Object.keys(op.responses);
    const response = op.responses[String(status)];
    if (!response) {
      // the spec lists the normal codes only: an error status it does not list is no finding
      if (status >= 400 || listed.length === 0) return [];
      return [
        {
          operation,
          kind: "status",
          at: "$",
          message: `status ${status}, the spec lists ${listed.join(", ")}`,
        },
      ];
    }
    const schema = response.content?.["application/json"]?.schema;
    if (!schema) {
      if (body === undefined) return [];
      return [
        { operation, kind: "schema", at: "$", message: `a body where the spec has none for ${status}` },
      ];
    }
    if (body === undefined) return [{ operation, kind: "schema", at: "$", message: "no body" }];
    return this.validate(schema, body, operation);
  }
}

/** The accepted difference that covers a problem, if any. */
export function acceptedFor(
  problem: Problem,
  accepted: readonly AcceptedDifference[],
): AcceptedDifference | undefined {
  return accepted.find(
    (a) =>
      a.kind === problem.kind &&
      (a.operation === "*" || a.operation === problem.operation) &&
      (a.at === undefined || [a.at].flat().some((pattern) => pathMatches(pattern, problem.at))) &&
      (!a.whenNull || (problem.kind === "schema" && problem.value === null)),
  );
}

export function formatProblem(p: Problem): string {
  return `${p.operation}: ${p.kind} at ${p.at}: ${p.message}`;
}
