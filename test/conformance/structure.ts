/**
 * Structural comparison of a JSON document with a reference sample: same keys at every
 * level, same nesting, same value types. Values themselves are never compared.
 *
 * Paths name a position in the document: `$` is the root, `.key` an object member,
 * `[i]` an array element and `{key}` an entry of a map (an object whose keys are data,
 * such as server metadata or addresses by network name).
 */

export type JsonType = "string" | "number" | "boolean" | "null" | "object" | "array";

/**
 * - `missing`: the sample has the key, ours does not.
 * - `extra`: ours has a key the sample does not.
 * - `type`: the value types differ (a nesting change shows up as object/array vs another type).
 * - `empty`: the sample's array or map has entries, ours is empty, so their structure goes unchecked.
 * - `nonempty`: ours has entries where the sample's array or map is empty, so they go unchecked.
 */
export type DifferenceKind = "missing" | "extra" | "type" | "empty" | "nonempty";

export interface Difference {
  readonly path: string;
  readonly kind: DifferenceKind;
  /** What the sample has there (a type, or "absent"). */
  readonly expected: string;
  /** What ours has there. */
  readonly actual: string;
}

export interface CompareOptions {
  /** Path patterns (see {@link pathMatches}) of objects whose keys are data, not structure. */
  readonly maps?: readonly string[];
}

export function jsonType(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "object":
      return "object";
    default:
      throw new Error(`not a JSON value: ${typeof value}`);
  }
}

const patternCache = new Map<string, RegExp>();

/**
 * Whether `path` matches `pattern`. In a pattern `**` stands for any run of segments,
 * `*` for one object key, `[]` for any array index and `{}` for any map entry; everything
 * else is literal. `**.metadata` thus matches `$.server.metadata` and `$.servers[0].metadata`.
 */
export function pathMatches(pattern: string, path: string): boolean {
  let regex = patternCache.get(pattern);
  if (!regex) {
    let source = "";
    for (let i = 0; i < pattern.length; i++) {
      const rest = pattern.slice(i);
      if (rest.startsWith("**")) {
        source += ".*";
        i++;
      } else if (rest.startsWith("[]")) {
        source += "\\[\\d+\\]";
        i++;
      } else if (rest.startsWith("{}")) {
        source += "\\{[^}]*\\}";
        i++;
      } else if (rest.startsWith("*")) {
        source += "[^.[{]+";
      } else {
        source += rest[0]!.replace(/[\\^$.|?+()[\]{}]/g, "\\$&");
      }
    }
    regex = new RegExp(`^${source}$`);
    patternCache.set(pattern, regex);
  }
  return regex.test(path);
}

function describe(value: unknown): string {
  const type = jsonType(value);
  if (type === "array") return (value as unknown[]).length === 0 ? "empty array" : "array";
  if (type === "object") return Object.keys(value as object).length === 0 ? "empty object" : "object";
  return type;
}

/**
 * Every structural difference between `actual` and the `sample`, in document order.
 * Arrays are compared element by element: ours `[i]` against the sample's `[i]`, or
 * against the sample's first element where the sample is shorter (element counts are
 * data). Map entries are compared against the sample's first entry.
 */
export function compareStructure(
  sample: unknown,
  actual: unknown,
  options: CompareOptions = {},
): Difference[] {
  const out: Difference[] = [];
  const isMap = (path: string) => (options.maps ?? []).some((p) => pathMatches(p, path));

  const walk = (expected: unknown, got: unknown, path: string): void => {
    const te = jsonType(expected);
    const ta = jsonType(got);
    if (te !== ta) {
      out.push({ path, kind: "type", expected: te, actual: ta });
      return;
    }
    if (te === "array") {
      const e = expected as unknown[];
      const a = got as unknown[];
      if (e.length > 0 && a.length === 0) {
        out.push({ path, kind: "empty", expected: "array", actual: "empty array" });
      } else if (e.length === 0 && a.length > 0) {
        out.push({ path, kind: "nonempty", expected: "empty array", actual: "array" });
      } else {
        for (const [i, item] of a.entries()) walk(e[i] ?? e[0], item, `${path}[${i}]`);
      }
      return;
    }
    if (te !== "object") return;
    const e = expected as Record<string, unknown>;
    const a = got as Record<string, unknown>;
    if (isMap(path)) {
      const first = Object.values(e)[0];
      const entries = Object.entries(a);
      if (first === undefined && entries.length > 0) {
        out.push({ path, kind: "nonempty", expected: "empty object", actual: "object" });
      } else if (first !== undefined && entries.length === 0) {
        out.push({ path, kind: "empty", expected: "object", actual: "empty object" });
      } else {
        for (const [key, value] of entries) walk(key in e ? e[key] : first, value, `${path}{${key}}`);
      }
      return;
    }
    for (const [key, value] of Object.entries(e)) {
      if (!(key in a))
        out.push({ path: `${path}.${key}`, kind: "missing", expected: describe(value), actual: "absent" });
      else walk(value, a[key], `${path}.${key}`);
    }
    for (const [key, value] of Object.entries(a)) {
      if (!(key in e))
        out.push({ path: `${path}.${key}`, kind: "extra", expected: "absent", actual: describe(value) });
    }
  };

  walk(sample, actual, "$");
  return out;
}

export function formatDifference(d: Difference): string {
  return `${d.kind} at ${d.path}: sample has ${d.expected}, nimbus has ${d.actual}`;
}
