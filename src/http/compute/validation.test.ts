import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { HttpFault } from "../faults.js";
import { ApiVersion, LEGACY_V2 } from "./microversion.js";
import { type EndpointRef, NOVA_FORMATS, pythonRegExp, validateBody, validateQuery } from "./validation.js";

const v = ApiVersion.of;
const SERVERS: EndpointRef = { method: "POST", path: "/servers" };
const ACTION = (action: string): EndpointRef => ({ method: "POST", path: "/servers/{id}/action", action });
const SERVER_LIST: EndpointRef = { method: "GET", path: "/servers" };
const FLAVORS: EndpointRef = { method: "POST", path: "/flavors" };
const KEYPAIRS: EndpointRef = { method: "POST", path: "/os-keypairs" };
const IMAGE = "70a599e0-31e7-49b7-b260-868f441e862b";
const server = (extra: Record<string, unknown> = {}) => ({
  server: { name: "vm-1", imageRef: IMAGE, flavorRef: "1", ...extra },
});

/** The 400 a call throws, for asserting on its message. */
function fault(call: () => unknown): HttpFault {
  try {
    call();
  } catch (error) {
    if (error instanceof HttpFault) return error;
    throw error;
  }
  throw new Error("expected an HttpFault(400), but the input was accepted");
}

