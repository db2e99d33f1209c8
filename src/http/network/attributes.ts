import { HttpFault } from "../faults.js";

/**
 * One attribute of a resource, as neutron-lib's RESOURCE_ATTRIBUTE_MAP describes it. The
 * body validation, the view, the filters, `fields=`, sorting and the extension list all
 * read these, so an attribute is added in one place.
 */
export interface Attribute {
  /** The key of the service record that holds it (the wire name may have a colon). */
  field: string;
  /** The extension that brings it, or "core". */
  extension: string;
  allowPost: boolean;
  allowPut: boolean;
  /** A POST must carry it (allow_post without a default). */
  required?: boolean;
  isVisible: boolean;
  /** Usable as a `?name=value` filter and a sort key. */
  isFilter: boolean;
  /** Shown to (and filtered by) admins only, as Neutron's policy hides binding:* and provider:*. */
  adminOnly?: boolean;
  /** Checks and converts a body value; throws a message when it is not valid. */
  convert?: (value: unknown, name: string) => unknown;
  /** Converts a filter's query-string value to the wire value it must equal. */
  filterValue?: (text: string, name: string) => unknown;
  /**
   * The wire value, where it is not the record's `field`: an attribute nimbus derives, or
   * one it does not store, which shows what Neutron shows when nothing set it.
   */
  value?: (record: Record<string, unknown>) => unknown;
  /** Matches a record's wire value against a filter's values (any of them), for lists. */
  matches?: (value: unknown, wanted: readonly string[]) => boolean;
}

export type AttributeMap = Record<string, Attribute>;

/** A 400 as Neutron's controller raises it for a bad attribute value. */
export function invalidAttribute(name: string, reason: string): HttpFault {
  return new HttpFault(400, `Invalid input for ${name}. Reason: ${reason}.`);
}

// Validators, after neutron-lib's validators and converters.

export const string =
  (max = 255) =>
  (value: unknown, name: string): string => {
    if (typeof value !== "string") throw invalidAttribute(name, `'${String(value)}' is not a valid string`);
    if (value.length > max) throw invalidAttribute(name, `'${value}' exceeds maximum length of ${max}`);
    return value;
  };

export const nullableString =
  (max = 255) =>
  (value: unknown, name: string): string | null =>
    value === null ? null : string(max)(value, name);

/** neutron-lib's convert_to_boolean: booleans, and "true"/"false"/"1"/"0" in any case. */
export function boolean(value: unknown, name: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === "string") {
    const text = value.toLowerCase();
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
  }
  throw invalidAttribute(name, `'${String(value)}' cannot be converted to boolean`);
}

export const integer =
  (min: number, max: number) =>
  (value: unknown, name: string): number => {
    const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== "number" || !Number.isInteger(n))
      throw invalidAttribute(name, `'${String(value)}' is not an integer`);
    if (n < min) throw invalidAttribute(name, `'${n}' is too small - must be at least '${min}'`);
    if (n > max) throw invalidAttribute(name, `'${n}' is too large - must be no larger than '${max}'`);
    return n;
  };

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function uuid(value: unknown, name: string): string {
  if (typeof value !== "string" || !UUID.test(value))
    throw invalidAttribute(name, `'${String(value)}' is not a valid UUID`);
  return value;
}

export const oneOf =
  <T extends string>(values: readonly T[], nullable = false) =>
  (value: unknown, name: string): T | null => {
    if (nullable && value === null) return null;
    if (typeof value !== "string" || !values.includes(value as T))
      throw invalidAttribute(name, `'${String(value)}' is not in ${JSON.stringify(values)}`);
    return value as T;
  };

export const listOf =
  <T>(item: (value: unknown, name: string) => T) =>
  (value: unknown, name: string): T[] => {
    if (!Array.isArray(value)) throw invalidAttribute(name, `'${JSON.stringify(value)}' is not a list`);
    return value.map((v) => item(v, name));
  };

/** A dict with these keys (each optional unless required), nothing else. */
export const dictOf =
  (keys: Record<string, { convert: (value: unknown, name: string) => unknown; required?: boolean }>) =>
  (value: unknown, name: string): Record<string, unknown> => {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw invalidAttribute(name, `'${JSON.stringify(value)}' is not a dictionary`);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      // own keys only: a body's "__proto__" or "constructor" names no attribute
      const spec = Object.hasOwn(keys, key) ? keys[key] : undefined;
      if (!spec) throw invalidAttribute(name, `Unrecognized key '${key}' in '${JSON.stringify(value)}'`);
      out[key] = spec.convert(v, name);
    }
    for (const [key, spec] of Object.entries(keys)) {
      if (spec.required && !(key in out))
        throw invalidAttribute(name, `Validation of dictionary's keys failed. Expected keys: {'${key}'}`);
    }
    return out;
  };

