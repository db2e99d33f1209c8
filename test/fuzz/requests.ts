/**
 * The fuzzer's requests: a valid request of a route (ROUTES), made by one of the callers,
 * then mutated at a few places: a body field dropped, retyped, oversized, set to an
 * extreme number or a hostile string, nested deeply or repeated into a huge array; a
 * path segment replaced (NUL, bad escapes, dots, very long); the query given repeated
 * keys, arrays, regular expressions and hostile values; the media type, the microversion
 * and the token changed. Every choice is a fast-check arbitrary, so a failing request
 * shrinks towards the valid one it came from.
 */
import fc from "fast-check";
import { ROUTES, type RouteTemplate } from "./routes.js";
import type { Caller, Fixtures, IdKind } from "./target.js";
import type { WireRequest } from "./wire.js";

/** JSON text put into a body as is: numbers JSON.stringify cannot write, and nesting too deep to build. */
class RawJson {
  constructor(readonly text: string) {}
}

type Json = null | boolean | number | string | RawJson | Json[] | { [key: string]: Json };

const API_ROOT = { identity: "/identity", image: "/image", network: "/network" } as const;
const COMPUTE_MOUNTS = ["/compute/v2.1", "/compute/v2.1/{project}", "/compute/v2", "/compute/v1.1"] as const;
const CALLERS = ["member", "admin", "reader", "none", "bogus"] as const;
type CallerName = (typeof CALLERS)[number];

/** Bytes outside the unreserved set as %XX of their UTF-8 (a lone surrogate becomes U+FFFD). */
function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Values

const EXTREME_NUMBERS = [
  1e308,
  -1e308,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  -(2 ** 63),
  5e-324,
  1.5,
  -1,
  0,
];
/** Numbers only raw JSON can carry: -0, out of double range (Infinity on parse), beyond 2^64, long decimals. */
const RAW_NUMBERS = [
  "-0",
  "1e400",
  "-1e400",
  "9223372036854775808",
  "18446744073709551616",
  "1E+2",
  "0.1e-400",
  "123456789012345678901234567890",
];
const NUMERIC_STRINGS = [
  "NaN",
  "Infinity",
  "-Infinity",
  "-0",
  "1e308",
  "2147483648",
  "9223372036854775808",
  "0x10",
  " 1",
  "1.0",
  "",
];
const HOSTILE_STRINGS = [
  "\u0000",
  "a\u0000b",
  "\u0001\u001f\u007f\u0080\u009f",
  "\ud800",
  "\udfff-lone",
  "\u202eevil",
  "💥🦄",
  "ﬀ\u0301",
  "'; DROP TABLE instances; --",
  "%00",
  "../../etc/passwd",
  "\r\nX-Injected: 1",
  "<script>alert(1)</script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template injection attempt, sent as is
  "${x}{{7*7}}",
  " leading and trailing ",
];
/** Regular expressions a name filter may be given, some of them catastrophic when backtracked. */
const REGEXES = [
  "^(a+)+$",
  "^(a|aa)+$",
  "(\\w+)*$",
  "(a*)*b",
  "(",
  "[",
  "*",
  "\\",
  "a{99999}",
  "(?<n>a)\\k<n>",
  "[\u0000-\uffff]+",
  "\\p{L}",
  ".*.*.*=.*",
  "^fuzz-[0-9]$",
];
const SIZES = [256, 4_096, 70_000, 400_000, 1_100_000];

const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.constantFrom(...NUMERIC_STRINGS),
  fc.constantFrom(...REGEXES),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(...SIZES).map((n) => "x".repeat(n)),
);

const weirdValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom(...EXTREME_NUMBERS),
  fc.constantFrom(...RAW_NUMBERS).map((text) => new RawJson(text)),
  hostileString,
  fc.constantFrom<Json>(true, false, null, [], {}, [null], { "": "" }, [[]]),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

// ---------------------------------------------------------------------------------------
// Body mutations

type Step = string | number;

type BodyMutation =
  | { op: "drop"; at: number }
  | { op: "replace"; at: number; value: Json }
  | { op: "add key"; at: number; key: string; value: Json }
  | { op: "nest"; at: number; depth: number; as: "arrays" | "objects" }
  | { op: "repeat"; at: number; count: number }
  | { op: "whole body"; text: string };

/** Whole bodies that are not what the route reads: not JSON, not an object, invalid UTF-8, empty. */
const RAW_BODIES = [
  "",
  " ",
  "null",
  "[]",
  "42",
  '"text"',
  "{",
  '{"a":1}}',
  "{'single': 'quotes'}",
  "\u0000",
  '{"a":"\u0000"}',
  "\ufeff{}",
  '{"dup":1,"dup":2}',
  "NaN",
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
];