describe("request bodies", () => {
  it("accepts valid server creates at 2.1, 2.37 (networks auto) and 2.94", () => {
    expect(validateBody(SERVERS, v("2.1"), server())).toEqual(server());
    expect(validateBody(SERVERS, v("2.37"), server({ networks: "auto" }))).toEqual(
      server({ networks: "auto" }),
    );
    const latest = server({ networks: [{ uuid: IMAGE }], hostname: "vm-1", description: "web tier ✓" });
    expect(validateBody(SERVERS, v("2.94"), latest)).toBe(latest);
  });

  it("requires networks from 2.37 only", () => {
    expect(fault(() => validateBody(SERVERS, v("2.37"), server())).message).toBe(
      `Invalid input for field/attribute server. Value: {'name': 'vm-1', 'imageRef': '${IMAGE}', 'flavorRef': '1'}. 'networks' is a required property`,
    );
    expect(validateBody(SERVERS, v("2.36"), server())).toEqual(server());
  });

  it("rejects unknown keys at 2.1 but strips them under legacy /v2", () => {
    const body = server({ bogus: 1, alsoBogus: true });
    const error = fault(() => validateBody(SERVERS, v("2.1"), body));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(
      /Additional properties are not allowed \('alsoBogus', 'bogus' were unexpected\)$/,
    );
    expect(error.body()).toEqual({ badRequest: { code: 400, message: error.message } });

    expect(validateBody(SERVERS, LEGACY_V2, body)).toEqual(server());
    expect(body.server).toHaveProperty("bogus"); // the caller's object is left alone
  });

  it("keeps legacy /v2 strict where patternProperties apply (metadata keys)", () => {
    const body = server({ metadata: { ok: "1", "bad key!": "2" } });
    expect(fault(() => validateBody(SERVERS, LEGACY_V2, body)).message).toBe(
      "Invalid input for field/attribute metadata. Value: {'ok': '1', 'bad key!': '2'}. Additional properties are not allowed ('bad key!' was unexpected)",
    );
    expect(fault(() => validateBody(SERVERS, v("2.1"), body)).message).toMatch(
      /'bad key!' does not match any of the regexes: '\^\[a-zA-Z0-9-_:\. \]\{1,255\}\$'$/,
    );
  });

  it("compares numeric strings against minimum and maximum", () => {
    expect(validateBody(SERVERS, v("2.1"), server({ min_count: "2" }))).toEqual(server({ min_count: "2" }));
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ min_count: "0" }))).message).toBe(
      "Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1",
    );
    // The pattern comes first in nova's schema, so a negative string fails there.
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ min_count: "-1" }))).message).toBe(
      "Invalid input for field/attribute min_count. Value: -1. '-1' does not match '^[0-9]*$'",
    );
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ max_count: 0 }))).message).toMatch(
      /0 is less than the minimum of 1$/,
    );
  });

  it("rejects names with leading or trailing spaces, with nova's InvalidName wording", () => {
    const message =
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.";
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ name: " vm" }))).message).toBe(message);
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ name: "vm\u00a0" }))).message).toBe(message);
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ name: "a\u0007b" }))).message).toBe(message);
    expect(fault(() => validateBody(SERVERS, v("2.1"), server({ name: "emoji 😀" }))).message).toBe(message);
    expect(validateBody(SERVERS, v("2.1"), server({ name: "db 1 — ünïcode" }))).toBeTruthy();
    // Legacy /v2 names may have surrounding spaces but need one non-space character.
    expect(validateBody(SERVERS, LEGACY_V2, server({ name: " spaced " }))).toEqual(
      server({ name: " spaced " }),
    );
    expect(fault(() => validateBody(SERVERS, LEGACY_V2, server({ name: "   " }))).message).toBe(
      "An invalid 'name' value was provided. The name must be: printable characters with at least one non space character",
    );
  });

  it("validates reboot types", () => {
    expect(validateBody(ACTION("reboot"), v("2.1"), { reboot: { type: "SOFT" } })).toEqual({
      reboot: { type: "SOFT" },
    });
    expect(fault(() => validateBody(ACTION("reboot"), v("2.1"), { reboot: { type: "BAD" } })).message).toBe(
      "Invalid input for field/attribute type. Value: BAD. 'BAD' is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']",
    );
    expect(fault(() => validateBody(ACTION("reboot"), v("2.1"), { reboot: {} })).message).toBe(
      "Invalid input for field/attribute reboot. Value: {}. 'type' is a required property",
    );
  });

  it("reports the error nova meets first, walking the schema in its key order", () => {
    // `properties` comes before `required` and `additionalProperties` in nova's schemas.
    expect(fault(() => validateBody(SERVERS, v("2.1"), { server: { name: " x" } })).message).toMatch(
      /^An invalid 'name' value/,
    );
    expect(
      fault(() => validateBody(SERVERS, v("2.1"), server({ zzz: 1, min_count: "0", max_count: "x" })))
        .message,
    ).toBe("Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1");
    // uniqueItems is listed before maxItems in the server group schema.
    const group = { server_group: { name: "g", policies: ["affinity", "affinity"] } };
    expect(
      fault(() => validateBody({ method: "POST", path: "/os-server-groups" }, v("2.1"), group)).message,
    ).toBe(
      "Invalid input for field/attribute policies. Value: ['affinity', 'affinity']. ['affinity', 'affinity'] has non-unique elements",
    );
    // Values are quoted as Python's repr() would, non-printable characters escaped.
    expect(
      fault(() => validateBody(ACTION("reboot"), v("2.1"), { reboot: { type: "a\u00a0'b" } })).message,
    ).toMatch(/Value: a\u00a0'b\. "a\\xa0'b" is not one of /);
  });

  it("reports errors at the top level without a field prefix", () => {
    expect(fault(() => validateBody(SERVERS, v("2.1"), null)).message).toBe("None is not of type 'object'");
    expect(fault(() => validateBody(SERVERS, v("2.1"), {})).message).toBe("'server' is a required property");
  });

  it("validates flavor create, including numeric strings and the id pattern", () => {
    const flavor = { flavor: { name: "m1.tiny", ram: 512, vcpus: "1", disk: "1", id: "tiny-1" } };
    expect(validateBody(FLAVORS, v("2.1"), flavor)).toBe(flavor);
    expect(validateBody(FLAVORS, v("2.102"), flavor)).toBe(flavor);
    expect(
      fault(() => validateBody(FLAVORS, v("2.1"), { flavor: { ...flavor.flavor, ram: 0 } })).message,
    ).toBe("Invalid input for field/attribute ram. Value: 0. 0 is less than the minimum of 1");
    expect(
      fault(() => validateBody(FLAVORS, v("2.1"), { flavor: { ...flavor.flavor, vcpus: "2147483648" } }))
        .message,
    ).toBe(
      "Invalid input for field/attribute vcpus. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647",
    );
    expect(
      fault(() => validateBody(FLAVORS, v("2.1"), { flavor: { ...flavor.flavor, id: " x" } })).message,
    ).toMatch(/^Invalid input for field\/attribute id\. Value: {2}x\. ' x' does not match /);
    expect(fault(() => validateBody(FLAVORS, v("2.1"), { flavor: { name: "f", ram: 1 } })).message).toMatch(
      /'vcpus' is a required property$/,
    );
  });

  it("requires public_key for keypair create from 2.92", () => {
    expect(validateBody(KEYPAIRS, v("2.91"), { keypair: { name: "k1" } })).toEqual({
      keypair: { name: "k1" },
    });
    expect(fault(() => validateBody(KEYPAIRS, v("2.92"), { keypair: { name: "k1" } })).message).toBe(
      "Invalid input for field/attribute keypair. Value: {'name': 'k1'}. 'public_key' is a required property",
    );
    expect(
      validateBody(KEYPAIRS, v("2.92"), { keypair: { name: "k1", public_key: "ssh-ed25519 AAAA" } }),
    ).toBeTruthy();
  });

  it("applies no schema where no range covers the version", () => {
    // unlock has a schema for 2.1-2.72 only; migrate only from 2.56.
    expect(validateBody(ACTION("unlock"), v("2.73"), { unlock: null, extra: 1 })).toEqual({
      unlock: null,
      extra: 1,
    });
    expect(fault(() => validateBody(ACTION("unlock"), v("2.72"), { unlock: null, extra: 1 })).status).toBe(
      400,
    );
    expect(validateBody(ACTION("migrate"), v("2.55"), { migrate: { host: 1 } })).toEqual({
      migrate: { host: 1 },
    });
    expect(fault(() => validateBody(ACTION("migrate"), v("2.56"), { migrate: { host: 1 } })).status).toBe(
      400,
    );
    // Under legacy /v2 only schemas without a minimum (or minimum 2.0) run.
    expect(validateBody(ACTION("lock"), LEGACY_V2, { lock: { locked_reason: 1 } })).toEqual({
      lock: { locked_reason: 1 },
    });
    expect(validateBody({ method: "GET", path: "/no/such/route" }, v("2.1"), { x: 1 })).toEqual({ x: 1 });
  });

  it("checks nova's formats the nova way", () => {
    const accepts = (extra: Record<string, unknown>) => validateBody(SERVERS, v("2.1"), server(extra));
    const rejects = (extra: Record<string, unknown>) => fault(() => accepts(extra)).message;
    // uuid: oslo's is_uuid_like tolerates missing dashes, upper case, braces and urn prefixes.
    expect(accepts({ imageRef: "70A599E031E749B7B260868F441E862B" })).toBeTruthy();
    expect(accepts({ networks: [{ uuid: `{urn:uuid:${IMAGE}}` }] })).toBeTruthy();
    expect(rejects({ networks: [{ port: "70a599e0" }] })).toMatch(
      /^Invalid input for field\/attribute port\./,
    );
    // base64: Python's lenient decoder.
    expect(accepts({ user_data: "aGVsbG8gd29ybGQ=" })).toBeTruthy();
    expect(accepts({ user_data: "aGVs\nbG8=" })).toBeTruthy();
    expect(rejects({ user_data: "A random string" })).toBe(
      "Invalid input for field/attribute user_data. Value: A random string. 'A random string' is not a 'base64'",
    );
    // ipv4 / ipv6: Python's ipaddress.
    expect(accepts({ accessIPv4: "192.168.0.10", accessIPv6: "fe80::1" })).toBeTruthy();
    expect(rejects({ accessIPv4: "192.168.0.010" })).toMatch(/'192\.168\.0\.010' is not a 'ipv4'$/);
    expect(rejects({ accessIPv6: "fe80::1%eth0" })).toMatch(/is not a 'ipv6'$/);
  });
});

