import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { ValidationError } from "../../services/identity/errors.js";
import type { AuthRequest, AuthScope } from "../../services/identity/identity-service.js";

/**
 * Request bodies of the identity API, as Keystone's JSON Schemas have them
 * (keystone/auth/schema.py, resource/schema.py, identity/schema.py,
 * assignment/schema.py): extra properties are allowed, as there.
 */
const ajv = new Ajv({ allErrors: false, strict: false });

const idRef = {
  type: "object",
  properties: { id: { type: "string" }, name: { type: "string" } },
} as const;

const authSchema = {
  type: "object",
  required: ["auth"],
  properties: {
    auth: {
      type: "object",
      required: ["identity"],
      properties: {
        identity: {
          type: "object",
          required: ["methods"],
          properties: {
            methods: { type: "array", items: { type: "string" } },
            password: {
              type: "object",
              properties: {
                user: {
                  type: "object",
                  properties: {
                    id: { type: "string" },
                    name: { type: "string" },
                    password: { type: "string" },
                    domain: idRef,
                  },
                },
              },
            },
            token: { type: "object", required: ["id"], properties: { id: { type: "string" } } },
          },
        },
        // An object, or the string "unscoped" (older keystoneauth sends {"unscoped": {}}).
        scope: {
          type: ["object", "string"],
          properties: {
            project: {
              type: "object",
              properties: { id: { type: "string" }, name: { type: "string" }, domain: idRef },
            },
            domain: idRef,
            "OS-TRUST:trust": { type: "object", properties: { id: { type: "string" } } },
            system: { type: "object", properties: { all: { type: "boolean" } } },
          },
        },
      },
    },
  },
} as const;

const name64 = { type: "string", minLength: 1, maxLength: 64 } as const;
const name255 = { type: "string", minLength: 1, maxLength: 255 } as const;
const idString = { type: "string", minLength: 1, maxLength: 64, pattern: "^[a-zA-Z0-9-_]+$" } as const;
const nullableString = { type: ["string", "null"] } as const;

const projectProperties = {
  name: name64,
  description: nullableString,
  enabled: { type: "boolean" },
  domain_id: { type: ["string", "null"] },
  parent_id: { type: ["string", "null"] },
  is_domain: { type: "boolean" },
  tags: { type: "array", items: { type: "string" } },
  options: { type: "object" },
} as const;

const userProperties = {
  name: name255,
  domain_id: idString,
  default_project_id: { type: ["string", "null"] },
  enabled: { type: "boolean" },
  password: nullableString,
  email: nullableString,
  description: nullableString,
  options: { type: "object" },
} as const;

const roleProperties = {
  name: name255,
  description: nullableString,
  domain_id: { type: ["string", "null"] },
  options: { type: "object" },
} as const;

function wrapped(key: string, properties: object, required: string[], minProperties = 0) {
  return {
    type: "object",
    required: [key],
    properties: { [key]: { type: "object", properties, required, minProperties } },
  };
}

const validators = {
  auth: ajv.compile(authSchema),
  projectCreate: ajv.compile(wrapped("project", projectProperties, ["name"])),
  projectUpdate: ajv.compile(wrapped("project", projectProperties, [], 1)),
  userCreate: ajv.compile(wrapped("user", userProperties, ["name"])),
  userUpdate: ajv.compile(wrapped("user", userProperties, [], 1)),
  roleCreate: ajv.compile(wrapped("role", roleProperties, ["name"])),
} satisfies Record<string, ValidateFunction>;

export type BodyKind = keyof typeof validators;

/** Keystone's SchemaValidationError wording: which field, and what is wrong with it. */
function describe(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, "").replace(/~1/g, "/").replace(/~0/g, "~");
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  if (missing !== undefined) {
    return path === ""
      ? `'${missing}' is a required property`
      : `Invalid input for field '${path}': '${missing}' is a required property`;
  }
  return `Invalid input for field '${path}': ${error.message ?? "is invalid"}`;
}

/** Checks a request body against Keystone's schema; throws ValidationError (400). */
// biome-ignore lint/suspicious/noExplicitAny: the shape is guaranteed by the schema just checked
export function validateBody(kind: BodyKind, body: unknown): any {
  if (body === null || body === undefined || typeof body !== "object" || Array.isArray(body)) {
    throw new ValidationError(
      "Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.",
    );
  }
  const validate = validators[kind];
  if (!validate(body)) throw new ValidationError(describe(validate.errors![0]!));
  return body;
}

interface IdRef {
  id?: string;
  name?: string;
}

function requireIdOrName(ref: IdRef | undefined, field: string): void {
  if (ref !== undefined && ref.id === undefined && ref.name === undefined) {
    throw new ValidationError(`Invalid input for field ${field}: id or name must be present.`);
  }
}

/** Turns a `POST /v3/auth/tokens` body into the service's AuthRequest (after Keystone's extra checks). */
export function parseAuthRequest(body: unknown): AuthRequest {
  const { auth } = validateBody("auth", body) as {
    auth: {
      identity: {
        methods: string[];
        password?: { user?: IdRef & { password?: string; domain?: IdRef } };
        token?: { id: string };
      };
      scope?: string | Record<string, (IdRef & { domain?: IdRef }) | undefined>;
    };
  };
  const { identity } = auth;
  const user = identity.password?.user;
  if (identity.password !== undefined && user === undefined) {
    throw new ValidationError("Invalid input for field identity/password: 'user' is a required property");
  }
  requireIdOrName(user, "identity/password/user");
  requireIdOrName(user?.domain, "identity/password/user/domain");

  let scope: AuthScope = { kind: "default" };
  const s = auth.scope;
  if (s === "unscoped" || (typeof s === "object" && s.unscoped !== undefined)) {
    scope = { kind: "unscoped" };
  } else if (typeof s === "string") {
    throw new ValidationError(`Invalid input for field 'scope': '${s}' is not a supported scope`);
  } else if (s?.project) {
    requireIdOrName(s.project, "scope/project");
    requireIdOrName(s.project.domain, "scope/project/domain");
    scope = { kind: "project", project: s.project };
  } else if (s?.domain) {
    requireIdOrName(s.domain, "scope/domain");
    scope = { kind: "domain", domain: s.domain };
  } else if (s?.system) {
    scope = { kind: "system" };
  } else if (s?.["OS-TRUST:trust"]) {
    scope = { kind: "trust" };
  }
  return {
    methods: identity.methods,
    password: user ? { user } : undefined,
    token: identity.token,
    scope,
  };
}
