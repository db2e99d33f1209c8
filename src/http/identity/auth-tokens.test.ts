import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHttpServer } from "../app.js";
import { authHook } from "../auth-hook.js";
import { registerIdentity } from "./router.js";
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  type IdentityHarness,
  identityHarness,
  login,
  passwordAuth,
} from "./test-support.js";

const TOKENS = "/identity/v3/auth/tokens";
const KEYSTONE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

describe("/identity/v3/auth", () => {
  let h: IdentityHarness;
  let now: Date;
  beforeAll(async () => {
    now = new Date();
    h = await identityHarness({ config: { tokenTtlSeconds: 3600 }, now: () => now });
  });
  afterAll(async () => {
    await h.close();
  });

  const post = (payload: unknown, query = "") =>
    h.app.inject({ method: "POST", url: `${TOKENS}${query}`, payload: payload as object });
  const withToken = (
    method: "GET" | "HEAD" | "DELETE",
    authToken: string,
    subjectToken?: string,
    query = "",
  ) =>
    h.app.inject({
      method,
      url: `${TOKENS}${query}`,
      headers: { "x-auth-token": authToken, ...(subjectToken ? { "x-subject-token": subjectToken } : {}) },
    });

  it("issues a project-scoped token for a user by name and domain name, in Keystone's shape", async () => {
    const response = await post(passwordAuth("demo", DEMO_PASSWORD, "demo"));
    expect(response.statusCode).toBe(201);
    const id = response.headers["x-subject-token"] as string;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    const { token } = response.json();
    expect(Object.keys(token)).toEqual([
      "methods",
      "user",
      "audit_ids",
      "expires_at",
      "issued_at",
      "project",
      "is_domain",
      "roles",
      "catalog",
    ]);
    expect(token.methods).toEqual(["password"]);
    expect(token.user).toEqual({
      domain: { id: "default", name: "Default" },
      id: h.boot.demo.userId,
      name: "demo",
      password_expires_at: null,
    });
    expect(token.audit_ids).toHaveLength(1);
    expect(token.audit_ids[0]).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token.issued_at).toMatch(KEYSTONE_TIME);
    expect(token.expires_at).toMatch(KEYSTONE_TIME);
    expect(Date.parse(token.expires_at) - Date.parse(token.issued_at)).toBe(3600_000);
    expect(token.project).toEqual({
      domain: { id: "default", name: "Default" },
      id: h.boot.demo.projectId,
      name: "demo",
    });
    expect(token.is_domain).toBe(false);
    expect(token.roles.map((r: { name: string }) => r.name)).toEqual(["member", "reader"]);
    for (const role of token.roles) expect(role.id).toMatch(/^[0-9a-f]{32}$/);
    expect(token.catalog.map((s: { type: string }) => s.type)).toEqual([
      "identity",
      "compute",
      "image",
      "network",
      "placement",
    ]);
    expect(token.catalog[1]).toMatchObject({
      type: "compute",
      name: "nova",
      endpoints: expect.arrayContaining([
        {
          id: expect.stringMatching(/^[0-9a-f]{32}$/),
          interface: "public",
          region: "RegionOne",
          region_id: "RegionOne",
          url: "http://cloud.test:8774/compute/v2.1",
        },
      ]),
    });
  });

  it("authenticates a user by id and scopes to a project by id", async () => {
    const response = await post({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { id: h.boot.admin.userId, password: ADMIN_PASSWORD } },
        },
        scope: { project: { id: h.boot.admin.projectId } },
      },
    });
    expect(response.statusCode).toBe(201);
    const { token } = response.json();
    expect(token.user.name).toBe("admin");
    expect(token.project.name).toBe("admin");
    expect(token.roles.map((r: { name: string }) => r.name)).toEqual(["admin", "member", "reader"]);
  });

  it("accepts the user's domain by id and the project's domain by name, case-insensitively", async () => {
    const response = await post({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: "demo", domain: { id: "default" }, password: DEMO_PASSWORD } },
        },
        scope: { project: { name: "demo", domain: { name: "default" } } },
      },
    });
    expect(response.statusCode).toBe(201);
    expect(response.json().token.project.id).toBe(h.boot.demo.projectId);
  });

  it.each([["unscoped"], [{ unscoped: {} }]])("issues an unscoped token for scope %j", async (scope) => {
    const body = passwordAuth("demo", DEMO_PASSWORD) as { auth: Record<string, unknown> };
    body.auth.scope = scope;
    const response = await post(body);
    expect(response.statusCode).toBe(201);
    const { token } = response.json();
    expect(token).not.toHaveProperty("project");
    expect(token).not.toHaveProperty("roles");
    expect(token).not.toHaveProperty("catalog");
    expect(token.user.name).toBe("demo");
  });

  it("scopes a token without a scope to the user's default project", async () => {
    const response = await post(passwordAuth("demo", DEMO_PASSWORD));
    expect(response.json().token.project.name).toBe("demo");
  });

  it("re-scopes an unscoped token with the token method", async () => {
    const unscoped = await post({
      ...passwordAuth("admin", ADMIN_PASSWORD),
      auth: { ...passwordAuth("admin", ADMIN_PASSWORD).auth, scope: "unscoped" },
    });
    const parent = unscoped.json().token;
    const response = await post({
      auth: {
        identity: { methods: ["token"], token: { id: unscoped.headers["x-subject-token"] } },
        scope: { project: { name: "demo", domain: { id: "default" } } },
      },
    });
    // The admin holds no role on demo: re-scoping there is refused.
    expect(response.statusCode).toBe(401);

    const ok = await post({
      auth: {
        identity: { methods: ["token"], token: { id: unscoped.headers["x-subject-token"] } },
        scope: { project: { name: "admin", domain: { id: "default" } } },
      },
    });
    expect(ok.statusCode).toBe(201);
    const { token } = ok.json();
    expect(ok.headers["x-subject-token"]).not.toBe(unscoped.headers["x-subject-token"]);
    expect(token.methods).toEqual(["token", "password"]);
    expect(token.project.name).toBe("admin");
    expect(token.expires_at).toBe(parent.expires_at);
    expect(token.audit_ids).toEqual([expect.any(String), parent.audit_ids[0]]);
  });

  it("leaves out the catalog with ?nocatalog", async () => {
    const response = await post(passwordAuth("demo", DEMO_PASSWORD, "demo"), "?nocatalog");
    expect(response.statusCode).toBe(201);
    expect(response.json().token).not.toHaveProperty("catalog");
    expect(response.json().token.roles).toHaveLength(2);
  });

  it("answers 401 in Keystone's body to bad credentials", async () => {
    for (const body of [
      passwordAuth("demo", "wrong", "demo"),
      passwordAuth("nobody", DEMO_PASSWORD),
      passwordAuth("demo", DEMO_PASSWORD, "admin"),
      passwordAuth("demo", DEMO_PASSWORD, "no-such-project"),
      { auth: { identity: { methods: ["token"], token: { id: "not-a-token" } } } },
      { auth: { identity: { methods: ["totp"], totp: {} } } },
    ]) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(401);
      expect(response.json().error).toMatchObject({ code: 401, title: "Unauthorized" });
      expect(response.headers["x-subject-token"]).toBeUndefined();
    }
  });

  it("answers 400 to malformed auth bodies", async () => {
    for (const body of [
      {},
      { auth: {} },
      { auth: { identity: {} } },
      { auth: { identity: { methods: "password" } } },
      { auth: { identity: { methods: ["password"], password: { user: { password: "x" } } } } },
      { auth: { identity: { methods: ["password"], password: { user: { name: "demo", password: "x" } } } } },
      {
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "demo", domain: {}, password: "x" } },
          },
        },
      },
      { auth: { identity: { methods: ["token"] } } },
      { auth: { identity: { methods: ["token"], token: {} } } },
      {
        ...passwordAuth("demo", DEMO_PASSWORD),
        auth: { ...passwordAuth("demo", DEMO_PASSWORD).auth, scope: { project: {} } },
      },
      {
        ...passwordAuth("demo", DEMO_PASSWORD),
        auth: { ...passwordAuth("demo", DEMO_PASSWORD).auth, scope: { project: { name: "demo" } } },
      },
      [],
    ]) {
      const response = await post(body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error).toMatchObject({ code: 400, title: "Bad Request" });
    }
    const empty = await h.app.inject({ method: "POST", url: TOKENS });
    expect(empty.statusCode).toBe(400);
  });

  it("validates a token with GET and HEAD", async () => {
    const admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");
    const demo = await login(h.app, "demo", DEMO_PASSWORD, "demo");

    const get = await withToken("GET", admin, demo);
    expect(get.statusCode).toBe(200);
    expect(get.headers["x-subject-token"]).toBe(demo);
    expect(get.json().token).toMatchObject({ user: { name: "demo" }, project: { name: "demo" } });
    expect(get.json().token.catalog).toHaveLength(5);
    expect((await withToken("GET", admin, demo, "?nocatalog")).json().token).not.toHaveProperty("catalog");

    const head = await withToken("HEAD", admin, demo);
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe("");

    // Users may validate their own tokens, not others'.
    expect((await withToken("GET", demo, demo)).statusCode).toBe(200);
    const forbidden = await withToken("GET", demo, admin);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().error).toMatchObject({ code: 403, title: "Forbidden" });

    expect((await withToken("GET", admin, "no-such-token")).statusCode).toBe(404);
    expect((await withToken("GET", admin)).statusCode).toBe(404);
    expect((await withToken("GET", "no-such-token", demo)).statusCode).toBe(401);
  });

  it("revokes a token: it is refused at once", async () => {
    const admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");
    const demo = await login(h.app, "demo", DEMO_PASSWORD, "demo");
    expect((await withToken("DELETE", demo, demo)).statusCode).toBe(204);

    const asAuth = await withToken("GET", demo, admin);
    expect(asAuth.statusCode).toBe(401);
    expect(asAuth.json().error.code).toBe(401);
    expect((await withToken("GET", admin, demo)).statusCode).toBe(404);
    expect((await withToken("HEAD", admin, demo)).statusCode).toBe(404);
    expect((await withToken("DELETE", admin, demo)).statusCode).toBe(404);
    expect(await h.identity.authenticate(demo, "req-x")).toBeUndefined();

    // Someone else's token may be revoked by an admin only.
    const other = await login(h.app, "demo", DEMO_PASSWORD, "demo");
    const mine = await login(h.app, "demo", DEMO_PASSWORD, "demo");
    expect((await withToken("DELETE", mine, admin)).statusCode).toBe(403);
    expect((await withToken("DELETE", admin, other, "?cascade=false")).statusCode).toBe(204);
    expect((await withToken("GET", mine, mine)).statusCode).toBe(200);
  });

  it("expires tokens: an expired token is refused at once", async () => {
    const admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");
    const demo = await login(h.app, "demo", DEMO_PASSWORD, "demo");
    now = new Date(now.getTime() + 3599_000);
    expect((await withToken("GET", demo, demo)).statusCode).toBe(200);
    now = new Date(now.getTime() + 1000);
    expect((await withToken("GET", demo, demo)).statusCode).toBe(401);
    expect((await withToken("GET", admin, demo)).statusCode).toBe(401);
    const rescope = await post({ auth: { identity: { methods: ["token"], token: { id: demo } } } });
    expect(rescope.statusCode).toBe(401);
  });

  it("gives the catalog and the possible project scopes of the caller", async () => {
    const demo = await login(h.app, "demo", DEMO_PASSWORD, "demo");
    const catalog = await h.app.inject({
      url: "/identity/v3/auth/catalog",
      headers: { "x-auth-token": demo },
    });
    expect(catalog.statusCode).toBe(200);
    expect(catalog.json().catalog.map((s: { name: string }) => s.name)).toEqual([
      "keystone",
      "nova",
      "glance",
      "neutron",
      "placement",
    ]);
    expect(catalog.json().links.self).toBe("http://cloud.test:8774/identity/v3/auth/catalog");

    const projects = await h.app.inject({
      url: "/identity/v3/auth/projects",
      headers: { "x-auth-token": demo },
    });
    expect(projects.statusCode).toBe(200);
    expect(projects.json().projects).toEqual([
      expect.objectContaining({
        id: h.boot.demo.projectId,
        name: "demo",
        domain_id: "default",
        enabled: true,
      }),
    ]);
    expect(projects.json().links).toEqual({
      self: "http://cloud.test:8774/identity/v3/auth/projects",
      previous: null,
      next: null,
    });

    const body = passwordAuth("demo", DEMO_PASSWORD) as { auth: Record<string, unknown> };
    body.auth.scope = "unscoped";
    const unscoped = (await post(body)).headers["x-subject-token"] as string;
    const refused = await h.app.inject({
      url: "/identity/v3/auth/catalog",
      headers: { "x-auth-token": unscoped },
    });
    expect(refused.statusCode).toBe(403);
    const scopes = await h.app.inject({
      url: "/identity/v3/auth/projects",
      headers: { "x-auth-token": unscoped },
    });
    expect(scopes.json().projects.map((p: { name: string }) => p.name)).toEqual(["demo"]);
  });

  it("serves as the Authenticate of another service's auth hook", async () => {
    const app = createHttpServer(h.config);
    await registerIdentity(app, { identity: h.identity, config: h.config });
    await app.register(async (compute) => {
      compute.addHook("onRequest", authHook(h.identity.authenticate));
      compute.get("/compute/whoami", async (request) => request.auth);
    });
    const demo = await login(app, "demo", DEMO_PASSWORD, "demo");
    const ok = await app.inject({ url: "/compute/whoami", headers: { "x-auth-token": demo } });
    expect(ok.json()).toMatchObject({
      userName: "demo",
      projectName: "demo",
      roles: ["member", "reader"],
      isAdmin: false,
    });
    await app.inject({
      method: "DELETE",
      url: TOKENS,
      headers: { "x-auth-token": demo, "x-subject-token": demo },
    });
    const revoked = await app.inject({ url: "/compute/whoami", headers: { "x-auth-token": demo } });
    expect(revoked.statusCode).toBe(401);
    expect(revoked.json()).toHaveProperty("unauthorized.code", 401);
    await app.close();
  });
});