/** Filter values of booleans and integers are written as text in the query string. */
export const booleanFilter = (text: string, name: string): unknown => boolean(text, name);
export const integerFilter = (text: string, name: string): unknown =>
  integer(-(2 ** 53), 2 ** 53)(text, name);

/** A list attribute matches when it holds any of the wanted values. */
export const listMatches = (value: unknown, wanted: readonly string[]): boolean =>
  Array.isArray(value) && value.some((v) => wanted.includes(String(v)));

/** The standard attributes every core resource has (standard-attr-* extensions, project-id). */
export function standardAttributes(): AttributeMap {
  return {
    id: {
      field: "id",
      extension: "core",
      allowPost: false,
      allowPut: false,
      isVisible: true,
      isFilter: true,
    },
    project_id: {
      field: "project_id",
      extension: "project-id",
      allowPost: true,
      allowPut: false,
      isVisible: true,
      isFilter: true,
      convert: string(255),
    },
    tenant_id: {
      field: "project_id",
      extension: "core",
      allowPost: true,
      allowPut: false,
      isVisible: true,
      isFilter: true,
      convert: string(255),
    },
    description: {
      field: "description",
      extension: "standard-attr-description",
      allowPost: true,
      allowPut: true,
      isVisible: true,
      isFilter: true,
      convert: string(255),
    },
    tags: {
      field: "tags",
      extension: "standard-attr-tag",
      allowPost: false,
      allowPut: false,
      isVisible: true,
      isFilter: false,
    },
    revision_number: {
      field: "revision_number",
      extension: "standard-attr-revisions",
      allowPost: false,
      allowPut: false,
      isVisible: true,
      isFilter: true,
      filterValue: integerFilter,
    },
    created_at: {
      field: "created_at",
      extension: "standard-attr-timestamp",
      allowPost: false,
      allowPut: false,
      isVisible: true,
      isFilter: true,
    },
    updated_at: {
      field: "updated_at",
      extension: "standard-attr-timestamp",
      allowPost: false,
      allowPut: false,
      isVisible: true,
      isFilter: true,
    },
  };
}

/** The wire attributes the caller may see. */
function visible(map: AttributeMap, isAdmin: boolean): Array<[string, Attribute]> {
  return Object.entries(map).filter(([, a]) => a.isVisible && (isAdmin || !a.adminOnly));
}

/** Renders a service record as Neutron shows it to this caller. */
export function render(map: AttributeMap, record: object, isAdmin: boolean): Record<string, unknown> {
  const fields = record as Record<string, unknown>;
  return Object.fromEntries(
    visible(map, isAdmin).map(([name, a]) => [name, a.value ? a.value(fields) : fields[a.field]]),
  );
}

/**
 * Checks a request body's resource against the attribute map and turns it into service
 * changes: unknown attributes, ones the operation may not set and bad values are 400s, and
 * a POST must carry the required ones.
 */
export function parseBody(
  map: AttributeMap,
  body: unknown,
  operation: "POST" | "PUT",
): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpFault(400, "Body contains invalid data");
  const input = body as Record<string, unknown>;
  const unknown = Object.keys(input).filter((k) => !Object.hasOwn(map, k));
  if (unknown.length > 0) throw new HttpFault(400, `Unrecognized attribute(s) '${unknown.join(", ")}'`);
  const changes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const attribute = map[name]!;
    if (operation === "POST" && !attribute.allowPost)
      throw new HttpFault(400, `Attribute '${name}' not allowed in POST`);
    if (operation === "PUT" && !attribute.allowPut)
      throw new HttpFault(400, `Cannot update read-only attribute ${name}`);
    const converted = attribute.convert ? attribute.convert(value, name) : value;
    const earlier = changes[attribute.field];
    // project_id and tenant_id are one field: both may come, but they must agree
    if (earlier !== undefined && earlier !== converted)
      throw new HttpFault(400, "Both project_id and tenant_id passed as attributes, and they differ");
    changes[attribute.field] = converted;
  }
  if (operation === "POST") {
    for (const [name, attribute] of Object.entries(map)) {
      if (attribute.required && changes[attribute.field] === undefined)
        throw new HttpFault(400, `Failed to parse request. Required attribute '${name}' not specified`);
    }
  }
  return changes;
}

/** Query parameters that are not filters. */
const RESERVED = new Set([
  "fields",
  "sort_key",
  "sort_dir",
  "limit",
  "marker",
  "page_reverse",
  "tags",
  "tags-any",
  "not-tags",
  "not-tags-any",
]);