const bodyMutation: fc.Arbitrary<BodyMutation> = fc.oneof(
  fc.record({ op: fc.constant("drop" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: weirdValue }),
  fc.record({
    op: fc.constant("add key" as const),
    at: fc.nat(),
    key: fc.oneof(fc.constantFrom("__proto__", "constructor", "", "\u0000", "unknown"), hostileString),
    value: weirdValue,
  }),
  fc.record({
    op: fc.constant("nest" as const),
    at: fc.nat(),
    depth: fc.constantFrom(10, 1_000, 10_000, 100_000),
    as: fc.constantFrom("arrays" as const, "objects" as const),
  }),
  fc.record({
    op: fc.constant("repeat" as const),
    at: fc.nat(),
    count: fc.constantFrom(100, 10_000, 100_000),
  }),
  fc.record({ op: fc.constant("whole body" as const), text: fc.constantFrom(...RAW_BODIES) }),
);

/** Every place in a JSON value, the root first. */
function placesOf(value: unknown, at: Step[] = []): Step[][] {
  const out = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...placesOf(v, [...at, i]));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...placesOf(v, [...at, k]));
  }
  return out;
}

/** `root` with the value at `place` replaced by what `change` returns (undefined: removed). */
function rewrite(root: Json, place: Step[], change: (old: Json) => Json | undefined): Json | undefined {
  if (place.length === 0) return change(root);
  const [head, ...rest] = place as [Step, ...Step[]];
  if (Array.isArray(root)) {
    const copy = [...root];
    const next = rewrite(copy[head as number]!, rest, change);
    if (next === undefined) copy.splice(head as number, 1);
    else copy[head as number] = next;
    return copy;
  }
  const copy = { ...(root as Record<string, Json>) };
  const next = rewrite(copy[head as string]!, rest, change);
  if (next === undefined) delete copy[head as string];
  else copy[head as string] = next;
  return copy;
}

/** JSON text with the RawJson pieces spliced in. */
function toJsonText(value: Json): string {
  const raws: string[] = [];
  const marker = (i: number) => `@@raw-${i}@@`;
  const text = JSON.stringify(value, (_key, v) => {
    if (!(v instanceof RawJson)) return v;
    raws.push(v.text);
    return marker(raws.length - 1);
  });
  return raws.reduce((out, raw, i) => out.replace(`"${marker(i)}"`, () => raw), text);
}

function mutateBody(body: Json | undefined, mutation: BodyMutation): string | undefined {
  if (mutation.op === "whole body") return mutation.text;
  const root: Json = body ?? {};
  const places = placesOf(root);
  const place = places[mutation.at % places.length]!;
  const changed = rewrite(root, place, (old) => {
    switch (mutation.op) {
      case "drop":
        return undefined;
      case "replace":
        return mutation.value;
      case "add key":
        return old !== null && typeof old === "object" && !Array.isArray(old) && !(old instanceof RawJson)
          ? { ...old, [mutation.key]: mutation.value }
          : { [mutation.key]: mutation.value };
      case "nest": {
        const inner = toJsonText(old);
        return new RawJson(
          mutation.as === "arrays"
            ? `${"[".repeat(mutation.depth)}${inner}${"]".repeat(mutation.depth)}`
            : `${'{"a":'.repeat(mutation.depth)}${inner}${"}".repeat(mutation.depth)}`,
        );
      }
      case "repeat": {
        const one = toJsonText(old);
        return new RawJson(`[${new Array(mutation.count).fill(one).join(",")}]`);
      }
    }
  });
  return changed === undefined ? "" : toJsonText(changed);
}

// ---------------------------------------------------------------------------------------
// Path and query mutations

/** Path segments as sent on the wire (already percent-encoded). */
const BAD_SEGMENTS = [
  "%00",
  "a%00b",
  "..",
  ".",
  "%2e%2e",
  "%2F",
  "%",
  "%zz",
  "%C3%28",
  "%ED%A0%80",
  "%FF%FE",
  "%E2%98%83",
  "-1",
  "0",
  "2147483648",
  "9223372036854775808",
  "1e308",
  "NaN",
  "00000000-0000-0000-0000-000000000000",
  "%27%20OR%201%3D1%20--",
  "%20",
  "~",
  ";",
  "*",
  "detail",
  "action",
];

type PathMutation =
  | { op: "replace"; at: number; segment: string }
  | { op: "insert"; at: number; segment: string }
  | { op: "remove"; at: number }
  | { op: "trailing slash" }
  | { op: "double slash"; at: number };

