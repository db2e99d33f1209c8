/**
 * Keystone's routes as nimbus serves them, with the statuses of Keystone's default policies
 * (keystone/common/policies/*.py) for project-scoped callers: nimbus has neither system nor
 * domain scope, so `role:reader and system_scope:all` and the domain rules pass nobody and
 * what remains is `admin_required` and the project, user or token subject matches.
 */

import { byRule, type Row, uniqueName } from "./matrix.js";

const adminOnly = (method: Row["method"], path: string, ok: number, rest: Partial<Row> = {}): Row => ({
  api: "identity",
  method,
  path,
  expect: byRule("admin", ok, "denied"),
  ...rest,
});

/** A grant of the member role to the side's member on the side's project. */
const grantOf = (seed: { project: string; user: string }, fx: { roleIds: { member: string } }) => ({
  project: seed.project,
  user: seed.user,
  role: fx.roleIds.member,
});

export const identityRows: Row[] = [
  {
    // no token needed: each caller logs in as itself
    api: "identity",
    method: "POST",
    path: "/auth/tokens",
    ownOnly: true,
    target: (_seed, fx, role) => ({
      name: fx.self[role].userName,
      password: fx.self[role].password,
      project: fx.self[role].project,
    }),
    body: (t) => ({
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: t.name, domain: { id: "default" }, password: t.password } },
        },
        scope: { project: { id: t.project } },
      },
    }),
    expect: byRule("any", 201, "same"),
  },
  {
    // validate_token: admin or the token's own user
    api: "identity",
    method: "GET",
    path: "/auth/tokens",
    target: (seed, fx, role) => ({ token: seed === fx.own ? fx.self[role].token : fx.stranger.token }),
    headers: (t) => ({ "x-subject-token": t.token! }),
    expect: byRule("any", 200, "denied"),
  },
  {
    api: "identity",
    method: "DELETE",
    path: "/auth/tokens",
    fresh: async (fx, side, role) => ({
      token: await fx.login(side === "own" ? fx.self[role] : fx.stranger),
    }),
    headers: (t) => ({ "x-subject-token": t.token! }),
    expect: byRule("any", 204, "denied"),
  },
  {
    api: "identity",
    method: "GET",
    path: "/auth/catalog",
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },
  {
    api: "identity",
    method: "GET",
    path: "/auth/projects",
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },
  {
    api: "identity",
    method: "GET",
    path: "/auth/domains",
    ownOnly: true,
    expect: byRule("any", 200, "same"),
  },

  // list_domains: admin, system reader or domain reader; get_domain: any token of the domain
  { ...adminOnly("GET", "/domains", 200), ownOnly: true },
  {
    api: "identity",
    method: "GET",
    path: "/domains/{domain}",
    ownOnly: true,
    target: () => ({ domain: "default" }),
    expect: byRule("any", 200, "same"),
  },

  { ...adminOnly("GET", "/projects", 200), ownOnly: true },
  {
    ...adminOnly("POST", "/projects", 201, { body: () => ({ project: { name: uniqueName() } }) }),
    ownOnly: true,
  },
  // get_project: admin or a token scoped to the project, whatever its roles
  { api: "identity", method: "GET", path: "/projects/{project}", expect: byRule("any", 200, "denied") },
  adminOnly("PATCH", "/projects/{project}", 200, { body: () => ({ project: { description: "matrix" } }) }),
  adminOnly("DELETE", "/projects/{project}", 204, { fresh: async (fx) => ({ project: await fx.project() }) }),

  { ...adminOnly("GET", "/users", 200), ownOnly: true },
  {
    ...adminOnly("POST", "/users", 201, { body: () => ({ user: { name: uniqueName(), password: "p" } }) }),
    ownOnly: true,
  },
  // get_user and list_user_projects: admin or the user itself
  {
    api: "identity",
    method: "GET",
    path: "/users/{user}",
    target: (seed, fx, role) => ({ user: seed === fx.own ? fx.self[role].user : seed.user }),
    expect: byRule("any", 200, "denied"),
  },
  {
    api: "identity",
    method: "GET",
    path: "/users/{user}/projects",
    target: (seed, fx, role) => ({ user: seed === fx.own ? fx.self[role].user : seed.user }),
    expect: byRule("any", 200, "denied"),
  },
  adminOnly("PATCH", "/users/{user}", 200, {
    target: (seed, fx, role) => ({ user: seed === fx.own ? fx.self[role].user : seed.user }),
    body: () => ({ user: { description: "matrix" } }),
  }),
  adminOnly("DELETE", "/users/{user}", 204, { fresh: async (fx) => ({ user: await fx.user() }) }),

  { ...adminOnly("GET", "/roles", 200), ownOnly: true },
  { ...adminOnly("POST", "/roles", 201, { body: () => ({ role: { name: uniqueName() } }) }), ownOnly: true },
  {
    ...adminOnly("GET", "/roles/{role}", 200, { target: (_s, fx) => ({ role: fx.roleIds.member }) }),
    ownOnly: true,
  },
  {
    // Keystone checks the policy before it looks the role up
    ...adminOnly("DELETE", "/roles/{role}", 204, {
      fresh: async (fx) => ({ role: await fx.role() }),
      target: () => ({ role: "no-such-role" }),
    }),
    ownOnly: true,
  },

  adminOnly("GET", "/projects/{project}/users/{user}/roles", 200, { target: grantOf }),
  adminOnly("GET", "/projects/{project}/users/{user}/roles/{role}", 204, { target: grantOf }),
  adminOnly("PUT", "/projects/{project}/users/{user}/roles/{role}", 204, {
    // a throwaway user, so that no caller of the matrix gains a role
    fresh: async (fx, side) => ({
      project: fx[side].project,
      user: await fx.user(),
      role: fx.roleIds.member,
    }),
    target: grantOf,
  }),
  adminOnly("DELETE", "/projects/{project}/users/{user}/roles/{role}", 204, {
    fresh: async (fx, side) => {
      const user = await fx.user();
      const project = fx[side].project;
      const role = fx.roleIds.member;
      await fx.send({
        api: "identity",
        method: "PUT",
        path: `/projects/${project}/users/${user}/roles/${role}`,
        as: "admin",
      });
      return { project, user, role };
    },
    target: grantOf,
  }),
  { ...adminOnly("GET", "/role_assignments", 200), ownOnly: true },

  // the catalog's administration: admin or system reader; regions: anybody
  { ...adminOnly("GET", "/services", 200), ownOnly: true },
  {
    ...adminOnly("GET", "/services/{service}", 200, { target: (_s, fx) => ({ service: fx.catalogService }) }),
    ownOnly: true,
  },
  { ...adminOnly("GET", "/endpoints", 200), ownOnly: true },
  {
    ...adminOnly("GET", "/endpoints/{endpoint}", 200, {
      target: (_s, fx) => ({ endpoint: fx.catalogEndpoint }),
    }),
    ownOnly: true,
  },
  { api: "identity", method: "GET", path: "/regions", ownOnly: true, expect: byRule("any", 200, "same") },
  {
    api: "identity",
    method: "GET",
    path: "/regions/{region}",
    ownOnly: true,
    target: () => ({ region: "RegionOne" }),
    expect: byRule("any", 200, "same"),
  },
];
