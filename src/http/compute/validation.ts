/**
 * Request validation as nova does it: nova's own JSON Schemas (vendored in
 * `nova-schemas/`, picked per endpoint and microversion from its index), applied with
 * nova's validator semantics (`nova/api/validation/validators.py` and `__init__.py`):
 *
 * - draft 2020-12 plus nova's formats (uuid, date-time, base64, cidr, uri, regex, the name
 *   formats ...), checked the way oslo and Python check them;
 * - `minimum`/`maximum` also compare numeric strings ("10" counts as 10);
 * - patterns are Python `re` syntax, translated once per pattern;
 * - legacy /v2: only schemas without a minimum (or with minimum 2.0) apply, and unknown
 *   keys are stripped instead of rejected;
 * - query strings are objects of string arrays; unknown parameters are dropped when the
 *   schema allows additional properties;
 * - failures become 400s worded like nova's ("Invalid input for field/attribute ...").
 */
import { readFileSync } from "node:fs";
import type { Ajv2020, ErrorObject, ValidateFunction } from "ajv/dist/2020.js";
import { badRequest, type HttpFault } from "../faults.js";
import type { ApiVersion } from "./microversion.js";
import { createNovaAjv, type ErrorMode, flavourKey, pythonNumber, softExtras } from "./nova-ajv.js";
import { NAME_REASONS } from "./nova-formats.js";
import { precompiled } from "./precompiled-validators.js";
import { schemaRegExp } from "./python-regexp.js";

export { NOVA_FORMATS } from "./nova-formats.js";
export { pythonRegExp } from "./python-regexp.js";

/** An endpoint as `nova-schemas/index.json` names it, e.g. POST "/servers/{id}/action" with action "reboot". */
export interface EndpointRef {
  method: string;
  path: string;
  action?: string;
}

/**
 * Validates a request body against nova's schema for this endpoint and version and returns
 * the body to use: unchanged, or under legacy /v2 a copy with unknown keys stripped. A
 * version no schema covers is not validated. Throws HttpFault(400) on invalid input.
 */
export function validateBody(ref: EndpointRef, version: ApiVersion, body: unknown): unknown {
  const schemas = applicable(lookup(ref)?.request_body, version);
  if (schemas.length === 0) return body;
  // Legacy stripping edits the data in place, as nova does; work on a copy.
  const data = version.isLegacyV2 ? structuredClone(body ?? null) : (body ?? null);
  for (const schema of schemas) check(schema, version.isLegacyV2, data, "body");
  return data;
}

/**
 * Validates a query (each parameter's values, as a URL with repeats parses) and returns it,
 * minus unknown parameters when the schema allows additional properties (nova drops those
 * silently; schemas that forbid them answer 400). Throws HttpFault(400) on invalid input.
 */
