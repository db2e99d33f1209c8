import { describe, expect, it } from "vitest";
import { buildCatalog } from "./catalog.js";
import { expandRoles, impliedNames } from "./roles.js";

describe("catalog", () => {
  it("lists identity, compute, image, network and placement in RegionOne on three interfaces at the public URL", () => {
    const catalog = buildCatalog("http://cloud.test:8774/");
    expect(catalog.map((s) => [s.type, s.name])).toEqual([
      ["identity", "keystone"],
      ["compute", "nova"],
      ["image", "glance"],
      ["network", "neutron"],
      ["placement", "placement"],
    ]);
    const urls = Object.fromEntries(
      catalog.map((s) => [s.type, [...new Set(s.endpoints.map((e) => e.url))]]),
    );
    expect(urls).toEqual({
      identity: ["http://cloud.test:8774/identity"],
      compute: ["http://cloud.test:8774/compute/v2.1"],
      image: ["http://cloud.test:8774/image"],
      network: ["http://cloud.test:8774/network"],
      placement: ["http://cloud.test:8774/placement"],
    });
    for (const service of catalog) {
      expect(service.id).toMatch(/^[0-9a-f]{32}$/);
      expect(service.endpoints.map((e) => e.interface)).toEqual(["public", "internal", "admin"]);
      for (const endpoint of service.endpoints) {
        expect(endpoint).toMatchObject({ region: "RegionOne", region_id: "RegionOne" });
        expect(endpoint.id).toMatch(/^[0-9a-f]{32}$/);
      }
    }
  });

  it("keeps ids stable across calls and URLs, unique within the catalog", () => {
    const ids = (url: string) => buildCatalog(url).flatMap((s) => [s.id, ...s.endpoints.map((e) => e.id)]);
    const a = ids("http://a.test");
    expect(ids("http://a.test")).toEqual(a);
    expect(ids("https://b.test:9000")).toEqual(a);
    expect(new Set(a).size).toBe(a.length);
  });
});

describe("implied roles", () => {
  const roles = {
    admin: { id: "1", name: "admin" },
    member: { id: "2", name: "member" },
    reader: { id: "3", name: "reader" },
  };
  const known = (name: string) => roles[name as keyof typeof roles];

  it("admin implies member implies reader", () => {
    expect(impliedNames("admin")).toEqual(["member", "reader"]);
    expect(impliedNames("member")).toEqual(["reader"]);
    expect(impliedNames("reader")).toEqual([]);
    expect(impliedNames("custom")).toEqual([]);
  });

  it("expands granted roles once each, remembering the prior role", () => {
    expect(expandRoles([roles.member], known)).toEqual([
      { role: roles.member },
      { role: roles.reader, prior: roles.member },
    ]);
    expect(expandRoles([roles.admin, roles.reader], known)).toEqual([
      { role: roles.admin },
      { role: roles.reader },
      { role: roles.member, prior: roles.admin },
    ]);
    // A deleted implied role breaks the chain there.
    expect(expandRoles([roles.admin], (n) => (n === "member" ? undefined : known(n)))).toEqual([
      { role: roles.admin },
    ]);
  });
});
