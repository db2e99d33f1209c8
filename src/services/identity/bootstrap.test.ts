import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { type Config, defaultConfig } from "../../config.js";
import type { Db } from "../../store/database.js";
import { IdentityRepository } from "../../store/identity-repository.js";
import { openTestDatabase } from "../../store/testing.js";
import { bootstrapIdentity, createdAccountsNotice } from "./bootstrap.js";
import { verifyPassword } from "./passwords.js";

describe("bootstrapIdentity", () => {
  let dataDir: string;
  let config: Config;
  let db: Db;
  let close: () => Promise<void>;
  const env = { NIMBUS_ADMIN_PASSWORD: "admin-pw", NIMBUS_DEMO_PASSWORD: "demo-pw" };
  const cloudsFile = () => path.join(dataDir, "clouds.yaml");

  beforeEach(async () => {
    ({ db, dataDir, close } = await openTestDatabase());
    config = defaultConfig({ dataDir, logLevel: "silent", publicUrl: "http://cloud.test:8774" });
  });

  afterEach(async () => {
    await close();
  });

  it("creates roles, the admin and demo projects and users, and clouds.yaml on first start", async () => {
    const result = await bootstrapIdentity(db, config, { env });
    expect(result.admin).toMatchObject({
      userName: "admin",
      projectName: "admin",
      role: "admin",
      password: "admin-pw",
      created: true,
    });
    expect(result.demo).toMatchObject({
      userName: "demo",
      projectName: "demo",
      role: "member",
      password: "demo-pw",
      created: true,
    });
    expect(result.cloudsYaml).toEqual({ path: cloudsFile(), written: true });
    expect(result.accounts).toEqual([result.admin, result.demo]);

    const repo = new IdentityRepository(db);
    expect((await repo.roles()).map((r) => r.name)).toEqual(["admin", "member", "reader"]);
    expect((await repo.projects()).map((p) => p.name)).toEqual(["admin", "demo"]);
    const admin = (await repo.userByName("default", "admin"))!;
    expect(admin.password_hash).not.toContain("admin-pw");
    expect(await verifyPassword("admin-pw", admin.password_hash)).toBe(true);
    expect(admin.default_project_id).toBe(result.admin.projectId);
    expect((await repo.rolesOn(admin.id, result.admin.projectId)).map((r) => r.name)).toEqual(["admin"]);
    expect((await repo.rolesOn(result.demo.userId, result.demo.projectId)).map((r) => r.name)).toEqual([
      "member",
    ]);

    const text = fs.readFileSync(cloudsFile(), "utf8");
    expect((fs.statSync(cloudsFile()).mode & 0o777).toString(8)).toBe("600");
    const common = {
      region_name: "RegionOne",
      interface: "public",
      identity_api_version: 3,
    };
    const auth = {
      auth_url: "http://cloud.test:8774/identity",
      user_domain_name: "Default",
      project_domain_name: "Default",
    };
    expect(YAML.parse(text)).toEqual({
      clouds: {
        nimbus: { ...common, auth: { ...auth, username: "demo", password: "demo-pw", project_name: "demo" } },
        "nimbus-admin": {
          ...common,
          auth: { ...auth, username: "admin", password: "admin-pw", project_name: "admin" },
        },
      },
    });
  });

  it("writes clouds.yaml readable by its owner only, also when it re-writes it", async () => {
    await bootstrapIdentity(db, config, { env });
    expect(fs.statSync(cloudsFile()).mode & 0o777).toBe(0o600);
    fs.rmSync(cloudsFile());
    expect((await bootstrapIdentity(db, config, { env })).cloudsYaml.written).toBe(true);
    expect(fs.statSync(cloudsFile()).mode & 0o777).toBe(0o600);
  });

  it("tells the terminal a generated password once, and not one the environment gave", async () => {
    const first = await bootstrapIdentity(db, config, { env: { NIMBUS_ADMIN_PASSWORD: "admin-pw" } });
    expect(first.admin.generated).toBe(false);
    expect(first.demo.generated).toBe(true);
    expect(createdAccountsNotice(first)).toBe(
      "nimbus: created user admin on project admin, password from NIMBUS_ADMIN_PASSWORD\n" +
        `nimbus: created user demo on project demo, password ${first.demo.password}\n` +
        `nimbus: a generated password is shown this once; ${cloudsFile()} keeps it\n`,
    );
    const second = await bootstrapIdentity(db, config, { env: {} });
    expect(createdAccountsNotice(second)).toBeUndefined();
  });

  it("generates random passwords when the environment gives none", async () => {
    const result = await bootstrapIdentity(db, config, { env: {} });
    expect(result.admin.password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(result.demo.password).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(result.admin.password).not.toBe(result.demo.password);
    const clouds = YAML.parse(fs.readFileSync(cloudsFile(), "utf8")).clouds;
    expect(clouds["nimbus-admin"].auth.password).toBe(result.admin.password);
    expect(clouds.nimbus.auth.password).toBe(result.demo.password);
  });

  it("is idempotent: a second start re-creates nothing and leaves clouds.yaml alone", async () => {
    const first = await bootstrapIdentity(db, config, { env: {} });
    fs.appendFileSync(cloudsFile(), "# edited by hand\n");
    const before = fs.readFileSync(cloudsFile(), "utf8");

    const second = await bootstrapIdentity(db, config, { env: {} });
    expect(second.admin).toMatchObject({
      userId: first.admin.userId,
      projectId: first.admin.projectId,
      created: false,
      password: null,
    });
    expect(second.demo).toMatchObject({
      userId: first.demo.userId,
      projectId: first.demo.projectId,
      created: false,
      password: null,
    });
    expect(second.cloudsYaml.written).toBe(false);
    expect(fs.readFileSync(cloudsFile(), "utf8")).toBe(before);

    const repo = new IdentityRepository(db);
    expect(await repo.users()).toHaveLength(2);
    expect(await repo.projects()).toHaveLength(2);
    expect(await repo.roles()).toHaveLength(3);
    expect(await repo.assignments()).toHaveLength(2);
    // The existing password still works: nothing was re-hashed.
    expect(
      await verifyPassword(first.admin.password!, (await repo.user(first.admin.userId))!.password_hash),
    ).toBe(true);
  });

  it("does not re-write a missing clouds.yaml unless the environment gives the matching passwords", async () => {
    await bootstrapIdentity(db, config, { env });
    fs.rmSync(cloudsFile());

    const withoutPasswords = await bootstrapIdentity(db, config, { env: {} });
    expect(withoutPasswords.cloudsYaml.written).toBe(false);
    expect(withoutPasswords.cloudsYaml.reason).toMatch(/cannot be recovered/);
    expect(fs.existsSync(cloudsFile())).toBe(false);

    const wrong = await bootstrapIdentity(db, config, { env: { ...env, NIMBUS_DEMO_PASSWORD: "not-it" } });
    expect(wrong.cloudsYaml.written).toBe(false);
    expect(wrong.admin.password).toBe("admin-pw");
    expect(wrong.demo.password).toBeNull();

    const right = await bootstrapIdentity(db, config, { env });
    expect(right.cloudsYaml.written).toBe(true);
    expect(right.admin.created).toBe(false);
    expect(YAML.parse(fs.readFileSync(cloudsFile(), "utf8")).clouds.nimbus.auth.password).toBe("demo-pw");
  });

  it("does not change an existing user's password to the environment's", async () => {
    await bootstrapIdentity(db, config, { env });
    const again = await bootstrapIdentity(db, config, { env: { NIMBUS_ADMIN_PASSWORD: "other" } });
    expect(again.admin.password).toBeNull();
    const admin = (await new IdentityRepository(db).userByName("default", "admin"))!;
    expect(await verifyPassword("admin-pw", admin.password_hash)).toBe(true);
  });
});
