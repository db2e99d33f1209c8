import { badRequest } from "../faults.js";
import type { ComputeCall } from "./router.js";

/** nova's `[api] max_limit`: the largest page any list returns. */
export const MAX_LIMIT = 1000;

export interface Page {
  /** Page size: the requested limit capped at MAX_LIMIT (absent or 0: MAX_LIMIT). */
  limit: number;
  marker?: string;
}

/** The last value of a repeated query parameter, as webob's `request.GET[name]` reads it. */
export const lastValue = (query: Record<string, string[]>, name: string): string | undefined =>
  query[name]?.at(-1);

/** `limit` and `marker` as nova's common.get_limit_and_marker reads them. */
export function pageOf(query: Record<string, string[]>): Page {
  const text = lastValue(query, "limit");
  let limit = MAX_LIMIT;
  if (text !== undefined) {
    if (!/^\s*[+-]?\d+\s*$/.test(text)) throw badRequest("limit must be an integer");
    const n = Number(text);
    if (n < 0) throw badRequest("limit must be >= 0");
    if (n > 0) limit = Math.min(n, MAX_LIMIT);
  }
  return { limit, marker: lastValue(query, "marker") };
}

/**
 * `offset` as nova's common.limited reads it (the schema allows only digits); capped so
 * the database gets an integer.
 */
export function offsetOf(query: Record<string, string[]>): number {
  return Math.min(Number(lastValue(query, "offset") ?? 0), Number.MAX_SAFE_INTEGER);
}

/** nova's common.limited: the slice of a list that `offset` and `limit` ask for. */
export function limited<T>(items: readonly T[], query: Record<string, string[]>): T[] {
  const offset = offsetOf(query);
  return items.slice(offset, offset + pageOf(query).limit);
}

/**
 * `<collection>_links` with the `next` link nova adds when a page came back full, its
 * marker being the last item's id; undefined when the page was not full.
 */
export function nextLinks<T>(
  call: ComputeCall,
  collection: string,
  page: Page,
  items: T[],
  idOf: (item: T) => string,
) {
  if (items.length === 0 || items.length !== page.limit) return undefined;
  return [{ href: call.links.next(collection, idOf(items.at(-1)!)), rel: "next" }];
}
