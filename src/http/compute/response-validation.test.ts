import { describe, expect, it } from "vitest";
import { ApiVersion } from "./microversion.js";
import { responseProblem } from "./response-validation.js";

const keypairs = { method: "GET", path: "/os-keypairs" };
const keypair = (extra: Record<string, unknown> = {}) => ({
  keypair: { name: "k", public_key: "ssh-rsa AAAA", fingerprint: "aa:bb", type: "ssh", ...extra },
});

describe("responseProblem", () => {
  it("accepts a body nova's schema for the version accepts", () => {
    expect(responseProblem(keypairs, ApiVersion.of("2.2"), { keypairs: [keypair()] })).toBeNull();
  });

  it("names the member a view got wrong, per microversion", () => {
    // `type` appears at 2.2: before it, the key is one nova never answers
    expect(responseProblem(keypairs, ApiVersion.of("2.1"), { keypairs: [keypair()] })).toMatch(
      /GET \/os-keypairs at 2\.1: \/keypairs\/0\/keypair must NOT have additional properties/,
    );
    expect(responseProblem(keypairs, ApiVersion.of("2.2"), { keypairs: [keypair({ type: 7 })] })).toMatch(
      /\/keypairs\/0\/keypair\/type must be/,
    );
  });

  it("checks an empty body against nova's null schema", () => {
    const del = { method: "DELETE", path: "/servers/{id}" };
    expect(responseProblem(del, ApiVersion.of("2.1"), undefined)).toBeNull();
    expect(responseProblem(del, ApiVersion.of("2.1"), { server: {} })).toMatch(/must be null/);
  });

  it("leaves the keys nova's code answers but its schema omits unchecked, and only those", () => {
    const group = {
      id: crypto.randomUUID(),
      members: [],
      metadata: {},
      name: "g",
      policies: ["soft-affinity"],
    };
    const show = { method: "GET", path: "/os-server-groups/{id}" };
    expect(responseProblem(show, ApiVersion.of("2.1"), { server_group: group })).toBeNull();
    expect(
      responseProblem(show, ApiVersion.of("2.1"), { server_group: { ...group, policies: ["nearby"] } }),
    ).toBeNull();
    expect(responseProblem(show, ApiVersion.of("2.1"), { server_group: { ...group, id: "x" } })).toMatch(
      /\/server_group\/id must match format "uuid"/,
    );
  });
});
