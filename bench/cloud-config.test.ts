import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { identityV3Url, tokenRequestBody } from "./client.js";
import { cloudsYamlCandidates, loadCloud } from "./cloud-config.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-clouds-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const clouds = write(
  "clouds.yaml",
  `clouds:
  lab:
    region_name: RegionTwo
    interface: internal
    verify: false
    auth:
      auth_url: https://keystone.example:5000
      username: alice
      project_name: bench
      user_domain_name: Users
      project_domain_id: default
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example:5000/v3/
      application_credential_id: ac1
      application_credential_secret: s3cret
`,
);
write("secure.yaml", "clouds:\n  lab:\n    auth:\n      password: from-secure-yaml\n");

describe("loadCloud", () => {
  it("reads an entry and merges secure.yaml beside it, as openstacksdk does", () => {
    const lab = loadCloud("lab", [clouds]);
    expect(lab).toMatchObject({ regionName: "RegionTwo", interface: "internal", verify: false });
    expect(lab.auth).toMatchObject({
      authType: "password",
      username: "alice",
      password: "from-secure-yaml",
      projectName: "bench",
      userDomainName: "Users",
      projectDomainId: "default",
    });
  });

  it("names the files it read when the cloud is missing", () => {
    expect(() => loadCloud("nope", [path.join(dir, "absent.yaml"), clouds])).toThrow(
      /'nope' not found in .*clouds\.yaml/,
    );
  });

  it("honours OS_CLIENT_CONFIG_FILE alone when set", () => {
    expect(cloudsYamlCandidates({ OS_CLIENT_CONFIG_FILE: clouds })).toEqual([clouds]);
    expect(cloudsYamlCandidates({})).toHaveLength(3);
  });
});

describe("tokenRequestBody", () => {
  it("builds Keystone's password method with a project scope", () => {
    expect(tokenRequestBody(loadCloud("lab", [clouds]).auth)).toEqual({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "alice", domain: { name: "Users" }, password: "from-secure-yaml" } },
        },
        scope: { project: { name: "bench", domain: { id: "default" } } },
      },
    });
  });

  it("builds the application-credential method, unscoped", () => {
    expect(tokenRequestBody(loadCloud("appcred", [clouds]).auth)).toEqual({
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: { id: "ac1", secret: "s3cret" },
        },
      },
    });
  });
});

describe("identityV3Url", () => {
  it("adds /v3 only when the auth_url lacks it", () => {
    expect(identityV3Url("http://h/identity")).toBe("http://h/identity/v3");
    expect(identityV3Url("http://h/identity/v3/")).toBe("http://h/identity/v3");
  });
});