export function validateQuery(
  ref: EndpointRef,
  version: ApiVersion,
  query: Record<string, string[]>,
): Record<string, string[]> {
  let result = query;
  for (const schema of applicable(lookup(ref)?.query, version)) {
    // nova validates a copy (legacy stripping must not touch the request) ...
    check(schema, version.isLegacyV2, structuredClone(result), "query");
    // ... then drops what the schema does not name, when additional properties are allowed.
    const doc = loadSchema(schema.file);
    if (doc.additionalProperties === false) continue;
    const named = doc.properties ?? {};
    const patterns = Object.keys(doc.patternProperties ?? {}).map((p) => schemaRegExp(`^(?:${p})`));
    result = Object.fromEntries(
      Object.entries(result).filter(
        ([name]) => Object.hasOwn(named, name) || patterns.some((p) => p.test(name)),
      ),
    );
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// The index: which schema files cover which endpoint at which versions.

export interface SchemaRef {
  schema: string;
  min_version: string | null;
  max_version: string | null;
  file: string;
}

interface IndexEntry {
  method: string;
  path: string;
  action: string | null;
  request_body: SchemaRef[];
  query: SchemaRef[];
  response_body: SchemaRef[];
}

/** The subset of a schema document this module reads directly. */
interface SchemaDoc {
  additionalProperties?: unknown;
  properties?: Record<string, unknown>;
  patternProperties?: Record<string, unknown>;
}

const SCHEMA_DIR = new URL("./nova-schemas/", import.meta.url);
let index: Map<string, IndexEntry> | undefined;

const indexKey = (method: string, path: string, action: string | null | undefined) =>
  `${method.toUpperCase()} ${path} ${action ?? ""}`;

export function lookup(ref: EndpointRef): IndexEntry | undefined {
  if (!index) {
    const rows = JSON.parse(readFileSync(new URL("index.json", SCHEMA_DIR), "utf8")) as IndexEntry[];
    index = new Map(rows.map((row) => [indexKey(row.method, row.path, row.action), row]));
  }
  return index.get(indexKey(ref.method, ref.path, ref.action));
}

/**
 * The schemas nova runs for this version. Legacy /v2 runs those with no minimum or minimum
 * 2.0, whatever their maximum (nova's `_schema_validation_helper`).
 */
export function applicable(refs: SchemaRef[] | undefined, version: ApiVersion): SchemaRef[] {
  if (!refs) return [];
  if (version.isLegacyV2) return refs.filter((r) => r.min_version === null || r.min_version === "2.0");
  return refs.filter((r) => version.within(r.min_version, r.max_version));
}

const documents = new Map<string, { doc: SchemaDoc; text: string }>();

export function readSchema(file: string): { doc: SchemaDoc; text: string } {
  let read = documents.get(file);
  if (!read) {
    const text = readFileSync(new URL(file, SCHEMA_DIR), "utf8");
    read = { doc: JSON.parse(text) as SchemaDoc, text };
    documents.set(file, read);
  }
  return read;
}

const loadSchema = (file: string): SchemaDoc => readSchema(file).doc;

// ---------------------------------------------------------------------------------------
// Validators: generated at build time (precompiled-validators.ts) or, when none is
// current, compiled on first use; one per schema file and flavour (v2.1+ or legacy /v2, and
// error mode).

const validators = new Map<string, ValidateFunction>();
const instances = new Map<string, Ajv2020>();

function compiled(file: string, legacy: boolean, mode: ErrorMode): ValidateFunction {
  const flavour = { legacy, mode };
  const key = `${flavourKey(flavour)}:${file}`;
  let validate = validators.get(key);
  if (!validate) {
    const { doc, text } = readSchema(file);
    validate = precompiled(file, text, flavour);
    if (!validate) {
      let ajv = instances.get(flavourKey(flavour));
      if (!ajv) {
        ajv = createNovaAjv(flavour);
        instances.set(flavourKey(flavour), ajv);
      }
      validate = ajv.compile(doc);
    }
    validators.set(key, validate);
  }
  return validate;
}

// ---------------------------------------------------------------------------------------
// Running a schema and wording its failure like nova.

function check(schema: SchemaRef, legacy: boolean, data: unknown, where: "body" | "query"): void {
  const mode = hasLongArray(data) ? "first" : "all";
  const validate = compiled(schema.file, legacy, mode);
  if (validate(data)) return;
  const errors = validate.errors!;
  throw toFault(mode === "all" ? firstError(errors, loadSchema(schema.file)) : errors[0]!, where);
}

/**
 * No request nova's schemas describe holds an array this long (their item limits are far
 * lower); past it, which error nova would name first matters less than answering at once.
 */
const LONG_ARRAY = 1_000;

function hasLongArray(data: unknown): boolean {
  const pending = [data];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      if (value.length > LONG_ARRAY) return true;
      pending.push(...value);
    } else for (const member of Object.values(value)) pending.push(member);
  }
  return false;
}

/**
 * The error nova reports: jsonschema stops at the first one it meets walking the schema
 * depth-first in key order (array items in order), and reports a failed oneOf/anyOf/not as
 * a whole. ajv reports every error in its own keyword order, so rank each by its position
 * in the schema and drop those raised inside a oneOf/anyOf/not branch.
 */
function firstError(errors: ErrorObject[], schema: object): ErrorObject {
  const ranked = errors
    .filter((error) => !/\/(?:oneOf|anyOf|not)\//.test(error.schemaPath))
    .map((error) => ({ error, rank: schemaRank(error, schema) }));
  ranked.sort((a, b) => {
    for (let i = 0; i < Math.min(a.rank.length, b.rank.length); i++) {
      if (a.rank[i] !== b.rank[i]) return a.rank[i]! - b.rank[i]!;
    }
    return a.rank.length - b.rank.length;
  });
  return (ranked[0] ?? { error: errors[0]! }).error;
}

/** Keywords whose next schema-path step names a member (a property, a pattern, an index). */
const MEMBER_KEYWORDS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "allOf",
  "anyOf",
  "oneOf",
  "prefixItems",
]);

