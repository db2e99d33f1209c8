import type { ImageVisibility } from "../../services/image/image.js";
import {
  COMPARE_OPS,
  type CompareOp,
  type ImageListQuery,
  SORT_KEYS,
  type SortDir,
  type SortKey,
} from "../../services/image/image-query.js";
import { badRequest } from "../faults.js";

/** Query parameters that are no filters. */
const CONTROL_PARAMS = new Set(["limit", "marker", "member_status", "tag", "sort", "sort_key", "sort_dir"]);

/** An ISO 8601 date-time, as oslo's parse_isotime accepts one (date, optional time and zone). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** glance.common.utils.split_filter_op: `op:value`, unless the whole value is a time. */
function splitFilterOp(expression: string): [op: string, value: string] {
  const at = expression.indexOf(":");
  if (at < 0 || ISO_TIME.test(expression)) return ["eq", expression];
  return [expression.slice(0, at), expression.slice(at + 1)];
}

/** glance.common.utils.split_filter_value_for_quotes: `a,"b, c",d` → [a, "b, c", d]. */
export function splitInValues(value: string): string[] {
  let open = false;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '"' || (i > 0 && value[i - 1] === "\\")) continue;
    if (!open && i > 0 && value[i - 1] !== ",") {
      throw badRequest(`Invalid filter value ${value}. There is no comma before opening quotation mark.`);
    }
    if (open && i + 1 !== value.length && value[i + 1] !== ",") {
      throw badRequest(`Invalid filter value ${value}. There is no comma after closing quotation mark.`);
    }
    open = !open;
  }
  if (open) throw badRequest(`Invalid filter value ${value}. The quote is not closed.`);
  const values: string[] = [];
  for (const match of value.matchAll(/"([^"\\]*(?:\\.[^"\\]*)*)",?|([^,]+),?|,/g)) {
    values.push(match[1] ?? match[2] ?? "");
  }
  return values;
}

/** `name=in:a,b` or `name=a`: the values an attribute may take. */
function inFilter(expression: string): string[] {
  const [op, value] = splitFilterOp(expression);
  if (op === "in") return splitInValues(value);
  if (op === "eq") return [value];
  throw badRequest(`Unable to filter by unknown operator '${op}'.`);
}

function timeFilter(name: string, expression: string): { op: CompareOp; at: number } {
  const [op, value] = splitFilterOp(expression);
  const at = ISO_TIME.test(value) ? Date.parse(value.replace(" ", "T")) : Number.NaN;
  if (Number.isNaN(at))
    throw badRequest(`Bad "${name}" query filter format. Use ISO 8601 DateTime notation.`);
  if (!(COMPARE_OPS as readonly string[]).includes(op))
    throw badRequest("Unable to filter on a unknown operator.");
  return { op: op as CompareOp, at };
}

/** Python's int() of a query value. */
function pyInt(value: string): number | undefined {
  return /^\s*[+-]?\d+\s*$/.test(value) ? Number.parseInt(value, 10) : undefined;
}

function booleanFilter(name: string, value: string, lower: boolean): boolean {
  const v = lower ? value.toLowerCase() : value;
  if (v !== "true" && v !== "false") {
    throw badRequest(`Invalid value '${value}' for '${name}' filter. Valid values are 'true' or 'false'.`);
  }
  return v === "true";
}

function sortKey(key: string): SortKey {
  if (!(SORT_KEYS as readonly string[]).includes(key)) {
    throw badRequest(`Invalid sort key: ${key}. It must be one of the following: ${SORT_KEYS.join(", ")}.`);
  }
  return key as SortKey;
}

function sortDir(dir: string): SortDir {
  if (dir !== "asc" && dir !== "desc") throw badRequest(`Invalid sort direction: ${dir}`);
  return dir;
}

/** Glance's RequestDeserializer.index: `GET /v2/images` parameters to a list query (400 on nonsense). */
export function parseListQuery(params: URLSearchParams): ImageListQuery {
  const query: ImageListQuery = {};
  const first = (name: string) => params.get(name) ?? undefined;

  const limit = first("limit");
  if (limit !== undefined) {
    const n = pyInt(limit);
    if (n === undefined) throw badRequest("limit param must be an integer");
    if (n < 0) throw badRequest("limit param must be positive");
    query.limit = n;
  }
  const marker = first("marker");
  if (marker !== undefined) query.marker = marker;
  const memberStatus = first("member_status");
  if (memberStatus !== undefined && !["pending", "accepted", "rejected", "all"].includes(memberStatus)) {
    throw badRequest(`Invalid status: ${memberStatus}`);
  }
  const tags = params.getAll("tag").map((t) => t.trim());
  if (tags.length) query.tags = tags;

  if (params.has("sort")) {
    if (params.has("sort_key") || params.has("sort_dir")) {
      throw badRequest("Old and new sorting syntax cannot be combined");
    }
    query.sortKeys = [];
    query.sortDirs = [];
    for (const part of (first("sort") ?? "").trim().split(",")) {
      const at = part.indexOf(":");
      query.sortKeys.push(sortKey((at < 0 ? part : part.slice(0, at)).trim()));
      query.sortDirs.push(sortDir(at < 0 ? "desc" : part.slice(at + 1).trim() || "desc"));
    }
  } else {
    const keys = params.getAll("sort_key").map((k) => sortKey(k.trim()));
    const dirs = params.getAll("sort_dir").map((d) => sortDir(d.trim()));
    if (dirs.length > 1 && dirs.length !== keys.length) {
      throw badRequest("Number of sort dirs does not match the number of sort keys");
    }
    if (keys.length) query.sortKeys = keys;
    if (dirs.length) query.sortDirs = dirs;
  }

  for (const name of new Set(params.keys())) {
    if (CONTROL_PARAMS.has(name)) continue;
    const value = params.get(name)!;
    switch (name) {
      case "visibility":
        if (!["community", "public", "private", "shared", "all"].includes(value)) {
          throw badRequest(`Invalid visibility value: ${value}`);
        }
        query.visibility = value as ImageVisibility | "all";
        break;
      case "changes-since":
        throw badRequest('The "changes-since" filter is no longer available on v2.');
      case "os_hidden":
        query.osHidden = booleanFilter(name, value, true);
        break;
      case "protected":
        query.protected = booleanFilter(name, value, false);
        break;
      case "id":
        query.ids = inFilter(value);
        break;
      case "name":
        query.names = inFilter(value);
        break;
      case "status":
        query.statuses = inFilter(value);
        break;
      case "container_format":
        query.containerFormats = inFilter(value);
        break;
      case "disk_format":
        query.diskFormats = inFilter(value);
        break;
      case "size_min":
      case "size_max": {
        const n = pyInt(value);
        if (n === undefined) throw badRequest("Unable to filter on a range with a non-numeric value.");
        if (name === "size_min") query.sizeMin = n;
        else query.sizeMax = n;
        break;
      }
      case "created_at":
        query.createdAt = timeFilter(name, value);
        break;
      case "updated_at":
        query.updatedAt = timeFilter(name, value);
        break;
      case "owner":
        query.owner = value;
        break;
      case "checksum":
        query.checksum = value;
        break;
      case "os_hash_value":
        query.osHashValue = value;
        break;
      case "size":
      case "virtual_size":
      case "min_disk":
      case "min_ram":
        query.attributes = { ...query.attributes, [name]: pyInt(value) ?? Number.NaN };
        break;
      default:
        // anything else is an extra property that must hold this value
        query.properties = { ...query.properties, [name]: value };
    }
  }
  return query;
}
