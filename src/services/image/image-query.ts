import type { Image, ImageVisibility } from "./image.js";

/** The sort keys Glance accepts (RequestDeserializer._available_sort_keys). */
export const SORT_KEYS = [
  "name",
  "status",
  "container_format",
  "disk_format",
  "size",
  "id",
  "created_at",
  "updated_at",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = "asc" | "desc";

export const COMPARE_OPS = ["gt", "gte", "lt", "lte", "eq", "neq"] as const;
export type CompareOp = (typeof COMPARE_OPS)[number];

/** `created_at=gte:2026-01-01T00:00:00Z`: a comparison against a point in time (epoch ms). */
export interface TimeFilter {
  op: CompareOp;
  at: number;
}

/** Glance's `GET /v2/images` query, parsed. Lists of values are `in:` filters. */
export interface ImageListQuery {
  ids?: string[];
  names?: string[];
  statuses?: string[];
  containerFormats?: string[];
  diskFormats?: string[];
  /** "all" lists every visibility the caller may see; absent: Glance's default mix. */
  visibility?: ImageVisibility | "all";
  owner?: string;
  protected?: boolean;
  /** Hidden images are listed only on request (Glance's default is os_hidden=false). */
  osHidden?: boolean;
  checksum?: string;
  osHashValue?: string;
  sizeMin?: number;
  sizeMax?: number;
  createdAt?: TimeFilter;
  updatedAt?: TimeFilter;
  /** Images carrying every one of these tags. */
  tags?: string[];
  /** Numeric attributes that must hold exactly these values (NaN matches nothing). */
  attributes?: Partial<Record<"size" | "virtual_size" | "min_disk" | "min_ram", number>>;
  /** Extra properties that must hold exactly these values. */
  properties?: Record<string, string>;
  /** Sort keys; `dirs` holds one direction for all keys or one per key (default desc). */
  sortKeys?: SortKey[];
  sortDirs?: SortDir[];
  marker?: string;
  limit?: number;
}

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 1000;

type SortValue = string | number | null;

function sortValue(image: Image, key: SortKey): SortValue {
  switch (key) {
    case "name":
      return image.name;
    case "status":
      return image.status;
    case "container_format":
      return image.containerFormat;
    case "disk_format":
      return image.diskFormat;
    case "size":
      return image.size;
    case "id":
      return image.id;
    case "created_at":
      return Date.parse(image.createdAt);
    case "updated_at":
      return Date.parse(image.updatedAt);
  }
}

/** SQL's order: NULL before any value, as SQLite and MySQL sort ascending. */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * The full sort order of a listing, as glance's db layer builds it: a single direction
 * applies to every key, and created_at then id close the order (in the default direction)
 * so that it is total and markers are unambiguous.
 */
export function sortOrder(query: ImageListQuery): { key: SortKey; dir: SortDir }[] {
  const keys = query.sortKeys?.length ? [...query.sortKeys] : ["created_at" as const];
  const dirs = query.sortDirs ?? [];
  const fallback: SortDir = dirs.length === 1 ? dirs[0]! : "desc";
  const order = keys.map((key, i) => ({ key, dir: dirs.length > 1 ? (dirs[i] ?? fallback) : fallback }));
  for (const key of ["created_at", "id"] as const) {
    if (!keys.includes(key)) order.push({ key, dir: fallback });
  }
  return order;
}

export function comparator(order: { key: SortKey; dir: SortDir }[]): (a: Image, b: Image) => number {
  return (a, b) => {
    for (const { key, dir } of order) {
      const c = compareValues(sortValue(a, key), sortValue(b, key));
      if (c !== 0) return dir === "asc" ? c : -c;
    }
    return 0;
  };
}

function compareOp(value: number, filter: TimeFilter): boolean {
  switch (filter.op) {
    case "gt":
      return value > filter.at;
    case "gte":
      return value >= filter.at;
    case "lt":
      return value < filter.at;
    case "lte":
      return value <= filter.at;
    case "eq":
      return value === filter.at;
    case "neq":
      return value !== filter.at;
  }
}

/** The filters that the store does not apply: sizes, times, tags and extra properties. */
export function matchesQuery(image: Image, query: ImageListQuery): boolean {
  if (query.sizeMin !== undefined && (image.size === null || image.size < query.sizeMin)) return false;
  if (query.sizeMax !== undefined && (image.size === null || image.size > query.sizeMax)) return false;
  if (query.createdAt && !compareOp(Date.parse(image.createdAt), query.createdAt)) return false;
  if (query.updatedAt && !compareOp(Date.parse(image.updatedAt), query.updatedAt)) return false;
  if (query.tags && !query.tags.every((tag) => image.tags.includes(tag))) return false;
  const attributes = query.attributes ?? {};
  if (attributes.size !== undefined && image.size !== attributes.size) return false;
  if (attributes.virtual_size !== undefined && image.virtualSize !== attributes.virtual_size) return false;
  if (attributes.min_disk !== undefined && image.minDisk !== attributes.min_disk) return false;
  if (attributes.min_ram !== undefined && image.minRam !== attributes.min_ram) return false;
  for (const [key, value] of Object.entries(query.properties ?? {})) {
    if (image.properties[key] !== value) return false;
  }
  return true;
}

/**
 * One page of a listing: the images after `marker` in the sort order, at most `limit`.
 * `nextMarker` is set when the page is full, as Glance does (so the last page may be empty).
 */
export function page(
  images: Image[],
  query: ImageListQuery,
  marker: Image | undefined,
): { images: Image[]; nextMarker?: string } {
  const compare = comparator(sortOrder(query));
  let rows = images.filter((image) => matchesQuery(image, query)).sort(compare);
  if (marker) rows = rows.filter((image) => compare(image, marker) > 0);
  const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  rows = rows.slice(0, limit);
  const last = rows.at(-1);
  return last && rows.length === limit ? { images: rows, nextMarker: last.id } : { images: rows };
}