const badSegment: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...BAD_SEGMENTS),
  hostileString.map((s) => percentEncode(s.slice(0, 2_000))),
  fc.constantFrom(499, 500, 501, 5_000).map((n) => "a".repeat(n)),
);

const pathMutation: fc.Arbitrary<PathMutation> = fc.oneof(
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), segment: badSegment }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), segment: badSegment }),
  fc.record({ op: fc.constant("remove" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("trailing slash" as const) }),
  fc.record({ op: fc.constant("double slash" as const), at: fc.nat() }),
);

/** The query parameters the APIs read, besides a route's own. */
const QUERY_KEYS = [
  "name",
  "status",
  "limit",
  "marker",
  "sort_key",
  "sort_dir",
  "changes-since",
  "changes-before",
  "all_tenants",
  "ip",
  "ip6",
  "image",
  "flavor",
  "host",
  "node",
  "tags",
  "tags-any",
  "not-tags",
  "deleted",
  "user_id",
  "project_id",
  "tenant_id",
  "offset",
  "minRam",
  "minDisk",
  "is_public",
  "hypervisor_hostname_pattern",
  "with_servers",
  "start",
  "end",
  "detailed",
  "visibility",
  "member_status",
  "size_min",
  "size_max",
  "created_at",
  "updated_at",
  "sort",
  "domain_id",
  "enabled",
  "include_names",
  "effective",
  "user.id",
  "role.id",
  "scope.project.id",
  "type",
  "interface",
  "binary",
  "zone",
  "migration_type",
  "locked",
  "availability_zone",
  "key_name",
  "uuid",
  "instance_uuid",
  "all_projects",
  "id",
  "owner",
  "protected",
  "os_hidden",
  "tag",
  "disk_format",
];

/** Query values as sent on the wire: encoded hostile values, and escapes that decode to nothing valid. */
const queryValue: fc.Arbitrary<string> = fc.oneof(
  hostileString.map((s) => percentEncode(s.slice(0, 5_000))),
  fc.constantFrom(...REGEXES).map(percentEncode),
  fc.constantFrom("%", "%zz", "%FF", "%C3%28", "%ED%A0%80", "", "a%00", "1;2", "a=b", "%26x%3D1"),
  fc.constantFrom(...EXTREME_NUMBERS.map(String), ...RAW_NUMBERS, ...NUMERIC_STRINGS.map(percentEncode)),
);

type QueryMutation =
  | { op: "add"; key: string; value: string }
  | { op: "repeat"; at: number }
  | { op: "array"; at: number; style: "[]" | "[0]" | "[a][b]" }
  | { op: "replace"; at: number; value: string }
  | { op: "regex filter"; key: string; regex: string }
  | { op: "bare key"; key: string }
  | { op: "raw"; text: string };

const queryMutation: fc.Arbitrary<QueryMutation> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), key: fc.constantFrom(...QUERY_KEYS), value: queryValue }),
  fc.record({ op: fc.constant("repeat" as const), at: fc.nat() }),
  fc.record({
    op: fc.constant("array" as const),
    at: fc.nat(),
    style: fc.constantFrom("[]" as const, "[0]" as const, "[a][b]" as const),
  }),
  fc.record({ op: fc.constant("replace" as const), at: fc.nat(), value: queryValue }),
  fc.record({
    op: fc.constant("regex filter" as const),
    // name most often: the servers' name filter is the one matched against every server
    key: fc.constantFrom("name", "name", "name", "hypervisor_hostname_pattern", "ip", "ip6", "host"),
    regex: fc.constantFrom(...REGEXES),
  }),
  fc.record({ op: fc.constant("bare key" as const), key: fc.constantFrom(...QUERY_KEYS, "%00", "", "a%5B") }),
  fc.record({
    op: fc.constant("raw" as const),
    text: fc.constantFrom("&&&", "=", "==", "a[", "a]=1", "%", "?", "#x", "a=1&a[]=2&a[b]=3"),
  }),
);

// ---------------------------------------------------------------------------------------
// Headers

const CONTENT_TYPES = [
  null,
  "text/plain",
  "application/xml",
  "application/json; charset=utf-16",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/octet-stream",
  "application/openstack-images-v2.1-json-patch",
  "application/openstack-images-v2.0-json-patch",
  "application/vnd.openstack.compute+json",
  "???",
  "application/json, text/html",
  "application/json;;;",
];

