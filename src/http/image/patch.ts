import { isReservedProperty, READONLY_ATTRIBUTES } from "../../services/image/image.js";
import type { ImageChange } from "../../services/image/image-rules.js";
import { badRequest, forbidden, HttpFault } from "../faults.js";
import { validateImage } from "./schemas.js";

/** The PATCH media types and the JSON-patch draft each speaks (glance RequestDeserializer.update). */
const PATCH_MEDIA_TYPES: Record<string, 4 | 10> = {
  "application/openstack-images-v2.0-json-patch": 4,
  "application/openstack-images-v2.1-json-patch": 10,
};
const OPERATIONS = ["add", "remove", "replace"] as const;
type Operation = (typeof OPERATIONS)[number];

/** Path depth per operation on `locations` (the only member with a deeper path). */
const LOCATION_DEPTH: Record<Operation, number> = { add: 2, remove: 2, replace: 1 };

/** The JSON-patch draft of a PATCH's Content-Type; 415 with Accept-Patch for any other type. */
export function patchDraft(contentType: string | undefined): 4 | 10 {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  const draft = PATCH_MEDIA_TYPES[type];
  if (draft !== undefined) return draft;
  const allowed = Object.keys(PATCH_MEDIA_TYPES).sort().join(", ");
  throw new HttpFault(415, `Image PATCH expects Content-Type one of: ${allowed}`, {
    "Accept-Patch": allowed,
  });
}

/** A JSON pointer (RFC 6901, the limited form Glance accepts) to its decoded parts. */
function decodePointer(pointer: unknown): string[] {
  if (typeof pointer !== "string")
    throw badRequest(`Pointer \`${String(pointer)}\` does not start with "/".`);
  if (!pointer.startsWith("/")) throw badRequest(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) throw badRequest(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith("/")) throw badRequest(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === "/")
    throw badRequest(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith("~")) {
    throw badRequest(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .replace(/^\/+/, "")
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~").trim());
}

function operationOf(raw: Record<string, unknown>, draft: 4 | 10): { op: Operation; pointer: unknown } {
  const available = OPERATIONS.join(", ");
  if (draft === 10) {
    const op = raw.op;
    if (op === undefined) {
      throw badRequest(
        `Unable to find \`op\` in JSON Schema change. It must be one of the following: ${available}.`,
      );
    }
    if (!(OPERATIONS as readonly unknown[]).includes(op)) {
      throw badRequest(
        `Invalid operation: \`${String(op)}\`. It must be one of the following: ${available}.`,
      );
    }
    if (!Object.hasOwn(raw, "path")) throw badRequest("Unable to find 'path' in JSON Schema change");
    return { op: op as Operation, pointer: raw.path };
  }
  const ops = OPERATIONS.filter((key) => Object.hasOwn(raw, key));
  if (ops.length > 1) {
    throw badRequest('Operation objects must contain only one member named "add", "remove", or "replace".');
  }
  if (ops.length === 0) {
    throw badRequest(
      'Operation objects must contain exactly one member named "add", "remove", or "replace".',
    );
  }
  return { op: ops[0]!, pointer: raw[ops[0]!] };
}

/**
 * A PATCH body (a JSON array of operations) to image changes, refusing what Glance's
 * deserializer refuses: malformed operations and pointers (400), read-only and reserved
 * members (403), values the image schema rejects (400).
 */
export function parsePatch(body: unknown, draft: 4 | 10): ImageChange[] {
  if (body === undefined || body === null) throw badRequest("Body expected in request.");
  if (!Array.isArray(body)) throw badRequest("Request body must be a JSON array of operation objects.");
  return body.map((raw: unknown) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      throw badRequest("Operations must be JSON objects.");
    }
    const record = raw as Record<string, unknown>;
    const { op, pointer } = operationOf(record, draft);
    const path = decodePointer(pointer);
    const root = path[0]!;
    const depth = root === "locations" ? LOCATION_DEPTH[op] : 1;
    if (path.length !== depth)
      throw badRequest(`Invalid JSON pointer for this resource: '/${path.join("/")}'`);
    if (op !== "remove" && !Object.hasOwn(record, "value")) {
      throw badRequest(`Operation "${op}" requires a member named "value".`);
    }
    if (READONLY_ATTRIBUTES.has(root)) throw forbidden(`Attribute '${root}' is read-only.`);
    if (isReservedProperty(root) && root !== "locations") throw forbidden(`Attribute '${root}' is reserved.`);
    const change: ImageChange = { op, path: root, ...(draft === 4 ? { strictAdd: true } : {}) };
    if (op !== "remove") {
      change.value = record.value;
      validateImage(path.length === 1 ? { [root]: record.value } : { [root]: [record.value] });
    }
    return change;
  });
}
