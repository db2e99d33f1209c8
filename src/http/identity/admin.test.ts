import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  DEMO_PASSWORD,
  type IdentityHarness,
  identityHarness,
  login,
} from "./test-support.js";

const V3 = "/identity/v3";
const LINK = "http://cloud.test:8774/identity/v3";

describe("identity admin API", () => {
  let h: IdentityHarness;
  let admin: string;
  let demo: string;

  beforeAll(async () => {
    h = await identityHarness();
    admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");
    demo = await login(h.app, "demo", DEMO_PASSWORD, "demo");
  });
  afterAll(async () => {
    await h.close();
  });

  const call = (
    token: string,
    method: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    payload?: object,
  ) =>
    h.app.inject({
      method,
      url: `${V3}${url}`,
      headers: { "x-auth-token": token },
      ...(payload ? { payload } : {}),
    });
  const roleId = async (name: string) =>
    (await call(admin, "GET", `/roles?name=${name}`)).json().roles[0].id as string;

  it("creates, shows, lists, updates and deletes projects", async () => {
    const created = await call(admin, "POST", "/projects", {
      project: { name: "alpha", description: "first", enabled: true },
    });
    expect(created.statusCode).toBe(201);
    const project = created.json().project;
    expect(project).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: "alpha",
      domain_id: "default",
      description: "first",
      enabled: true,
      parent_id: "default",
      is_domain: false,
      tags: [],
      options: {},
      links: { self: `${LINK}/projects/${project.id}` },
    });

    expect((await call(admin, "GET", `/projects/${project.id}`)).json().project).toEqual(project);
    const list = await call(admin, "GET", "/projects?name=alpha");
    expect(list.json()).toEqual({
      projects: [project],
      links: { self: `${LINK}/projects?name=alpha`, previous: null, next: null },
    });
    expect(
      (await call(admin, "GET", "/projects")).json().projects.map((p: { name: string }) => p.name),
    ).toEqual(["admin", "alpha", "demo"]);
    expect((await call(admin, "GET", "/projects?enabled=false")).json().projects).toEqual([]);

    const patched = await call(admin, "PATCH", `/projects/${project.id}`, {
      project: { description: "changed", enabled: false },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().project).toMatchObject({ name: "alpha", description: "changed", enabled: false });

    expect((await call(admin, "DELETE", `/projects/${project.id}`)).statusCode).toBe(204);
    const gone = await call(admin, "GET", `/projects/${project.id}`);
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({
      error: { code: 404, title: "Not Found", message: `Could not find project: ${project.id}.` },
    });
    expect((await call(admin, "DELETE", `/projects/${project.id}`)).statusCode).toBe(404);
  });

  it("answers 409 to duplicate names", async () => {
    const project = await call(admin, "POST", "/projects", { project: { name: "demo" } });
    expect(project.statusCode).toBe(409);
    expect(project.json().error).toEqual({
      code: 409,
      title: "Conflict",
      message:
        "Conflict occurred attempting to store project - Duplicate entry found with name demo at domain ID default.",
    });
    expect((await call(admin, "POST", "/users", { user: { name: "demo" } })).statusCode).toBe(409);
    expect((await call(admin, "POST", "/roles", { role: { name: "member" } })).statusCode).toBe(409);

    const beta = (await call(admin, "POST", "/projects", { project: { name: "beta" } })).json().project;
    expect(
      (await call(admin, "PATCH", `/projects/${beta.id}`, { project: { name: "admin" } })).statusCode,
    ).toBe(409);
  });

  it("creates a user with a default project and password who can log in once granted a role", async () => {
    const project = (await call(admin, "POST", "/projects", { project: { name: "gamma" } })).json().project;
    const created = await call(admin, "POST", "/users", {
      user: {
        name: "gamma-user",
        password: "gamma-pw",
        default_project_id: project.id,
        enabled: true,
        email: "g@example.test",
      },
    });
    expect(created.statusCode).toBe(201);
    const user = created.json().user;
    expect(user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      name: "gamma-user",
      domain_id: "default",
      enabled: true,
      password_expires_at: null,
      options: {},
      default_project_id: project.id,
      email: "g@example.test",
      links: { self: `${LINK}/users/${user.id}` },
    });
    expect(JSON.stringify(user)).not.toContain("gamma-pw");

    // No role yet: the project cannot be a scope.
    await expect(login(h.app, "gamma-user", "gamma-pw", "gamma")).rejects.toThrow(/401/);

    const member = await roleId("member");
    const grant = `/projects/${project.id}/users/${user.id}/roles/${member}`;
    expect((await call(admin, "PUT", grant)).statusCode).toBe(204);
    expect((await call(admin, "PUT", grant)).statusCode).toBe(204);
    expect((await call(admin, "HEAD", grant)).statusCode).toBe(204);
    expect((await call(admin, "GET", grant)).statusCode).toBe(204);
    const grants = await call(admin, "GET", `/projects/${project.id}/users/${user.id}/roles`);
    expect(grants.json().roles.map((r: { name: string }) => r.name)).toEqual(["member"]);

    const token = await login(h.app, "gamma-user", "gamma-pw", "gamma");
    const validated = await call(token, "GET", "/auth/tokens?nocatalog");
    expect(validated.statusCode).toBe(404); // no X-Subject-Token
    const self = await h.app.inject({
      url: `${V3}/auth/tokens`,
      headers: { "x-auth-token": token, "x-subject-token": token },
    });
    expect(self.json().token.roles.map((r: { name: string }) => r.name)).toEqual(["member", "reader"]);

    expect((await call(admin, "DELETE", grant)).statusCode).toBe(204);
    expect((await call(admin, "HEAD", grant)).statusCode).toBe(404);
    expect((await call(admin, "DELETE", grant)).statusCode).toBe(404);
    // Its token lost the only role it had on its project.
    expect((await call(token, "GET", `/users/${user.id}`)).statusCode).toBe(401);

    const patched = await call(admin, "PATCH", `/users/${user.id}`, {
      user: { email: null, description: "tester" },
    });
    expect(patched.json().user).not.toHaveProperty("email");
    expect(patched.json().user.description).toBe("tester");
    expect((await call(admin, "DELETE", `/users/${user.id}`)).statusCode).toBe(204);
    expect((await call(admin, "GET", `/users/${user.id}`)).statusCode).toBe(404);
  });

  it("lists users and roles, with name filters", async () => {
    const users = await call(admin, "GET", "/users?name=demo");
    expect(users.json().users).toEqual([expect.objectContaining({ id: h.boot.demo.userId, name: "demo" })]);
    const roles = await call(admin, "GET", "/roles");
    expect(roles.json().roles.map((r: { name: string }) => r.name)).toEqual(["admin", "member", "reader"]);
    expect(roles.json().roles[0]).toEqual({
      id: expect.any(String),
      name: "admin",
      domain_id: null,
      description: null,
      options: {},
      links: { self: `${LINK}/roles/${roles.json().roles[0].id}` },
    });
    expect((await call(admin, "GET", "/roles?domain_id=default")).json().roles).toEqual([]);

    const custom = await call(admin, "POST", "/roles", { role: { name: "custom" } });
    expect(custom.statusCode).toBe(201);
    const id = custom.json().role.id;
    expect((await call(admin, "GET", `/roles/${id}`)).json().role.name).toBe("custom");
    expect((await call(admin, "DELETE", `/roles/${id}`)).statusCode).toBe(204);
    expect((await call(admin, "GET", `/roles/${id}`)).statusCode).toBe(404);
  });

  it("lists role assignments as Keystone does, with names and effective roles on request", async () => {
    const plain = await call(admin, "GET", `/role_assignments?user.id=${h.boot.demo.userId}`);
    expect(plain.statusCode).toBe(200);
    const member = await roleId("member");
    expect(plain.json().role_assignments).toEqual([
      {
        scope: { project: { id: h.boot.demo.projectId } },
        user: { id: h.boot.demo.userId },
        role: { id: member },
        links: {
          assignment: `${LINK}/projects/${h.boot.demo.projectId}/users/${h.boot.demo.userId}/roles/${member}`,
        },
      },
    ]);

    const named = await call(
      admin,
      "GET",
      `/role_assignments?scope.project.id=${h.boot.demo.projectId}&include_names=True`,
    );
    expect(named.json().role_assignments[0]).toMatchObject({
      scope: {
        project: { id: h.boot.demo.projectId, name: "demo", domain: { id: "default", name: "Default" } },
      },
      user: { id: h.boot.demo.userId, name: "demo", domain: { id: "default", name: "Default" } },
      role: { id: member, name: "member" },
    });

    const effective = await call(
      admin,
      "GET",
      `/role_assignments?user.id=${h.boot.demo.userId}&effective&include_names=1`,
    );
    const reader = await roleId("reader");
    expect(effective.json().role_assignments).toHaveLength(2);
    expect(effective.json().role_assignments[1]).toMatchObject({
      role: { id: reader, name: "reader" },
      links: {
        assignment: `${LINK}/projects/${h.boot.demo.projectId}/users/${h.boot.demo.userId}/roles/${member}`,
        prior_role: `${LINK}/prior_role/${reader}/implies/${member}`,
      },
    });
    const readers = await call(admin, "GET", `/role_assignments?role.id=${reader}&effective`);
    expect(
      readers
        .json()
        .role_assignments.map((a: { user: { id: string } }) => a.user.id)
        .sort(),
    ).toEqual([h.boot.admin.userId, h.boot.demo.userId].sort());
    expect(
      (await call(admin, "GET", "/role_assignments?scope.domain.id=default")).json().role_assignments,
    ).toEqual([]);
    expect(
      (await call(admin, "GET", "/role_assignments?scope.domain.id=default&scope.project.id=x")).statusCode,
    ).toBe(400);
  });

  it("answers 403 to non-admins, who may still read themselves", async () => {
    const project = { project: { name: "nope" } };
    const refused: Array<[string, string, object?]> = [
      ["GET", "/projects"],
      ["POST", "/projects", project],
      ["GET", `/projects/${h.boot.admin.projectId}`],
      ["GET", "/users"],
      ["POST", "/users", { user: { name: "nope" } }],
      ["GET", `/users/${h.boot.admin.userId}`],
      ["PATCH", `/users/${h.boot.demo.userId}`, { user: { enabled: true } }],
      ["DELETE", `/users/${h.boot.admin.userId}`],
      ["GET", `/users/${h.boot.admin.userId}/projects`],
      ["GET", "/roles"],
      ["POST", "/roles", { role: { name: "nope" } }],
      ["PUT", `/projects/${h.boot.demo.projectId}/users/${h.boot.demo.userId}/roles/x`],
      ["GET", "/role_assignments"],
      ["GET", "/services"],
      ["GET", "/endpoints"],
    ];
    for (const [method, url, body] of refused) {
      const response = await call(demo, method as "GET", url, body);
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().error).toMatchObject({ code: 403, title: "Forbidden" });
      expect(response.json().error.message).toMatch(
        /^You are not authorized to perform the requested action: identity:/,
      );
    }
    expect((await call(demo, "GET", `/users/${h.boot.demo.userId}`)).json().user.name).toBe("demo");
    expect((await call(demo, "GET", `/projects/${h.boot.demo.projectId}`)).json().project.name).toBe("demo");
    const mine = await call(demo, "GET", `/users/${h.boot.demo.userId}/projects`);
    expect(mine.json().projects.map((p: { name: string }) => p.name)).toEqual(["demo"]);
  });

  it("answers 404 to unknown ids", async () => {
    const member = await roleId("member");
    for (const url of [
      "/projects/0123",
      "/users/0123",
      "/roles/0123",
      "/domains/other",
      `/projects/0123/users/${h.boot.demo.userId}/roles/${member}`,
      `/projects/${h.boot.demo.projectId}/users/0123/roles/${member}`,
      `/projects/${h.boot.demo.projectId}/users/${h.boot.demo.userId}/roles/0123`,
      "/services/0123",
      "/endpoints/0123",
    ]) {
      const response = await call(
        admin,
        url.includes("/roles/") && url.startsWith("/projects") ? "PUT" : "GET",
        url,
      );
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe(404);
    }
    expect(
      (await call(admin, "POST", "/users", { user: { name: "x", domain_id: "other" } })).statusCode,
    ).toBe(404);
  });

  it("answers 400 to malformed bodies", async () => {
    for (const [url, body] of [
      ["/projects", { project: {} }],
      ["/projects", { project: { name: "" } }],
      ["/projects", { project: { name: "x", enabled: "yes" } }],
      ["/projects", { name: "x" }],
      ["/projects", { project: { name: "x", parent_id: h.boot.demo.projectId } }],
      ["/users", { user: { name: 42 } }],
      ["/roles", { role: {} }],
    ] as const) {
      const response = await call(admin, "POST", url, body);
      expect(response.statusCode, JSON.stringify(body)).toBe(400);
      expect(response.json().error.title).toBe("Bad Request");
    }
    expect(
      (await call(admin, "PATCH", `/projects/${h.boot.demo.projectId}`, { project: {} })).statusCode,
    ).toBe(400);
  });

  it("shows a user its project's domain; lists domains to admins only, as Keystone's defaults", async () => {
    const domain = {
      id: "default",
      name: "Default",
      description: "The default domain",
      enabled: true,
      tags: [],
      options: {},
      links: { self: `${LINK}/domains/default` },
    };
    expect((await call(demo, "GET", "/domains/default")).json()).toEqual({ domain });
    expect((await call(demo, "GET", "/domains")).statusCode).toBe(403);
    expect((await call(admin, "GET", "/domains")).json().domains).toEqual([domain]);
    expect((await call(admin, "GET", "/domains?name=Default")).json().domains).toEqual([domain]);
    expect((await call(admin, "GET", "/domains?name=Other")).json().domains).toEqual([]);
    expect((await call(demo, "GET", "/auth/domains")).json().domains).toEqual([]);
  });

  it("lists the catalog's services, endpoints and region", async () => {
    const services = (await call(admin, "GET", "/services")).json().services;
    expect(services.map((s: { type: string; name: string }) => `${s.type}:${s.name}`)).toEqual([
      "identity:keystone",
      "compute:nova",
      "image:glance",
      "network:neutron",
      "placement:placement",
    ]);
    const endpoints = (
      await call(admin, "GET", `/endpoints?service_id=${services[2].id}&interface=public`)
    ).json().endpoints;
    expect(endpoints).toEqual([
      expect.objectContaining({
        interface: "public",
        region_id: "RegionOne",
        service_id: services[2].id,
        url: "http://cloud.test:8774/image",
      }),
    ]);
    expect((await call(admin, "GET", `/endpoints/${endpoints[0].id}`)).json().endpoint.id).toBe(
      endpoints[0].id,
    );
    expect((await call(demo, "GET", "/regions")).json().regions.map((r: { id: string }) => r.id)).toEqual([
      "RegionOne",
    ]);
  });

  it("revokes a project's tokens when it is deleted", async () => {
    const project = (await call(admin, "POST", "/projects", { project: { name: "doomed" } })).json().project;
    const adminRole = await roleId("admin");
    await call(admin, "PUT", `/projects/${project.id}/users/${h.boot.admin.userId}/roles/${adminRole}`);
    const scoped = await login(h.app, "admin", ADMIN_PASSWORD, "doomed");
    expect((await call(scoped, "GET", "/auth/projects")).statusCode).toBe(200);
    expect((await call(admin, "DELETE", `/projects/${project.id}`)).statusCode).toBe(204);
    expect((await call(scoped, "GET", "/auth/projects")).statusCode).toBe(401);
  });
});