describe("bodies with huge arrays", () => {
  it("are refused with the first error found and a message cut short, whatever their size", () => {
    for (const body of [
      server({ security_groups: new Array(100_000).fill([{ name: "x" }]) }),
      server({ metadata: new Array(100_000).fill({ a: "b" }) }),
      new Array(100_000).fill(server()),
    ]) {
      const refused = fault(() => validateBody(SERVERS, v("2.90"), body));
      expect(refused.status).toBe(400);
      expect(refused.message.length).toBeLessThan(2 * 2048 + 200);
    }
  });

  it("still name nova's first error when the arrays are of ordinary length", () => {
    const groups = [{ name: "ok" }, { name: 7 }, { bogus: 1 }];
    expect(fault(() => validateBody(SERVERS, v("2.90"), server({ security_groups: groups }))).message).toBe(
      fault(() => validateBody(SERVERS, v("2.90"), server({ security_groups: groups.slice(0, 2) }))).message,
    );
  });
});

describe("query strings", () => {
  it("drops unknown parameters where the schema allows them, and rejects them from 2.75", () => {
    const query = { name: ["^web"], foo: ["1"], _private: ["x"] };
    expect(validateQuery(SERVER_LIST, v("2.1"), query)).toEqual({ name: ["^web"], _private: ["x"] });
    expect(query).toHaveProperty("foo"); // the caller's object is left alone
    expect(fault(() => validateQuery(SERVER_LIST, v("2.75"), query)).message).toBe(
      "'foo' does not match any of the regexes: '^_'",
    );
    expect(validateQuery(SERVER_LIST, v("2.75"), { name: ["^web"], _private: ["x"] })).toEqual({
      name: ["^web"],
      _private: ["x"],
    });
  });

  it("rejects a negative or non-numeric limit", () => {
    expect(validateQuery(SERVER_LIST, v("2.1"), { limit: ["10"] })).toEqual({ limit: ["10"] });
    expect(fault(() => validateQuery(SERVER_LIST, v("2.1"), { limit: ["-1"] })).message).toBe(
      "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
    );
    expect(fault(() => validateQuery(SERVER_LIST, v("2.75"), { limit: ["ten"] })).message).toMatch(
      /^Invalid input for query parameters limit\. Value: ten\./,
    );
  });

  it("checks formats of query values", () => {
    const ok = { "changes-since": ["2013-09-23T13:37:00.880302"], name: ["web-(1|2)"] };
    expect(validateQuery(SERVER_LIST, v("2.1"), ok)).toEqual(ok);
    expect(
      fault(() => validateQuery(SERVER_LIST, v("2.1"), { "changes-since": ["yesterday"] })).message,
    ).toBe(
      "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
    );
    expect(fault(() => validateQuery(SERVER_LIST, v("2.1"), { name: ["web-(1"] })).message).toBe(
      "Invalid input for query parameters name. Value: web-(1. 'web-(1' is not a 'regex'",
    );
  });

  it("passes queries through untouched where no schema applies", () => {
    // GET /servers has no query schema below 2.1, so legacy /v2 keeps unknown parameters.
    expect(validateQuery(SERVER_LIST, LEGACY_V2, { foo: ["1"] })).toEqual({ foo: ["1"] });
    expect(validateQuery({ method: "GET", path: "/no/such/route" }, v("2.1"), { a: ["1"] })).toEqual({
      a: ["1"],
    });
  });
});

