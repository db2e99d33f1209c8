/**
 * nova's `[api] response_validation`: every successful response body checked against nova's
 * own response schema for its endpoint and microversion (`nova-schemas/response_body/`), so a
 * view cannot drift from what nova answers without a test noticing. `error` answers 500 for
 * a body that fails (nova's "Raise a HTTP 500" mode, which the tests run in), `warn` logs it,
 * `ignore` skips the work. nova's default is `warn`; nimbus's is `ignore`, because checking a
 * thousand-server list costs more than serving it.
 */
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020.js";
import type { ApiVersion } from "./microversion.js";
import { createNovaAjv } from "./nova-ajv.js";
import { applicable, type EndpointRef, lookup, readSchema } from "./validation.js";

/**
 * Where nova's response schema says less than nova's responses hold, so nova's own error mode
 * would refuse what its code answers (the code is the reference): per schema file, a JSON
 * pointer into it and the keyword left unchecked there.
 */
const AUDIT_LOG = "response_body/instance_usage_audit_log/GET__os-instance_usage_audit_log";
const GROUPS = "response_body/server_groups/GET__os-server-groups";
const KEYPAIRS = "response_body/keypairs/GET__os-keypairs";
const SCHEMA_DEFECTS: ReadonlyArray<{ file: string; pointer: string; keyword: string }> = [
  // hosts_not_run holds compute services' host names (nova's samples' hosts happen to be
  // named by uuids); the schema's item format says uuid.
  {
    file: `${AUDIT_LOG}.index_response.any-latest.json`,
    pointer: "/properties/instance_usage_audit_logs/properties/hosts_not_run/items",
    keyword: "format",
  },
  {
    file: `${AUDIT_LOG}__id.show_response.any-latest.json`,
    pointer: "/properties/instance_usage_audit_log/properties/hosts_not_run/items",
    keyword: "format",
  },
  // a group made with a soft policy (2.15+) is shown with it at every version; the schemas
  // before 2.15 list the hard policies only.
  ...["index_response.2.1-2.12", "index_response_v213.2.13-2.14"].map((name) => ({
    file: `${GROUPS}.${name}.json`,
    pointer: "/properties/server_groups/items/properties/policies/prefixItems/0",
    keyword: "enum",
  })),
  ...["show_response.2.1-2.12", "show_response_v213.2.13-2.14"].map((name) => ({
    file: `${GROUPS}__id.${name}.json`,
    pointer: "/properties/server_group/properties/policies/prefixItems/0",
    keyword: "enum",
  })),
  // a key pair named with the characters 2.92 allows is listed and shown with its name at every
  // version; the index and show schemas keep the pattern names had before 2.92.
  ...["index_response.2.0-2.1", "index_response_v22.2.2-2.34", "index_response_v235.2.35-latest"].map(
    (name) => ({
      file: `${KEYPAIRS}.${name}.json`,
      pointer: "/properties/keypairs/items/properties/keypair/properties/name/allOf/1",
      keyword: "pattern",
    }),
  ),
  ...["show_response.2.0-2.1", "show_response_v22.2.2-latest"].map((name) => ({
    file: `${KEYPAIRS}__id.${name}.json`,
    pointer: "/properties/keypair/properties/name/allOf/1",
    keyword: "pattern",
  })),
  // an image with no data yet (queued) has no size: nova passes glance's null through
  {
    file: "response_body/images/GET__images__detail.detail_response.any-latest.json",
    pointer: "/properties/images/items/properties/OS-EXT-IMG-SIZE:size",
    keyword: "type",
  },
  {
    file: "response_body/images/GET__images__id.show_response.any-latest.json",
    pointer: "/properties/image/properties/OS-EXT-IMG-SIZE:size",
    keyword: "type",
  },
];

function withoutDefects(file: string, doc: object): object {
  const defects = SCHEMA_DEFECTS.filter((d) => d.file === file);
  if (defects.length === 0) return doc;
  const copy = structuredClone(doc) as Record<string, unknown>;
  for (const { pointer, keyword } of defects) {
    let node: unknown = copy;
    for (const step of pointer.split("/").slice(1))
      node = (node as Record<string, unknown> | undefined)?.[step];
    if (!node || typeof node !== "object" || !(keyword in node)) {
      throw new Error(`${file}: no ${keyword} at ${pointer} to leave unchecked`);
    }
    delete (node as Record<string, unknown>)[keyword];
  }
  return copy;
}

let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

function compiled(file: string): ValidateFunction {
  let validate = validators.get(file);
  if (!validate) {
    // Response schemas are never the legacy soft check: an extra key is an error at every version.
    if (!ajv) {
      ajv = createNovaAjv({ legacy: false, mode: "first" });
      // nova's format checker has no mac-address checker, so the format asserts nothing there
      ajv.addFormat("mac-address", true);
      // os-networks' schemas name "string" as a format (a typo nova's checker passes over)
      ajv.addFormat("string", true);
    }
    validate = ajv.compile(withoutDefects(file, readSchema(file).doc));
    validators.set(file, validate);
  }
  return validate;
}

/**
 * What is wrong with a response body (as the client receives it: `undefined` for an empty
 * body) for this endpoint at this version, or null when every schema nova applies accepts it.
 */
export function responseProblem(ref: EndpointRef, version: ApiVersion, body: unknown): string | null {
  const schemas = applicable(lookup(ref)?.response_body, version);
  if (schemas.length === 0) return null;
  // Validate what goes on the wire: dates as strings, undefined members gone, no body as null.
  const wire = body === undefined || body === "" ? null : JSON.parse(JSON.stringify(body));
  for (const schema of schemas) {
    const validate = compiled(schema.file);
    if (validate(wire)) continue;
    const error = validate.errors![0]!;
    const at = error.instancePath || "the body";
    return `${ref.method} ${ref.path}${ref.action ? ` (${ref.action})` : ""} at ${version}: ${at} ${error.message} (${schema.file}, ${error.schemaPath})`;
  }
  return null;
}
