import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, type IdentityHarness, identityHarness, login } from "./test-support.js";

const V3 = "/identity/v3";

/**
 * Taking access away revokes the tokens that had it for good: giving the access back
 * later (re-enabling, re-granting) lets the user log in again, but never revives a
 * token issued before.
 */
describe("token revocation when access is taken away", () => {
  let h: IdentityHarness;
  let admin: string;
  let member: string;
  beforeAll(async () => {
    h = await identityHarness();
    admin = await login(h.app, "admin", ADMIN_PASSWORD, "admin");
    member = (await call(admin, "GET", "/roles?name=member")).json().roles[0].id;
  });
  afterAll(async () => {
    await h.close();
  });

  const call = (
    token: string,
    method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE",
    url: string,
    payload?: object,
  ) => h.app.inject({ method, url: `${V3}${url}`, headers: { "x-auth-token": token }, payload });
  const validate = (token: string) =>
    h.app.inject({ url: `${V3}/auth/tokens`, headers: { "x-auth-token": admin, "x-subject-token": token } });
  /** A project and a user holding `member` on it, with the user's password `<name>-pw`. */
  const memberOf = async (name: string) => {
    const project = (await call(admin, "POST", "/projects", { project: { name } })).json().project;
    const user = (
      await call(admin, "POST", "/users", { user: { name: `${name}-user`, password: `${name}-pw` } })
    ).json().user;
    const grant = `/projects/${project.id}/users/${user.id}/roles/${member}`;
    expect((await call(admin, "PUT", grant)).statusCode).toBe(204);
    const token = await login(h.app, `${name}-user`, `${name}-pw`, name);
    return { project, user, grant, token, relogin: () => login(h.app, `${name}-user`, `${name}-pw`, name) };
  };

  it("keeps a disabled project's old tokens revoked after it is enabled again", async () => {
    const { project, token, relogin } = await memberOf("re-enabled");
    expect((await call(token, "GET", `/projects/${project.id}`)).statusCode).toBe(200);

    const disable = await call(admin, "PATCH", `/projects/${project.id}`, { project: { enabled: false } });
    expect(disable.statusCode).toBe(200);
    expect((await call(token, "GET", `/projects/${project.id}`)).statusCode).toBe(401);

    const enable = await call(admin, "PATCH", `/projects/${project.id}`, { project: { enabled: true } });
    expect(enable.statusCode).toBe(200);
    const old = await call(token, "GET", `/projects/${project.id}`);
    expect(old.statusCode).toBe(401);
    expect(old.json()).toEqual({
      error: {
        code: 401,
        title: "Unauthorized",
        message: "The request you have made requires authentication.",
      },
    });
    expect((await validate(token)).statusCode).toBe(404);

    const fresh = await relogin();
    expect((await call(fresh, "GET", `/projects/${project.id}`)).statusCode).toBe(200);
  });

  it("leaves a project's tokens alone when an update does not disable it", async () => {
    const { project, token } = await memberOf("renamed");
    const rename = await call(admin, "PATCH", `/projects/${project.id}`, {
      project: { name: "renamed-again", enabled: true },
    });
    expect(rename.statusCode).toBe(200);
    expect((await call(token, "GET", `/projects/${project.id}`)).statusCode).toBe(200);
  });

  it("keeps a disabled user's old tokens revoked after the user is enabled again", async () => {
    const { project, user, token, relogin } = await memberOf("user-off");
    expect((await call(admin, "PATCH", `/users/${user.id}`, { user: { enabled: false } })).statusCode).toBe(
      200,
    );
    expect((await call(admin, "PATCH", `/users/${user.id}`, { user: { enabled: true } })).statusCode).toBe(
      200,
    );
    expect((await call(token, "GET", `/projects/${project.id}`)).statusCode).toBe(401);
    expect((await validate(token)).statusCode).toBe(404);
    expect((await call(await relogin(), "GET", `/projects/${project.id}`)).statusCode).toBe(200);
  });

  it("keeps tokens revoked after the role assignment they relied on is deleted and granted again", async () => {
    const { project, grant, token, relogin } = await memberOf("regranted");
    expect((await call(admin, "DELETE", grant)).statusCode).toBe(204);
    expect((await call(admin, "PUT", grant)).statusCode).toBe(204);
    expect((await call(token, "GET", `/projects/${project.id}`)).statusCode).toBe(401);
    expect((await validate(token)).statusCode).toBe(404);
    expect((await call(await relogin(), "GET", `/projects/${project.id}`)).statusCode).toBe(200);
  });

  it("keeps tokens revoked after their role is deleted and one of the same name is granted", async () => {
    const { project, user, token, relogin } = await memberOf("role-gone");
    const role = (await call(admin, "POST", "/roles", { role: { name: "auditor" } })).json().role;
    const auditor = (id: string) => `/projects/${project.id}/users/${user.id}/roles/${id}`;
    expect((await call(admin, "PUT", auditor(role.id))).statusCode).toBe(204);
    const withAuditor = await relogin();
    expect((await call(admin, "DELETE", `/roles/${role.id}`)).statusCode).toBe(204);
    const again = (await call(admin, "POST", "/roles", { role: { name: "auditor" } })).json().role;
    expect((await call(admin, "PUT", auditor(again.id))).statusCode).toBe(204);

    // Tokens do not record their roles, so every token of the user on the project goes.
    expect((await validate(withAuditor)).statusCode).toBe(404);
    expect((await validate(token)).statusCode).toBe(404);
    const fresh = (await validate(await relogin())).json().token;
    expect(fresh.roles.map((r: { name: string }) => r.name).sort()).toEqual(["auditor", "member", "reader"]);
  });
});