describe("date-time as oslo parse_isotime reads it", () => {
  const changesSince = (value: string) => () =>
    validateQuery(SERVER_LIST, v("2.1"), { "changes-since": [value] });
  it.each([
    "2013-09-23T13:37:00.880302",
    "2013-09-23T13:37:00Z",
    "2013-09-23T13:37:00+05:30",
    "2013-09-23 13:37",
    "20130923T133700",
    "2013-09-23",
    "2013",
    "2012-02-29T00:00:00-0800",
  ])("accepts %s", (value) => expect(changesSince(value)).not.toThrow());
  it.each([
    "yesterday",
    "2013-13-01",
    "2013-02-29",
    "201309",
    "2013-09-23T25:00",
    "2013-09-23T10:00+24:00",
    "0000",
  ])("rejects %s", (value) => expect(changesSince(value)).toThrow(HttpFault));
});

describe("format checkers", () => {
  const cases: [format: string, valid: string[], invalid: string[]][] = [
    [
      "uuid",
      [IMAGE, IMAGE.toUpperCase(), IMAGE.replaceAll("-", ""), `{${IMAGE}}`, `urn:uuid:${IMAGE}`],
      ["", "1234", `${IMAGE}0`, ` ${IMAGE}`],
    ],
    [
      "base64",
      ["", "aGVsbG8=", "aGVsbA==", "aGVs bG8=", "YQ==trailing"],
      ["a", "aGVsbG8", "aGVsbA=", "aGVsbG8gd29ybGQ", "é"],
    ],
    [
      "cidr",
      ["10.0.0.0/8", "10.0.0.0/255.0.0.0", "fd00::/64"],
      ["10.0.0.0", "10.0.0.0/33", "10.0.0.0 /8", "x/8", "fd00::/129"],
    ],
    [
      "uri",
      ["http://example.com", "https://user@host:8774/v2.1?x=1#f", "http://[::1]/"],
      ["example.com", "http://", "/path", "http://a b/"],
    ],
    ["regex", ["^web-[0-9]+$", "(?P<n>a)(?P=n)", "(?i)abc"], ["", "(", "[z-a]", "\\q"]],
    ["ipv4", ["10.0.0.1"], ["10.0.0.01", "10.0.0", "::1"]],
    ["ipv6", ["::1", "::ffff:10.0.0.1"], ["fe80::1%eth0", "10.0.0.1", ":::"]],
    ["name", ["a", "a b", "ünï", "", "x\n"], [" a", "a ", "a\tb", "\n", "😀"]],
    ["az_name", ["nova", "zone 1"], ["zone:1", " zone"]],
    ["name_with_leading_trailing_spaces", [" a ", "a"], ["", "   ", "a\u0000"]],
    ["az_name_with_leading_trailing_spaces", [" nova "], [" no:va ", " "]],
  ];
  it.each(cases)("%s", (format, valid, invalid) => {
    const check = NOVA_FORMATS[format]!;
    expect(valid.filter((text) => !check(text))).toEqual([]);
    expect(invalid.filter((text) => check(text))).toEqual([]);
  });
});