const GOOD_MICROVERSIONS = [
  "2.1",
  "2.26",
  "2.37",
  "2.53",
  "2.64",
  "2.79",
  "2.92",
  "2.100",
  "2.104",
  "latest",
];
const BAD_MICROVERSION_HEADERS: Array<Record<string, string>> = [
  { "OpenStack-API-Version": "compute 2.1000" },
  { "OpenStack-API-Version": "compute 3.0" },
  { "OpenStack-API-Version": "compute 2.0" },
  { "OpenStack-API-Version": "compute 2.a" },
  { "OpenStack-API-Version": "compute" },
  { "OpenStack-API-Version": "" },
  { "OpenStack-API-Version": "compute 2.1, compute 2.3" },
  { "OpenStack-API-Version": "volume 3.0" },
  { "OpenStack-API-Version": "Compute 2.50" },
  { "OpenStack-API-Version": "compute 02.050" },
  { "OpenStack-API-Version": "compute 2.99999999999999999999" },
  { "OpenStack-API-Version": "compute -2.5" },
  { "X-OpenStack-Nova-API-Version": "2.999" },
  { "X-OpenStack-Nova-API-Version": "2.60", "OpenStack-API-Version": "compute 2.3" },
  { "X-OpenStack-Nova-API-Version": "latest" },
];

type Microversion = { good: string } | { bad: number } | null;

const microversion: fc.Arbitrary<Microversion> = fc.oneof(
  fc.constant(null),
  fc.constantFrom(...GOOD_MICROVERSIONS).map((good) => ({ good })),
  fc.nat({ max: BAD_MICROVERSION_HEADERS.length - 1 }).map((bad) => ({ bad })),
);

const BOGUS_TOKENS = ["gAAAAA-not-a-token", "x".repeat(8_000), "", "%00", "' OR 1=1 --"];

// ---------------------------------------------------------------------------------------
// The request

/** One generated request: the wire request, and what it was made from for the report. */
export class FuzzRequest implements WireRequest {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly headers: Readonly<Record<string, string>>,
    readonly body: Buffer | undefined,
    readonly origin: string,
  ) {}

  /** How fast-check prints a counterexample: readable, long values cut. */
  [fc.toStringMethod](): string {
    const cut = (text: string, max: number) =>
      text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
    const body =
      this.body === undefined ? "" : `\n  body: ${cut(JSON.stringify(this.body.toString("utf8")), 600)}`;
    const headers = Object.entries(this.headers)
      .map(([k, v]) => `\n  ${k}: ${cut(k === "X-Auth-Token" ? "<token>" : v, 200)}`)
      .join("");
    return `\n${this.method} ${cut(this.path, 600)}  (${this.origin})${headers}${body}\n`;
  }
}

const option = <T>(arbitrary: fc.Arbitrary<T>, weightOfNone = 2) =>
  fc.oneof(
    { withCrossShrink: true },
    { arbitrary: fc.constant(null), weight: weightOfNone },
    { arbitrary, weight: 1 },
  );

const spec = fc.record({
  route: fc.nat({ max: ROUTES.length - 1 }),
  caller: fc.constantFrom<CallerName>(...CALLERS),
  bogusToken: fc.nat({ max: BOGUS_TOKENS.length - 1 }),
  mount: fc.nat({ max: COMPUTE_MOUNTS.length - 1 }),
  microversion,
  picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
  path: option(pathMutation, 4),
  query: option(fc.array(queryMutation, { minLength: 1, maxLength: 3 }), 2),
  body: option(bodyMutation, 2),
  contentType: option(fc.constantFrom(...CONTENT_TYPES), 6),
});

type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

function minorOf(route: RouteTemplate, mount: string, mv: Microversion): number {
  if (route.api !== "compute") return 1;
  if (!mount.startsWith("/compute/v2.1")) return 0;
  if (mv === null || !("good" in mv)) return 1;
  return mv.good === "latest" ? 104 : Number(mv.good.split(".")[1]);
}

function mutatePath(segments: string[], mutation: PathMutation): string[] {
  const copy = [...segments];
  const at = (n: number) => (copy.length === 0 ? 0 : n % copy.length);
  switch (mutation.op) {
    case "replace":
      if (copy.length > 0) copy[at(mutation.at)] = mutation.segment;
      else copy.push(mutation.segment);
      return copy;
    case "insert":
      copy.splice(at(mutation.at), 0, mutation.segment);
      return copy;
    case "remove":
      copy.splice(at(mutation.at), 1);
      return copy;
    case "trailing slash":
      return [...copy, ""];
    case "double slash":
      copy.splice(at(mutation.at), 0, "");
      return copy;
  }
}

/** Query pairs as sent; a null value is a key without `=`. */
type QueryPairs = Array<[string, string | null]>;