export interface ListQuery {
  filters: Array<{ name: string; attribute: Attribute; values: string[] }>;
  fields: string[];
  sort: Array<{ name: string; descending: boolean }>;
  limit: number | undefined;
  marker: string | undefined;
  pageReverse: boolean;
  tags: { all: string[]; any: string[]; notAll: string[]; notAny: string[] };
}

/**
 * Reads a list request's query string against the attribute map. An unknown filter or sort
 * key is a 400, as Neutron's filter-validation extension answers.
 */
export function parseListQuery(map: AttributeMap, query: URLSearchParams, isAdmin: boolean): ListQuery {
  const names = new Map(visible(map, isAdmin));
  const filters = new Map<string, string[]>();
  for (const [key, value] of query) {
    if (RESERVED.has(key)) continue;
    const attribute = names.get(key);
    if (!attribute?.isFilter) throw new HttpFault(400, `[${key}] is invalid attribute for filtering`);
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  const sortKeys = query.getAll("sort_key");
  const sortDirs = query.getAll("sort_dir");
  if (sortDirs.length > 0 && sortDirs.length !== sortKeys.length)
    throw new HttpFault(400, "The number of sort_keys and sort_dirs must be same");
  const sort = sortKeys.map((name, i) => {
    if (!names.get(name)?.isFilter) throw new HttpFault(400, `[${name}] is invalid attribute for sort_keys`);
    const dir = sortDirs[i] ?? "asc";
    if (dir !== "asc" && dir !== "desc")
      throw new HttpFault(400, `${dir} is invalid value for sort_dirs, valid values are 'asc' and 'desc'`);
    return { name, descending: dir === "desc" };
  });
  const limitText = query.get("limit");
  let limit: number | undefined;
  if (limitText !== null) {
    if (!/^\d+$/.test(limitText))
      throw new HttpFault(400, `Limit must be an integer 0 or greater and not '${limitText}'`);
    limit = Number(limitText) === 0 ? undefined : Number(limitText);
  }
  const tagList = (key: string) =>
    query
      .getAll(key)
      .flatMap((v) => v.split(","))
      .filter((t) => t !== "");
  return {
    filters: [...filters].map(([name, values]) => {
      const attribute = names.get(name)!;
      return { name, attribute, values };
    }),
    fields: query.getAll("fields").filter((f) => f !== ""),
    sort,
    limit,
    marker: query.get("marker") ?? undefined,
    pageReverse: boolean(query.get("page_reverse") ?? "false", "page_reverse"),
    tags: {
      all: tagList("tags"),
      any: tagList("tags-any"),
      notAll: tagList("not-tags"),
      notAny: tagList("not-tags-any"),
    },
  };
}

/** Whether a rendered resource passes every filter (repeated values of one filter: any of them). */
export function passes(resource: Record<string, unknown>, query: ListQuery): boolean {
  for (const { name, attribute, values } of query.filters) {
    const value = resource[name];
    if (attribute.matches) {
      if (!attribute.matches(value, values)) return false;
      continue;
    }
    const wanted = values.map((v) => (attribute.filterValue ? attribute.filterValue(v, name) : v));
    if (!wanted.some((w) => w === value || (value === null && w === ""))) return false;
  }
  const tags = (resource.tags as string[] | undefined) ?? [];
  const { all, any, notAll, notAny } = query.tags;
  if (all.length > 0 && !all.every((t) => tags.includes(t))) return false;
  if (any.length > 0 && !any.some((t) => tags.includes(t))) return false;
  if (notAll.length > 0 && notAll.every((t) => tags.includes(t))) return false;
  if (notAny.length > 0 && notAny.some((t) => tags.includes(t))) return false;
  return true;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return a ? 1 : -1;
  return String(a) < String(b) ? -1 : 1;
}

/** Sorts by the requested keys, then by id, as Neutron's pagination needs a total order. */
export function sortResources(resources: Array<Record<string, unknown>>, query: ListQuery): void {
  const keys = [
    ...query.sort,
    ...(query.sort.some((s) => s.name === "id") ? [] : [{ name: "id", descending: false }]),
  ];
  resources.sort((x, y) => {
    for (const { name, descending } of keys) {
      const c = compare(x[name], y[name]);
      if (c !== 0) return descending ? -c : c;
    }
    return 0;
  });
}

/** Keeps only the `fields=` asked for (all when none are). */
export function pickFields(
  resource: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  if (fields.length === 0) return resource;
  return Object.fromEntries(Object.entries(resource).filter(([k]) => fields.includes(k)));
}