describe("pythonRegExp", () => {
  it("keeps Python's meaning of $, \\A, \\Z and named groups", () => {
    expect(pythonRegExp("^abc$").test("abc\n")).toBe(true);
    expect(pythonRegExp("^abc$").test("abc\n\n")).toBe(false);
    expect(pythonRegExp("\\Aabc\\Z").test("abc\n")).toBe(false);
    expect(pythonRegExp("(?P<x>a)(?P=x)").test("aa")).toBe(true);
    expect(pythonRegExp("(?i)ABC").test("abc")).toBe(true);
    expect(pythonRegExp("[]a]").test("]")).toBe(true);
    expect(pythonRegExp("^[\\ -\\~]+$").test("a b~")).toBe(true);
  });

  it("refuses what Python's re refuses", () => {
    for (const bad of ["(", "a{2,1}", "\\q", "[b-a]", "*"])
      expect(() => pythonRegExp(bad)).toThrow(SyntaxError);
  });
});

// ---------------------------------------------------------------------------------------
// Every request sample of nova's API reference that maps to an endpoint must validate at
// the microversion of its directory (area root = 2.1).

const SAMPLES = fileURLToPath(new URL("../../../../shared/nova-api/api_samples/", import.meta.url));

/** Sample (area/file, directory versions stripped) → endpoint; `/action` takes the body's key. */
const SAMPLE_ENDPOINTS: [RegExp, string, string][] = [
  [/^flavor-access\/flavor-access-(add|remove)-tenant-req/, "POST", "/flavors/{id}/action"],
  [/^flavor-access\/flavor-create-req/, "POST", "/flavors"],
  [/^flavor-extra-specs\/flavor-extra-specs-create-req/, "POST", "/flavors/{flavor_id}/os-extra_specs"],
  [/^flavor-extra-specs\/flavor-extra-specs-update-req/, "PUT", "/flavors/{flavor_id}/os-extra_specs/{id}"],
  [/^flavor-manage\/flavor-create-post-req/, "POST", "/flavors"],
  [/^flavor-manage\/flavor-update-req/, "PUT", "/flavors/{id}"],
  [/^images\/image-meta-key-put-req/, "PUT", "/images/{image_id}/metadata/{id}"],
  [/^images\/image-metadata-post-req/, "POST", "/images/{image_id}/metadata"],
  [/^images\/image-metadata-put-req/, "PUT", "/images/{image_id}/metadata"],
  [/^os-agents\/agent-post-req/, "POST", "/os-agents"],
  [/^os-agents\/agent-update-put-req/, "PUT", "/os-agents/{id}"],
  [/^os-aggregates\/aggregate-post-req/, "POST", "/os-aggregates"],
  [/^os-aggregates\/aggregate-update-post-req/, "PUT", "/os-aggregates/{id}"],
  [/^os-aggregates\/aggregate-images-post-req/, "POST", "/os-aggregates/{id}/images"],
  [
    /^os-aggregates\/aggregate-(add-host|remove-host|metadata)-post-req/,
    "POST",
    "/os-aggregates/{id}/action",
  ],
  [/^os-assisted-volume-snapshots\//, "POST", "/os-assisted-volume-snapshots"],
  [/^os-attach-interfaces\//, "POST", "/servers/{server_id}/os-interface"],
  [/^os-cloudpipe\/cloud-pipe-create-req/, "POST", "/os-cloudpipe"],
  [/^os-cloudpipe\/cloud-pipe-update-req/, "PUT", "/os-cloudpipe/{id}"],
  [/^os-console-auth-tokens\//, "POST", "/servers/{server_id}/remote-consoles"],
  [/^os-remote-consoles\/create-/, "POST", "/servers/{server_id}/remote-consoles"],
  [/^os-remote-consoles\/get-/, "POST", "/servers/{id}/action"],
  [
    /^(os-console-output|os-create-backup|os-deferred-delete|os-evacuate|os-multinic|os-rescue)\//,
    "POST",
    "/servers/{id}/action",
  ],
  [/^os-fixed-ips\//, "POST", "/os-fixed-ips/{id}/action"],
  [
    /^os-floating-ip-dns\/floating-ip-dns-create-or-update-entry-req/,
    "PUT",
    "/os-floating-ip-dns/{domain_id}/entries/{id}",
  ],
  [/^os-floating-ip-dns\/floating-ip-dns-create-or-update-req/, "PUT", "/os-floating-ip-dns/{id}"],
  [/^os-floating-ips-bulk\/floating-ips-bulk-create-req/, "POST", "/os-floating-ips-bulk"],
  [/^os-floating-ips-bulk\/floating-ips-bulk-delete-req/, "PUT", "/os-floating-ips-bulk/{id}"],
  [/^os-floating-ips\//, "POST", "/os-floating-ips"],
  [/^os-hosts\//, "PUT", "/os-hosts/{id}"],
  [/^os-keypairs\//, "POST", "/os-keypairs"],
  [/^os-multiple-create\//, "POST", "/servers"],
  [/^os-networks-associate\//, "POST", "/os-networks/{id}/action"],
  [/^os-networks\/network-add-req/, "POST", "/os-networks/add"],
  [/^os-networks\/network-create-req/, "POST", "/os-networks"],
  [/^os-quota-class-sets\//, "PUT", "/os-quota-class-sets/{id}"],
  [/^os-quota-sets(-noop)?\//, "PUT", "/os-quota-sets/{id}"],
  [/^os-security-group-default-rules\//, "POST", "/os-security-group-default-rules"],
  [/^os-security-groups\/security-group-(add|remove)-post-req/, "POST", "/servers/{id}/action"],
  [/^os-security-groups\/security-group-post-req/, "POST", "/os-security-groups"],
  [/^os-security-groups\/security-group-rules-post-req/, "POST", "/os-security-group-rules"],
  [/^os-server-external-events\//, "POST", "/os-server-external-events"],
  [/^(os-server-groups\/|servers\/server-groups-post-req)/, "POST", "/os-server-groups"],
  [/^os-server-shares\/server-shares-create/, "POST", "/servers/{server_id}/shares"],
  [/^os-server-tags\/server-tags-put-all-req/, "PUT", "/servers/{server_id}/tags"],
  [/^os-services\//, "PUT", "/os-services/{id}"],
  [/^os-snapshots\//, "POST", "/os-snapshots"],
  [/^os-tenant-networks\//, "POST", "/os-tenant-networks"],
  [
    /^os-volume_attachments\/attach-volume-to-server-req/,
    "POST",
    "/servers/{server_id}/os-volume_attachments",
  ],
  [/^os-volume_attachments\/update-volume/, "PUT", "/servers/{server_id}/os-volume_attachments/{id}"],
  [/^os-volumes\//, "POST", "/os-volumes"],
  [/^server-metadata\/server-metadata-all-req/, "PUT", "/servers/{server_id}/metadata"],
  [/^server-metadata\/server-metadata-req/, "PUT", "/servers/{server_id}/metadata/{id}"],
  [/^servers\/server-action-/, "POST", "/servers/{id}/action"],
  [/^servers\/server-create-req/, "POST", "/servers"],
  [/^servers\/server-(update|put)-req/, "PUT", "/servers/{id}"],
];

/** Samples with no request-body endpoint to map to. */
const UNMAPPED: Record<string, string> = {
  "os-server-shares/v2.97/server-shares-delete-req.json": "documents a DELETE, which takes no body in nova",
};

/** Samples nova's own schemas reject (SCHEMAS/README "Cross-checks performed"). */
const KNOWN_BAD: Record<string, string> = {
  "servers/v2.90/server-create-req.json":
    "stale doc sample: still sends personality (gone since 2.57), lacks networks",
  "servers/v2.94/server-create-req.json":
    "stale doc sample: still sends personality (gone since 2.57), lacks networks",
  "os-keypairs/v2.92/keypairs-post-req.json":
    "no public_key: the request nova's tests expect to fail with 400",
  // Not in that list: nova's functional test posts "network-changed"; the doc copy shows a placeholder.
  "os-server-external-events/event-create-req.json":
    "stale doc sample: event name 'test-event' is not an enum value",
};

function requestSamples(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return requestSamples(path);
    return entry.name.endsWith("-req.json") ? [relative(SAMPLES, path)] : [];
  });
}

describe.skipIf(!existsSync(SAMPLES))("nova's request samples", () => {
  const samples = existsSync(SAMPLES) ? requestSamples(SAMPLES).sort() : [];
  const mapped = samples
    .filter((file) => !(file in UNMAPPED))
    .map((file) => {
      const version = /\/v(2\.\d+)\//.exec(file)?.[1] ?? "2.1";
      const key = file.replace(/\/v2\.\d+\//, "/");
      const body = JSON.parse(readFileSync(join(SAMPLES, file), "utf8")) as Record<string, unknown>;
      const match = SAMPLE_ENDPOINTS.find(([pattern]) => pattern.test(key));
      if (!match) return { file, version, body, ref: undefined };
      const [, method, path] = match;
      const ref: EndpointRef = path.endsWith("/action")
        ? { method, path, action: Object.keys(body)[0] }
        : { method, path };
      return { file, version, body, ref };
    });

  it("maps every sample to an endpoint that has a schema at the sample's version", () => {
    expect(samples.length).toBeGreaterThan(180);
    expect(mapped.filter((s) => !s.ref).map((s) => s.file)).toEqual([]);
    // Otherwise validateBody would pass a sample without looking at it.
    const index = JSON.parse(readFileSync(new URL("./nova-schemas/index.json", import.meta.url), "utf8")) as {
      method: string;
      path: string;
      action: string | null;
      request_body: { min_version: string | null; max_version: string | null }[];
    }[];
    const unchecked = mapped.filter(({ ref, version }) => {
      const entry = index.find(
        (e) => e.method === ref!.method && e.path === ref!.path && e.action === (ref!.action ?? null),
      );
      return !entry?.request_body.some((r) => v(version).within(r.min_version, r.max_version));
    });
    expect(unchecked.map((s) => s.file)).toEqual([]);
  });

  it.each(mapped.filter((s) => s.ref && !(s.file in KNOWN_BAD)).map((s) => [s.file, s] as const))(
    "%s validates",
    (_file, sample) => {
      expect(() => validateBody(sample.ref!, v(sample.version), sample.body)).not.toThrow();
    },
  );

  it.each(Object.entries(KNOWN_BAD))("%s is rejected (%s)", (file) => {
    const sample = mapped.find((s) => s.file === file)!;
    expect(fault(() => validateBody(sample.ref!, v(sample.version), sample.body)).status).toBe(400);
  });
});
