import { describe, expect, it } from "vitest";
import { compareStructure, jsonType, pathMatches } from "./structure.js";

const server = {
  server: {
    id: "a",
    name: "vm",
    locked: false,
    progress: 0,
    description: null,
    metadata: { "My Server Name": "Apache1" },
    addresses: { private: [{ addr: "10.0.0.2", version: 4 }] },
    links: [
      { rel: "self", href: "x" },
      { rel: "describedby", href: "y", type: "text/html" },
    ],
  },
};
const clone = <T>(v: T): T => structuredClone(v);
const maps = ["**.metadata", "**.addresses"];

describe("compareStructure", () => {
  it("finds nothing when only values differ", () => {
    const ours = clone(server);
    ours.server.id = "b";
    ours.server.locked = true;
    ours.server.progress = 100;
    ours.server.links[0]!.href = "z";
    expect(compareStructure(server, ours, { maps })).toEqual([]);
  });

  it("detects a missing key", () => {
    const ours: Record<string, Record<string, unknown>> = clone(server);
    delete ours.server!.locked;
    expect(compareStructure(server, ours, { maps })).toEqual([
      { path: "$.server.locked", kind: "missing", expected: "boolean", actual: "absent" },
    ]);
  });

  it("detects an extra key, also inside array elements", () => {
    const ours: { server: Record<string, unknown> & { links: Array<Record<string, unknown>> } } =
      clone(server);
    ours.server.host_status = "UP";
    ours.server.links[0]!.type = "text/html";
    expect(compareStructure(server, ours, { maps })).toEqual([
      { path: "$.server.links[0].type", kind: "extra", expected: "absent", actual: "string" },
      { path: "$.server.host_status", kind: "extra", expected: "absent", actual: "string" },
    ]);
  });

  it("detects a type change, null against a value included", () => {
    const ours: { server: Record<string, unknown> } = clone(server);
    ours.server.progress = "0";
    ours.server.description = "text";
    ours.server.locked = null;
    expect(compareStructure(server, ours, { maps }).map((d) => [d.path, d.expected, d.actual])).toEqual([
      ["$.server.locked", "boolean", "null"],
      ["$.server.progress", "number", "string"],
      ["$.server.description", "null", "string"],
    ]);
  });

  it("detects nesting changes", () => {
    const flattened: { server: Record<string, unknown> } = clone(server);
    flattened.server.addresses = [{ addr: "10.0.0.2", version: 4 }];
    expect(compareStructure(server, flattened, { maps })).toEqual([
      { path: "$.server.addresses", kind: "type", expected: "object", actual: "array" },
    ]);
    const deeper = clone(server) as unknown as { server: { addresses: Record<string, unknown> } };
    deeper.server.addresses.private = [{ addr: { v4: "10.0.0.2" }, version: 4 }];
    expect(compareStructure(server, deeper, { maps })).toEqual([
      { path: "$.server.addresses{private}[0].addr", kind: "type", expected: "string", actual: "object" },
    ]);
    const wrapped = { servers: [server.server] };
    expect(compareStructure(server, wrapped).map((d) => d.kind)).toEqual(["missing", "extra"]);
  });

  it("compares array elements by index, and extra elements against the first", () => {
    const sample = { list: [{ a: 1 }, { a: 1, b: "x" }] };
    expect(compareStructure(sample, { list: [{ a: 2 }, { a: 3, b: "y" }, { a: 4 }] })).toEqual([]);
    expect(compareStructure(sample, { list: [{ a: 2 }, { a: 3, b: "y" }, { a: 4, b: "z" }] })).toEqual([
      { path: "$.list[2].b", kind: "extra", expected: "absent", actual: "string" },
    ]);
  });

  it("reports empty against non-empty arrays and maps both ways", () => {
    const ours = clone(server);
    ours.server.links = [];
    ours.server.metadata = {} as typeof ours.server.metadata;
    expect(compareStructure(server, ours, { maps })).toEqual([
      { path: "$.server.metadata", kind: "empty", expected: "object", actual: "empty object" },
      { path: "$.server.links", kind: "empty", expected: "array", actual: "empty array" },
    ]);
    expect(compareStructure({ tags: [] }, { tags: ["a"] })).toEqual([
      { path: "$.tags", kind: "nonempty", expected: "empty array", actual: "array" },
    ]);
  });

  it("treats map keys as data but still checks the entries' structure", () => {
    const ours: { server: Record<string, unknown> } = clone(server);
    ours.server.metadata = { other: "value", more: 1 };
    ours.server.addresses = { public: [{ addr: "1.2.3.4", version: 4, mac: "aa" }] };
    expect(compareStructure(server, ours, { maps })).toEqual([
      { path: "$.server.metadata{more}", kind: "type", expected: "string", actual: "number" },
      { path: "$.server.addresses{public}[0].mac", kind: "extra", expected: "absent", actual: "string" },
    ]);
    // without the map declaration the same keys are structure
    expect(
      compareStructure(server, ours)
        .filter((d) => d.path.includes("metadata"))
        .map((d) => d.kind),
    ).toEqual(["missing", "extra", "extra"]);
  });

  it("compares the root as well", () => {
    expect(compareStructure([], {})).toEqual([
      { path: "$", kind: "type", expected: "array", actual: "object" },
    ]);
    expect(compareStructure("a", 1)).toEqual([
      { path: "$", kind: "type", expected: "string", actual: "number" },
    ]);
  });
});

describe("pathMatches", () => {
  it("matches literal paths, keys, indices, map entries and runs", () => {
    expect(pathMatches("$.server.metadata", "$.server.metadata")).toBe(true);
    expect(pathMatches("**.metadata", "$.servers[3].metadata")).toBe(true);
    expect(pathMatches("$.servers[].flavor.*", "$.servers[0].flavor.extra_specs")).toBe(true);
    expect(pathMatches("$.servers[].flavor.*", "$.servers[0].flavor.extra_specs{hw:cpu}")).toBe(false);
    expect(pathMatches("$.addresses{}[]", "$.addresses{private}[0]")).toBe(true);
    expect(pathMatches("$.server.OS-EXT-STS:vm_state", "$.server.OS-EXT-STS:vm_state")).toBe(true);
    expect(pathMatches("$.server.metadata", "$.server.metadata2")).toBe(false);
    expect(pathMatches("$.server.a.b", "$.server.aXb")).toBe(false);
  });
});

describe("jsonType", () => {
  it("names the six JSON types", () => {
    expect([null, [], {}, "", 0, true].map(jsonType)).toEqual([
      "null",
      "array",
      "object",
      "string",
      "number",
      "boolean",
    ]);
  });
});
