import type { ImageRecord } from "../../store/image-repository.js";
import type { AuthContext } from "../context.js";
import { Conflict, Forbidden, InvalidInput } from "../errors.js";
import { ImageLimitExceeded } from "./errors.js";
import {
  IMAGE_VISIBILITIES,
  isBaseAttribute,
  isReservedProperty,
  MAX_DB_INT,
  PROPERTY_QUOTA,
  READONLY_ATTRIBUTES,
  TAG_QUOTA,
} from "./image.js";
import { canModify, canSetVisibility } from "./image-policy.js";

// What Glance lets an image hold (visibility, property names, quotas, integer columns) and
// how one PATCH operation changes it: the rules the image service applies before it saves.

/**
 * One operation of an image PATCH, on a top-level member (`path` is the member's name):
 * a base attribute or an extra property. `strictAdd` is the v2.0 patch media type's rule
 * that `add` must not meet an existing member.
 */
export interface ImageChange {
  op: "add" | "replace" | "remove";
  path: string;
  value?: unknown;
  strictAdd?: boolean;
}

export function checkVisibility(ctx: AuthContext, visibility: string): void {
  if (!(IMAGE_VISIBILITIES as readonly string[]).includes(visibility)) {
    throw new InvalidInput('Visibility must be one of "community", "public", "private", or "shared"');
  }
  if (!canSetVisibility(ctx, visibility)) {
    throw new Forbidden(
      `You are not authorized to complete ${visibility === "public" ? "publicize" : "communitize"}_image action.`,
    );
  }
}

export function checkPropertyNames(keys: string[]): void {
  for (const key of keys) {
    if (key.length > 255)
      throw new InvalidInput("Custom property should not be greater than 255 characters.");
    if (isReservedProperty(key)) throw new Forbidden(`Attribute '${key}' is reserved.`);
    if (READONLY_ATTRIBUTES.has(key) || isBaseAttribute(key))
      throw new Forbidden(`Attribute '${key}' is read-only.`);
  }
}

export function checkQuotas(properties: Record<string, unknown>, tags: string[]): void {
  const count = Object.keys(properties).length;
  if (count > PROPERTY_QUOTA) {
    throw new ImageLimitExceeded(
      `The limit has been exceeded on the number of allowed image properties. Attempted: ${count}, Maximum: ${PROPERTY_QUOTA}`,
    );
  }
  if (tags.length > TAG_QUOTA) {
    throw new ImageLimitExceeded(
      `The limit has been exceeded on the number of allowed image tags. Attempted: ${tags.length}, Maximum: ${TAG_QUOTA}`,
    );
  }
}

export function uniqueTags(tags: string[]): string[] {
  return [...new Set(tags)];
}

/** Glance's check before an image is saved: min_disk and min_ram must fit its INTEGER columns. */
export function checkDbIntegers(record: Pick<ImageRecord, "minDisk" | "minRam">): void {
  for (const [param, value] of [
    ["min_disk", record.minDisk],
    ["min_ram", record.minRam],
  ] as const) {
    if (value > MAX_DB_INT)
      throw new InvalidInput(`'${param}' value out of range, must not exceed ${MAX_DB_INT}.`);
  }
}

export function nonNegative(param: string, value: number): number {
  if (value < 0)
    throw new InvalidInput(`Invalid value '${value}' for parameter '${param}': Cannot be a negative value.`);
  return value;
}

/** One PATCH operation against the draft of an image (Glance's ImagesController._do_*). */
export function applyChange(ctx: AuthContext, draft: ImageRecord, change: ImageChange): void {
  const key = change.path;
  if (key === "locations") {
    const verb = change.op === "add" ? "add" : change.op === "remove" ? "remove" : "update";
    throw new Forbidden(`It's not allowed to ${verb} locations if locations are invisible.`);
  }
  if (READONLY_ATTRIBUTES.has(key)) throw new Forbidden(`Attribute '${key}' is read-only.`);
  if (isReservedProperty(key)) throw new Forbidden(`Attribute '${key}' is reserved.`);
  if (key === "owner" && change.op !== "remove" && !ctx.isAdmin && change.value !== draft.owner) {
    throw new Forbidden("Owner can't be updated by non admin.");
  }
  if (key === "visibility" && change.op !== "remove") checkVisibility(ctx, String(change.value));
  if (!canModify(ctx, draft)) throw new Forbidden("You are not authorized to complete modify_image action.");

  if (isBaseAttribute(key)) {
    if (change.op === "remove") throw new Forbidden(`Property ${key} may not be removed.`);
    if (change.op === "add" && change.strictAdd) throw new Conflict(`Property ${key} already present.`);
    setBaseAttribute(draft, key, change.value);
    return;
  }
  const present = Object.hasOwn(draft.properties, key);
  switch (change.op) {
    case "add":
      if (present && change.strictAdd) throw new Conflict(`Property ${key} already present.`);
      draft.properties[key] = propertyValue(key, change.value);
      return;
    case "replace":
      if (!present) throw new Conflict(`Property ${key} does not exist.`);
      draft.properties[key] = propertyValue(key, change.value);
      return;
    case "remove":
      if (!present) throw new Conflict(`Property ${key} does not exist.`);
      delete draft.properties[key];
      return;
  }
}

function propertyValue(key: string, value: unknown): string | null {
  if (key.length > 255) throw new InvalidInput("Custom property should not be greater than 255 characters.");
  if (typeof value === "string" || value === null) return value;
  throw new InvalidInput(
    `Provided object does not match schema 'image': ${JSON.stringify(value)} is not of type 'string'`,
  );
}

function setBaseAttribute(draft: ImageRecord, key: string, value: unknown): void {
  const invalid = (type: string) =>
    new InvalidInput(
      `Provided object does not match schema 'image': ${JSON.stringify(value)} is not of type '${type}'`,
    );
  const optionalString = () => {
    if (value !== null && typeof value !== "string") throw invalid("string");
    return value;
  };
  const integer = (param: string) => {
    if (typeof value !== "number" || !Number.isInteger(value)) throw invalid("integer");
    return nonNegative(param, value);
  };
  const flag = () => {
    if (typeof value !== "boolean") throw invalid("boolean");
    return value;
  };
  switch (key) {
    case "name":
      draft.name = optionalString();
      return;
    case "owner":
      draft.owner = optionalString();
      return;
    case "visibility":
      draft.visibility = String(value);
      return;
    case "protected":
      draft.protected = flag();
      return;
    case "os_hidden":
      draft.osHidden = flag();
      return;
    case "min_disk":
      draft.minDisk = integer("min_disk");
      return;
    case "min_ram":
      draft.minRam = integer("min_ram");
      return;
    case "tags":
      if (!Array.isArray(value) || !value.every((tag) => typeof tag === "string")) throw invalid("array");
      draft.tags = uniqueTags(value);
      return;
    case "disk_format":
    case "container_format": {
      // Glance's domain: the formats are fixed once data is on its way
      if (draft.status !== "queued" && draft.status !== "importing") {
        throw new Forbidden(`Attribute ${key} can be only replaced for a queued image.`);
      }
      const format = optionalString();
      if (key === "disk_format") draft.diskFormat = format;
      else draft.containerFormat = format;
      return;
    }
  }
  throw new Forbidden(`Attribute '${key}' is read-only.`);
}
