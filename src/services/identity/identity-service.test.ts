import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultConfig } from "../../config.js";
import type { Db } from "../../store/database.js";
import { openTestDatabase } from "../../store/testing.js";
import type { AuthContext } from "../context.js";
import { type BootstrapResult, bootstrapIdentity } from "./bootstrap.js";
import {
  AccountLocked,
  AuthenticationFailed,
  DuplicateEntry,
  ForbiddenAction,
  TokenNotFound,
  ValidationError,
} from "./errors.js";
import { type AuthRequest, type AuthScope, IdentityService } from "./identity-service.js";
import { hashTokenId } from "./tokens.js";

const TTL = 600;

describe("IdentityService", () => {
  let dataDir: string;
  let db: Db;
  let close: () => Promise<void>;
  let now: Date;
  let identity: IdentityService;
  let boot: BootstrapResult;

  const password = (name: string, secret: string, scope: AuthScope = { kind: "default" }): AuthRequest => ({
    methods: ["password"],
    password: { user: { name, domain: { id: "default" }, password: secret } },
    scope,
  });
  const projectScope = (name: string): AuthScope => ({
    kind: "project",
    project: { name, domain: { name: "Default" } },
  });
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const contextOf = async (tokenId: string): Promise<AuthContext> =>
    (await identity.authenticate(tokenId, "req-test"))!;

  beforeEach(async () => {
    ({ db, dataDir, close } = await openTestDatabase());
    const config = defaultConfig({
      dataDir,
      logLevel: "silent",
      tokenTtlSeconds: TTL,
      publicUrl: "http://cloud.test",
    });
    now = new Date("2030-01-01T00:00:00.000Z");
    identity = new IdentityService({ db, config, now: () => now });
    boot = await bootstrapIdentity(db, config, {
      env: { NIMBUS_ADMIN_PASSWORD: "admin-pw", NIMBUS_DEMO_PASSWORD: "demo-pw" },
    });
  });

  afterEach(async () => {
    await close();
  });

  it("issues opaque random tokens and stores only their SHA-256", async () => {
    const a = await identity.issueToken(password("demo", "demo-pw"));
    const b = await identity.issueToken(password("demo", "demo-pw"));
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(a.id).not.toBe(b.id);
    const rows = await db.selectFrom("tokens").selectAll().execute();
    expect(rows.map((r) => r.id_hash).sort()).toEqual([hashTokenId(a.id), hashTokenId(b.id)].sort());
    expect(JSON.stringify(rows)).not.toContain(a.id);
  });

  it("resolves a token to an AuthContext with implied roles", async () => {
    const demo = await identity.issueToken(password("demo", "demo-pw", projectScope("demo")));
    expect(await identity.authenticate(demo.id, "req-1")).toEqual({
      userId: boot.demo.userId,
      userName: "demo",
      projectId: boot.demo.projectId,
      projectName: "demo",
      roles: ["member", "reader"],
      isAdmin: false,
      requestId: "req-1",
    });
    const admin = await identity.issueToken(password("admin", "admin-pw", projectScope("admin")));
    expect(await contextOf(admin.id)).toMatchObject({ roles: ["admin", "member", "reader"], isAdmin: true });
    expect(await identity.authenticate("not-a-token", "req-2")).toBeUndefined();
    expect(await identity.authenticate("", "req-2")).toBeUndefined();
  });

  it("scopes to the default project unless asked for an unscoped token", async () => {
    const byDefault = await identity.issueToken(password("demo", "demo-pw"));
    expect(byDefault.token.project?.id).toBe(boot.demo.projectId);
    const unscoped = await identity.issueToken(password("demo", "demo-pw", { kind: "unscoped" }));
    expect(unscoped.token.project).toBeNull();
    expect(unscoped.token.roles).toEqual([]);
    expect(await contextOf(unscoped.id)).toMatchObject({ projectId: null, roles: [], isAdmin: false });
  });

  it("refuses bad credentials, unknown users, projects without access and unsupported scopes", async () => {
    await expect(identity.issueToken(password("demo", "wrong"))).rejects.toThrow(AuthenticationFailed);
    await expect(identity.issueToken(password("nobody", "demo-pw"))).rejects.toThrow(AuthenticationFailed);
    await expect(
      identity.issueToken({
        ...password("demo", "demo-pw"),
        password: { user: { name: "demo", domain: { name: "Other" }, password: "demo-pw" } },
      }),
    ).rejects.toThrow(AuthenticationFailed);
    await expect(identity.issueToken(password("demo", "demo-pw", projectScope("admin")))).rejects.toThrow(
      /no access to project/,
    );
    await expect(identity.issueToken(password("demo", "demo-pw", projectScope("missing")))).rejects.toThrow(
      AuthenticationFailed,
    );
    await expect(
      identity.issueToken(password("demo", "demo-pw", { kind: "domain", domain: { id: "default" } })),
    ).rejects.toThrow(AuthenticationFailed);
    await expect(identity.issueToken({ ...password("demo", "demo-pw"), methods: ["totp"] })).rejects.toThrow(
      /unsupported method/,
    );
    await expect(
      identity.issueToken({
        methods: ["password"],
        password: { user: { name: "demo", password: "demo-pw" } },
        scope: { kind: "default" },
      }),
    ).rejects.toThrow(ValidationError);
    await expect(identity.issueToken({ methods: ["token"], scope: { kind: "default" } })).rejects.toThrow(
      ValidationError,
    );
  });

  it("counts failed passwords in the store, shared by every process and kept across restarts", async () => {
    const config = defaultConfig({ dataDir, publicUrl: "http://cloud.test", lockoutFailureAttempts: 4 });
    // Two services on one store stand for two processes, or one before and after a restart.
    const [a, b] = [0, 1].map(() => new IdentityService({ db, config, now: () => now }));
    await Promise.all(
      [a, a, b].map((s) =>
        expect(s!.issueToken(password("demo", "wrong"))).rejects.toThrow(AuthenticationFailed),
      ),
    );
    const row = await db.selectFrom("user_auth_failures").selectAll().executeTakeFirst();
    expect(row).toEqual({ user_id: boot.demo.userId, failure_count: 3, last_failure_at: now.toISOString() });

    await expect(b!.issueToken(password("demo", "wrong"))).rejects.toThrow(AuthenticationFailed);
    for (const s of [a!, b!]) {
      await expect(s.issueToken(password("demo", "demo-pw"))).rejects.toThrow(AccountLocked);
    }
    advance(1800);
    expect((await a!.issueToken(password("demo", "demo-pw"))).token.user.name).toBe("demo");
    expect(await db.selectFrom("user_auth_failures").selectAll().execute()).toEqual([]);
  });

  it("expires tokens after the TTL", async () => {
    const issued = await identity.issueToken(password("demo", "demo-pw"));
    expect(issued.token.issuedAt).toBe("2030-01-01T00:00:00.000Z");
    expect(issued.token.expiresAt).toBe("2030-01-01T00:10:00.000Z");
    advance(TTL - 1);
    expect(await identity.authenticate(issued.id, "r")).toBeDefined();
    advance(1);
    expect(await identity.authenticate(issued.id, "r")).toBeUndefined();
    const admin = await identity.issueToken(password("admin", "admin-pw"));
    await expect(identity.validateToken(await contextOf(admin.id), issued.id)).rejects.toThrow(TokenNotFound);
    await expect(
      identity.issueToken({ methods: ["token"], token: { id: issued.id }, scope: { kind: "default" } }),
    ).rejects.toThrow(AuthenticationFailed);
  });

  it("re-scopes with the token method, keeping the expiry and the audit chain", async () => {
    const unscoped = await identity.issueToken(password("admin", "admin-pw", { kind: "unscoped" }));
    advance(60);
    const rescoped = await identity.issueToken({
      methods: ["token"],
      token: { id: unscoped.id },
      scope: projectScope("admin"),
    });
    expect(rescoped.token.project?.name).toBe("admin");
    expect(rescoped.token.methods).toEqual(["token", "password"]);
    expect(rescoped.token.expiresAt).toBe(unscoped.token.expiresAt);
    expect(rescoped.token.issuedAt).toBe("2030-01-01T00:01:00.000Z");
    expect(rescoped.token.auditIds).toHaveLength(2);
    expect(rescoped.token.auditIds[1]).toBe(unscoped.token.auditIds[0]);
    const again = await identity.issueToken({
      methods: ["token"],
      token: { id: rescoped.id },
      scope: projectScope("admin"),
    });
    expect(again.token.auditIds[1]).toBe(unscoped.token.auditIds[0]);
  });

  it("revokes at once, with its audit chain by default", async () => {
    const admin = await contextOf((await identity.issueToken(password("admin", "admin-pw"))).id);
    const root = await identity.issueToken(password("demo", "demo-pw", { kind: "unscoped" }));
    const child = await identity.issueToken({
      methods: ["token"],
      token: { id: root.id },
      scope: projectScope("demo"),
    });
    const other = await identity.issueToken(password("demo", "demo-pw"));

    await identity.revokeToken(admin, child.id, false);
    expect(await identity.authenticate(child.id, "r")).toBeUndefined();
    expect(await identity.authenticate(root.id, "r")).toBeDefined();

    const child2 = await identity.issueToken({
      methods: ["token"],
      token: { id: root.id },
      scope: projectScope("demo"),
    });
    await identity.revokeToken(await contextOf(child2.id), child2.id);
    expect(await identity.authenticate(child2.id, "r")).toBeUndefined();
    expect(await identity.authenticate(root.id, "r")).toBeUndefined();
    expect(await identity.authenticate(other.id, "r")).toBeDefined();
    await expect(identity.revokeToken(admin, child2.id)).rejects.toThrow(TokenNotFound);
  });

  it("lets only an admin or the token's own user validate or revoke it", async () => {
    const demo = await contextOf((await identity.issueToken(password("demo", "demo-pw"))).id);
    const adminToken = await identity.issueToken(password("admin", "admin-pw"));
    await expect(identity.validateToken(demo, adminToken.id)).rejects.toThrow(ForbiddenAction);
    await expect(identity.revokeToken(demo, adminToken.id)).rejects.toThrow(ForbiddenAction);
    expect((await identity.validateToken(await contextOf(adminToken.id), adminToken.id)).user.name).toBe(
      "admin",
    );
  });

  it("drops what a user lost: a removed role, a disabled user, a changed password", async () => {
    const admin = await contextOf((await identity.issueToken(password("admin", "admin-pw"))).id);
    const roles = await identity.listRoles(admin);
    const member = roles.find((r) => r.name === "member")!;

    const t1 = await identity.issueToken(password("demo", "demo-pw"));
    await identity.revokeRole(admin, boot.demo.projectId, boot.demo.userId, member.id);
    expect(await identity.authenticate(t1.id, "r")).toBeUndefined();
    // Granting the role again lets the user log in, but does not revive the old token.
    await identity.grantRole(admin, boot.demo.projectId, boot.demo.userId, member.id);
    expect(await identity.authenticate(t1.id, "r")).toBeUndefined();

    await identity.updateUser(admin, boot.demo.userId, { enabled: false });
    expect(await identity.authenticate(t1.id, "r")).toBeUndefined();
    await expect(identity.issueToken(password("demo", "demo-pw"))).rejects.toThrow(AuthenticationFailed);
    await identity.updateUser(admin, boot.demo.userId, { enabled: true });

    const t2 = await identity.issueToken(password("demo", "demo-pw"));
    await identity.updateUser(admin, boot.demo.userId, { password: "new-pw" });
    expect(await identity.authenticate(t2.id, "r")).toBeUndefined();
    await expect(identity.issueToken(password("demo", "demo-pw"))).rejects.toThrow(AuthenticationFailed);
    expect((await identity.issueToken(password("demo", "new-pw"))).token.user.name).toBe("demo");
  });

  it("keeps tokens revoked when a disabled project is enabled or a deleted role is granted again", async () => {
    const adminToken = await identity.issueToken(password("admin", "admin-pw"));
    const admin = await contextOf(adminToken.id);
    const scoped = () => identity.issueToken(password("demo", "demo-pw", projectScope("demo")));
    const t1 = await scoped();
    await identity.updateProject(admin, boot.demo.projectId, { enabled: false });
    await identity.updateProject(admin, boot.demo.projectId, { enabled: true });
    expect(await identity.authenticate(t1.id, "r")).toBeUndefined();

    const t2 = await scoped();
    const role = await identity.createRole(admin, { name: "auditor" });
    await identity.grantRole(admin, boot.demo.projectId, boot.demo.userId, role.id);
    await identity.deleteRole(admin, role.id);
    const again = await identity.createRole(admin, { name: "auditor" });
    await identity.grantRole(admin, boot.demo.projectId, boot.demo.userId, again.id);
    expect(await identity.authenticate(t2.id, "r")).toBeUndefined();
    // New tokens work; the admin's, on another project, were never touched.
    expect(await identity.authenticate((await scoped()).id, "r")).toMatchObject({ userName: "demo" });
    expect(await identity.authenticate(adminToken.id, "r")).toMatchObject({ userName: "admin" });
  });

  it("checks admin rights and unique names in CRUD", async () => {
    const admin = await contextOf((await identity.issueToken(password("admin", "admin-pw"))).id);
    const demo = await contextOf((await identity.issueToken(password("demo", "demo-pw"))).id);
    await expect(identity.createProject(demo, { name: "x" })).rejects.toThrow(ForbiddenAction);
    await expect(identity.listUsers(demo)).rejects.toThrow(/identity:list_users/);
    const project = await identity.createProject(admin, { name: "x" });
    await expect(identity.createProject(admin, { name: "x" })).rejects.toThrow(DuplicateEntry);
    const user = await identity.createUser(admin, {
      name: "u",
      password: "pw",
      defaultProjectId: project.id,
    });
    await expect(identity.createUser(admin, { name: "u" })).rejects.toThrow(DuplicateEntry);
    await expect(identity.updateUser(admin, user.id, { name: "demo" })).rejects.toThrow(DuplicateEntry);
    expect((await identity.getUser(demo, boot.demo.userId)).name).toBe("demo");
    await expect(identity.getUser(demo, user.id)).rejects.toThrow(ForbiddenAction);
    expect((await identity.getProject(demo, boot.demo.projectId)).name).toBe("demo");
    await expect(identity.getProject(demo, project.id)).rejects.toThrow(ForbiddenAction);
  });

  it("lists effective role assignments with the roles they imply", async () => {
    const admin = await contextOf((await identity.issueToken(password("admin", "admin-pw"))).id);
    const direct = await identity.listRoleAssignments(admin, { userId: boot.demo.userId });
    expect(direct.map((a) => a.role.name)).toEqual(["member"]);
    const effective = await identity.listRoleAssignments(admin, {
      userId: boot.admin.userId,
      effective: true,
    });
    expect(effective.map((a) => [a.role.name, a.prior?.name])).toEqual([
      ["admin", undefined],
      ["member", "admin"],
      ["reader", "member"],
    ]);
    const readers = await identity.listRoleAssignments(admin, {
      roleId: effective[2]!.role.id,
      effective: true,
    });
    expect(readers.map((a) => a.user.name).sort()).toEqual(["admin", "demo"]);
  });

  it("forgets expired tokens when issuing new ones", async () => {
    const old = await identity.issueToken(password("demo", "demo-pw"));
    advance(TTL + 120);
    await identity.issueToken(password("demo", "demo-pw"));
    const hashes = (await db.selectFrom("tokens").select("id_hash").execute()).map((r) => r.id_hash);
    expect(hashes).not.toContain(hashTokenId(old.id));
    expect(hashes).toHaveLength(1);
  });
});