/** Position of an error in jsonschema's walk: key indexes along the schema path. */
function schemaRank(error: ErrorObject, root: object): number[] {
  // ajv writes schema paths as URI fragments, instance paths as plain JSON pointers.
  const steps = error.schemaPath
    .split("/")
    .slice(1)
    .map((s) => unescapePointer(decodeURIComponent(s)));
  const items = error.instancePath.split("/").slice(1);
  const rank: number[] = [];
  let node: unknown = root;
  let depth = 0; // instance path segments the schema path has stepped into so far
  for (let i = 0; i < steps.length && typeof node === "object" && node !== null; i++) {
    const keyword = steps[i]!;
    const schemaNode = node as Record<string, unknown>;
    rank.push(Object.keys(schemaNode).indexOf(keyword));
    node = schemaNode[keyword];
    if (MEMBER_KEYWORDS.has(keyword) && i + 1 < steps.length && typeof node === "object" && node !== null) {
      const member = steps[++i]!;
      rank.push(Array.isArray(node) ? Number(member) : Object.keys(node).indexOf(member));
      node = (node as Record<string, unknown>)[member];
      if (keyword === "properties" || keyword === "patternProperties" || keyword === "prefixItems") depth++;
    } else if (keyword === "items" && i + 1 < steps.length) {
      rank.push(Number(items[depth++])); // jsonschema checks item 0 fully before item 1
    }
  }
  return rank;
}

function unescapePointer(segment: string): string {
  return segment.replaceAll("~1", "/").replaceAll("~0", "~");
}

function toFault(error: ErrorObject, where: "body" | "query"): HttpFault {
  const reason = NAME_REASONS[error.keyword === "format" ? String(error.params.format) : ""];
  if (reason !== undefined)
    return badRequest(`An invalid 'name' value was provided. The name must be: ${reason}`);
  const message = describe(error);
  const path = error.instancePath.split("/").slice(1).map(unescapePointer);
  if (path.length === 0) return badRequest(message);
  const value = pyStr(error.data);
  if (where === "body") {
    return badRequest(`Invalid input for field/attribute ${path.at(-1)}. Value: ${value}. ${message}`);
  }
  return badRequest(`Invalid input for query parameters ${path[0]}. Value: ${value}. ${message}`);
}

/** The Python jsonschema wording of one failed keyword. */
function describe(error: ErrorObject): string {
  const data = clip(pyRepr(error.data));
  const schema: unknown = error.schema;
  const limit = Number(error.params.limit);
  switch (error.keyword) {
    case "type":
      return `${data} is not of type ${([] as unknown[]).concat(schema).map(pyRepr).join(", ")}`;
    case "required":
      return `${pyRepr(error.params.missingProperty)} is a required property`;
    case "additionalProperties":
      return error.params.additionalProperty === undefined
        ? unexpected(legacyExtras(error))
        : strictExtras(error);
    case "enum":
      return `${data} is not one of ${pyRepr(schema)}`;
    case "const":
      return `${pyRepr(schema)} was expected`;
    case "pattern":
      return `${data} does not match ${pyRepr(schema)}`;
    case "format":
      return `${data} is not a ${pyRepr(error.params.format)}`;
    case "minLength":
    case "minItems":
      return `${data} ${limit === 1 ? "should be non-empty" : "is too short"}`;
    case "maxLength":
    case "maxItems":
      return `${data} ${limit === 0 ? "is expected to be empty" : "is too long"}`;
    case "minProperties":
      return `${data} ${limit === 1 ? "should be non-empty" : "does not have enough properties"}`;
    case "maxProperties":
      return `${data} ${limit === 0 ? "is expected to be empty" : "has too many properties"}`;
    case "uniqueItems":
      return `${data} has non-unique elements`;
    case "minimum":
      return `${pyRepr(pythonNumber(error.data))} is less than the minimum of ${pyRepr(schema)}`;
    case "maximum":
      return `${pyRepr(pythonNumber(error.data))} is greater than the maximum of ${pyRepr(schema)}`;
    case "exclusiveMinimum":
      return `${data} is less than or equal to the minimum of ${pyRepr(schema)}`;
    case "exclusiveMaximum":
      return `${data} is greater than or equal to the maximum of ${pyRepr(schema)}`;
    case "multipleOf":
      return `${data} is not a multiple of ${pyRepr(schema)}`;
    case "oneOf": {
      const passing = error.params.passingSchemas as number[] | null;
      if (!passing) return `${data} is not valid under any of the given schemas`;
      const branches = schema as unknown[];
      return `${data} is valid under each of ${passing.map((i) => pyRepr(branches[i])).join(", ")}`;
    }
    case "anyOf":
      return `${data} is not valid under any of the given schemas`;
    case "not":
      return `${data} should not be valid under ${pyRepr(schema)}`;
    case "false schema":
      return `False schema does not allow ${data}`;
    default:
      return error.message ?? `${data} is invalid`;
  }
}