function mutateQuery(pairs: QueryPairs, mutation: QueryMutation): QueryPairs {
  const copy = [...pairs];
  const at = (n: number) => n % Math.max(copy.length, 1);
  switch (mutation.op) {
    case "add":
      return [...copy, [mutation.key, mutation.value]];
    case "repeat":
      return copy.length === 0 ? copy : [...copy, copy[at(mutation.at)]!];
    case "array": {
      if (copy.length === 0) return copy;
      const [key, value] = copy[at(mutation.at)]!;
      const suffix =
        mutation.style === "[]" ? "%5B%5D" : mutation.style === "[0]" ? "%5B0%5D" : "%5Ba%5D%5Bb%5D";
      copy[at(mutation.at)] = [`${key}${suffix}`, value];
      return copy;
    }
    case "replace":
      if (copy.length > 0) copy[at(mutation.at)] = [copy[at(mutation.at)]![0], mutation.value];
      return copy;
    case "regex filter":
      return [...copy.filter(([k]) => k !== mutation.key), [mutation.key, percentEncode(mutation.regex)]];
    case "bare key":
      return [...copy, [mutation.key, null]];
    case "raw":
      return [...copy, [mutation.text, null]];
  }
}

/** The generator of fuzz requests against the server these fixtures were made on. */
export function fuzzRequests(fx: Fixtures): fc.Arbitrary<FuzzRequest> {
  return spec.map((s) => build(fx, s));
}

function build(fx: Fixtures, s: Spec): FuzzRequest {
  const route = ROUTES[s.route]!;
  const callers: Record<CallerName, Caller | undefined> = {
    member: fx.member,
    admin: fx.admin,
    reader: fx.reader,
    none: undefined,
    bogus: undefined,
  };
  const caller = callers[s.caller];
  const mount = COMPUTE_MOUNTS[s.mount]!;
  const minor = minorOf(route, mount, s.microversion);
  const origin: string[] = [`${route.method} ${route.path} as ${s.caller}`];

  // path: the root, then the route's segments with their ids filled in
  let kindIndex = 0;
  const fill = (kind: string) => {
    const ids = fx.ids[kind as IdKind];
    const pick = s.picks[kindIndex++ % s.picks.length]!;
    return percentEncode(ids[pick % ids.length]!);
  };
  const root =
    route.api === "compute"
      ? mount.replace("{project}", (caller ?? fx.member).projectId)
      : API_ROOT[route.api];
  let segments = route.path
    .split("/")
    .slice(1)
    .map((segment) => segment.replace(/\{(\w+)\}/g, (_m, kind: string) => fill(kind)));
  if (route.path === "") segments = [];
  if (s.path) {
    segments = mutatePath(segments, s.path);
    origin.push(`path ${s.path.op}`);
  }
  let query: QueryPairs = Object.entries(route.query ?? {}).map(([k, v]) => [k, percentEncode(v)]);
  for (const mutation of s.query ?? []) {
    query = mutateQuery(query, mutation);
    origin.push(`query ${mutation.op}`);
  }
  const queryText = query.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&");
  const path = `${root}${segments.length > 0 || route.path === "/" ? "/" : ""}${segments.join("/")}${queryText ? `?${queryText}` : ""}`;

  // headers
  const headers: Record<string, string> = { Accept: "application/json", ...route.headers?.(fx) };
  if (caller) headers["X-Auth-Token"] = caller.token;
  if (s.caller === "bogus") headers["X-Auth-Token"] = BOGUS_TOKENS[s.bogusToken]!;
  if (s.microversion !== null) {
    if ("good" in s.microversion) headers["OpenStack-API-Version"] = `compute ${s.microversion.good}`;
    else Object.assign(headers, BAD_MICROVERSION_HEADERS[s.microversion.bad]);
    origin.push("microversion");
  }

  // body
  const valid = route.body?.(fx, minor) as Json | undefined;
  let text: string | undefined =
    valid === undefined ? undefined : typeof valid === "string" ? valid : toJsonText(valid);
  if (s.body) {
    text = mutateBody(typeof valid === "string" ? undefined : valid, s.body);
    origin.push(`body ${s.body.op}`);
  }
  let contentType: string | null | undefined =
    text === undefined ? undefined : (route.contentType ?? "application/json");
  if (s.contentType !== null) {
    contentType = s.contentType;
    origin.push("content type");
  }
  if (contentType) headers["Content-Type"] = contentType;
  const body = text === undefined ? undefined : Buffer.from(text, "utf8");
  return new FuzzRequest(route.method, path, headers, body, origin.join(", "));
}