/** jsonschema names every unexpected key, not just the first one ajv stops at. */
function strictExtras(error: ErrorObject): string {
  const parent = error.parentSchema as SchemaDoc;
  const data = error.data as Record<string, unknown>;
  const named = parent.properties ?? {};
  const patterns = Object.keys(parent.patternProperties ?? {});
  const regexes = patterns.map((p) => schemaRegExp(p));
  const extras = Object.keys(data)
    .filter((k) => !Object.hasOwn(named, k) && !regexes.some((r) => r.test(k)))
    .sort();
  if (patterns.length === 0) return unexpected(extras);
  const verb = extras.length === 1 ? "does" : "do";
  return `${extras.map(pyRepr).join(", ")} ${verb} not match any of the regexes: ${patterns.sort().map(pyRepr).join(", ")}`;
}

/** The keys legacy /v2's soft check refused (where patterns exist, nothing was stripped). */
function legacyExtras(error: ErrorObject): string[] {
  const parent = error.parentSchema as SchemaDoc;
  const named = Object.keys(parent.properties ?? {});
  return softExtras(
    error.data as Record<string, unknown>,
    named,
    Object.keys(parent.patternProperties ?? {}),
  );
}

function unexpected(extras: string[]): string {
  const sorted = [...extras].sort();
  const verb = sorted.length === 1 ? "was" : "were";
  return `Additional properties are not allowed (${sorted.map(pyRepr).join(", ")} ${verb} unexpected)`;
}

/** How much of a rejected value a message echoes: a hostile body must not make a huge (or endless) one. */
const MAX_ECHO = 2048;
const MAX_REPR_DEPTH = 32;

function clip(text: string): string {
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...` : text;
}

/** Python's str(): what nova's "Value: %s" shows, cut short past MAX_ECHO characters. */
function pyStr(value: unknown): string {
  return clip(typeof value === "string" ? value : pyRepr(value));
}

const REPR_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** Python's repr() of a JSON value, as jsonschema quotes instances and schemas; deep nesting shows as `[...]`. */
function pyRepr(value: unknown, depth = 0): string {
  if (value === null || value === undefined) return "None";
  if (value === true) return "True";
  if (value === false) return "False";
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nan";
    if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
    return String(value);
  }
  if (typeof value === "string") {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    // Python escapes what str.isprintable() refuses: categories C* and Z* but the ASCII space.
    const body = value.replace(/[\\'"\p{C}\p{Z}]/gu, (c) => {
      if (c === " ") return c;
      if (c === "'" || c === '"') return c === quote ? `\\${c}` : c;
      if (REPR_ESCAPES[c]) return REPR_ESCAPES[c];
      const code = c.codePointAt(0)!;
      if (code < 0x100) return `\\x${code.toString(16).padStart(2, "0")}`;
      if (code < 0x10000) return `\\u${code.toString(16).padStart(4, "0")}`;
      return `\\U${code.toString(16).padStart(8, "0")}`;
    });
    return quote + body + quote;
  }
  if (Array.isArray(value)) {
    if (depth >= MAX_REPR_DEPTH) return "[...]";
    return `[${reprMembers(value, (v) => pyRepr(v, depth + 1))}]`;
  }
  if (typeof value === "object") {
    if (depth >= MAX_REPR_DEPTH) return "{...}";
    const entries = Object.entries(value as Record<string, unknown>);
    return `{${reprMembers(entries, ([k, v]) => `${pyRepr(k)}: ${pyRepr(v, depth + 1)}`)}}`;
  }
  return String(value);
}

/**
 * The members of a container, joined as Python does, but only so many as clip() can show:
 * a huge rejected value is not written out in full to be thrown away.
 */
function reprMembers<T>(members: readonly T[], repr: (member: T) => string): string {
  const parts: string[] = [];
  let length = 0;
  for (const member of members) {
    if (length > MAX_ECHO) break;
    const part = repr(member);
    parts.push(part);
    length += part.length + 2;
  }
  return parts.join(", ");
}
