/**
 * Shared set-up of the compute route tests: one in-process nimbus per test file (fake
 * driver with no step delay), tokens for three callers logged in once (scrypt makes each
 * login cost about 100 ms), and small helpers to call the compute API through inject().
 */

import fs from "node:fs";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import type { DestinationStream } from "pino";
import { expect } from "vitest";
import { type Config, defaultConfig } from "../src/config.js";
import { type Nimbus, startNimbus } from "../src/nimbus.js";
import { BOOTSTRAP_IMAGE_ID } from "../src/services/image/bootstrap-image.js";
import { PRIVATE_NETWORK_ID } from "../src/services/network/bootstrap-network.js";
import { type TestDatabase, testDatabase } from "../src/store/testing.js";
import { SHARED, tempDir } from "./helpers.js";

export const ADMIN_PASSWORD = "compute-admin-secret";
export const DEMO_PASSWORD = "compute-demo-secret";
export const OTHER_PASSWORD = "compute-other-secret";

export const IMAGE_ID = BOOTSTRAP_IMAGE_ID;
export const NETWORK_ID = PRIVATE_NETWORK_ID;
/** m1.tiny and m1.small of the default flavors. */
export const TINY = "1";
export const SMALL = "2";

/** A response body from nova's api_samples, e.g. `sample("servers/v2.47/server-get-resp.json")`. */
// biome-ignore lint/suspicious/noExplicitAny: samples are plain JSON
export function sample(relative: string): any {
  return JSON.parse(fs.readFileSync(path.join(SHARED, "nova-api", "api_samples", relative), "utf8"));
}

/** Sorted keys of an object, to compare a view's shape with a sample's. */
export const keysOf = (o: object) => Object.keys(o).sort();

/** nova's fault body for `status` with `message`, and nothing else. */
export function expectFault(r: Response, status: number, message: string): void {
  const key = { 400: "badRequest", 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest" }[status];
  expect(r.status, r.text).toBe(status);
  expect(r.json).toEqual({ [key ?? "computeFault"]: { code: status, message } });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Who calls: the bootstrap admin, the demo member, and a member of a second project. */
export type Caller = "admin" | "demo" | "other";

export interface Response {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
  json: any;
  text: string;
  headers: Record<string, string | string[] | number | undefined>;
}

export interface Request {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** A path under /compute/v2.1 ("/servers"), or a full path starting with /compute, /image or /network. */
  url: string;
  /** Who calls (default demo); null sends no token. */
  as?: Caller | null;
  /** Sent as `OpenStack-API-Version: compute <version>`. */
  version?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface ComputeHarness {
  readonly nimbus: Nimbus;
  readonly app: FastifyInstance;
  readonly tokens: Record<Caller, string>;
  readonly projects: Record<Caller, string>;
  readonly users: Record<Caller, string>;
  /** One request; the JSON body parsed when there is one. */
  call(request: Request): Promise<Response>;
  /** POST /servers with sensible defaults; fails the test unless the answer is 202. */
  createServer(options?: CreateOptions): Promise<CreatedServer>;
  /** Creates a server and waits for its build to finish. */
  activeServer(options?: CreateOptions): Promise<string>;
  /** GET /servers/{id} (the `server` object). */
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
  show(id: string, options?: { as?: Caller; version?: string }): Promise<any>;
  /** POST /servers/{id}/action. */
  action(id: string, body: unknown, options?: { as?: Caller; version?: string }): Promise<Response>;
  /** Waits until no task is pending or running. */
  drain(): Promise<void>;
  /**
   * Runs `fn` with the task engine stopped, so that accepted work stays in the state the
   * API left it in (BUILD, REBOOT, RESIZE ...); then restarts the engine and drains it.
   */
  withEngineStopped<T>(fn: () => Promise<T>): Promise<T>;
  /** Gives the "other" user `role` too (made if missing) and answers a token that carries it. */
  otherWithRole(role: string): Promise<string>;
  /** PUT /os-quota-sets/{project} as admin (forced); fails the test unless 200. */
  setQuota(project: Caller, limits: Record<string, number>): Promise<void>;
  close(): Promise<void>;
}

export interface CreateOptions {
  as?: Caller;
  version?: string;
  name?: string;
  /** Merged into the `server` object of the request. */
  server?: Record<string, unknown>;
  /** Merged into the top level of the request (scheduler hints). */
  extra?: Record<string, unknown>;
}

export interface CreatedServer {
  id: string;
  response: Response;
}

const COMPUTE = "/compute/v2.1";

function passwordAuth(user: string, password: string, project: string) {
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: user, domain: { name: "Default" }, password } },
      },
      scope: { project: { name: project, domain: { name: "Default" } } },
    },
  };
}

async function login(app: FastifyInstance, user: string, password: string, project: string) {
  const response = await app.inject({
    method: "POST",
    url: "/identity/v3/auth/tokens",
    payload: passwordAuth(user, password, project),
  });
  if (response.statusCode !== 201) throw new Error(`login ${user}: ${response.statusCode} ${response.body}`);
  const token = response.json().token;
  return {
    token: response.headers["x-subject-token"] as string,
    projectId: token.project.id as string,
    userId: token.user.id as string,
  };
}

async function identityCall(
  app: FastifyInstance,
  token: string,
  method: "POST" | "PUT",
  url: string,
  body?: object,
) {
  const response = await app.inject({
    method,
    url: `/identity/v3${url}`,
    headers: { "x-auth-token": token },
    ...(body ? { payload: body } : {}),
  });
  if (response.statusCode >= 300)
    throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
  return response.body ? response.json() : undefined;
}

/**
 * Starts nimbus on a fresh data directory and logs in as admin (project admin), demo
 * (project demo, member) and "other" (a second member project created here). The store is
 * `database` when given (a PostgreSQL URL), else the test store: SQLite in the data
 * directory, or an empty PostgreSQL database when the tests run on PostgreSQL
 * (test/postgres.ts). With a `logStream`, errors are logged to it (else nothing is logged).
 */
export async function computeHarness(
  options: { database?: string; logStream?: DestinationStream; config?: Partial<Config> } = {},
): Promise<ComputeHarness> {
  process.env.NIMBUS_ADMIN_PASSWORD = ADMIN_PASSWORD;
  process.env.NIMBUS_DEMO_PASSWORD = DEMO_PASSWORD;
  const store: TestDatabase =
    options.database === undefined ? await testDatabase() : { url: options.database, close: async () => {} };
  const nimbus = await startNimbus(
    defaultConfig({
      dataDir: tempDir("nimbus-compute-"),
      database: store.url,
      logLevel: options.logStream ? "error" : "silent",
      fakeStepMs: 0,
      ...options.config,
    }),
    {
      listen: false,
      ...(options.logStream ? { logStream: options.logStream } : {}),
    },
  ).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const { app } = nimbus;
  await app.ready();

  const admin = await login(app, "admin", ADMIN_PASSWORD, "admin");
  const demo = await login(app, "demo", DEMO_PASSWORD, "demo");

  const project = (await identityCall(app, admin.token, "POST", "/projects", { project: { name: "other" } }))
    .project;
  const user = (
    await identityCall(app, admin.token, "POST", "/users", {
      user: { name: "other", password: OTHER_PASSWORD, default_project_id: project.id },
    })
  ).user;
  const roles = await app.inject({
    method: "GET",
    url: "/identity/v3/roles?name=member",
    headers: { "x-auth-token": admin.token },
  });
  const memberRole = roles.json().roles[0].id as string;
  await identityCall(app, admin.token, "PUT", `/projects/${project.id}/users/${user.id}/roles/${memberRole}`);
  const other = await login(app, "other", OTHER_PASSWORD, "other");

  const tokens = { admin: admin.token, demo: demo.token, other: other.token };
  const projects = { admin: admin.projectId, demo: demo.projectId, other: other.projectId };
  const users = { admin: admin.userId, demo: demo.userId, other: other.userId };

  const call = async (r: Request): Promise<Response> => {
    const headers: Record<string, string> = { ...r.headers };
    const as = r.as === undefined ? "demo" : r.as;
    if (as !== null) headers["x-auth-token"] = tokens[as];
    if (r.version !== undefined) headers["openstack-api-version"] = `compute ${r.version}`;
    if (r.body !== undefined) headers["content-type"] ??= "application/json";
    const response = await app.inject({
      method: r.method ?? "GET",
      url: /^\/(compute|image|network|placement|identity)\b/.test(r.url) ? r.url : `${COMPUTE}${r.url}`,
      headers,
      payload:
        r.body === undefined ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body),
    });
    const text = response.body;
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json, text, headers: response.headers };
  };

  const createServer = async (o: CreateOptions = {}): Promise<CreatedServer> => {
    const response = await call({
      method: "POST",
      url: "/servers",
      as: o.as ?? "demo",
      version: o.version,
      body: {
        server: { name: o.name ?? "vm", imageRef: IMAGE_ID, flavorRef: TINY, ...o.server },
        ...o.extra,
      },
    });
    if (response.status !== 202) {
      throw new Error(`create server: ${response.status} ${response.text}`);
    }
    return { id: response.json.server?.id, response };
  };

  const harness: ComputeHarness = {
    nimbus,
    app,
    tokens,
    projects,
    users,
    call,
    createServer,
    async activeServer(o) {
      const { id } = await createServer(o);
      await nimbus.engine.drain();
      return id;
    },
    async show(id, o = {}) {
      const r = await call({ url: `/servers/${id}`, as: o.as ?? "demo", version: o.version });
      if (r.status !== 200) throw new Error(`show ${id}: ${r.status} ${r.text}`);
      return r.json.server;
    },
    action(id, body, o = {}) {
      return call({
        method: "POST",
        url: `/servers/${id}/action`,
        as: o.as ?? "demo",
        version: o.version,
        body,
      });
    },
    drain: () => nimbus.engine.drain(),
    async withEngineStopped(fn) {
      await nimbus.engine.stop();
      try {
        return await fn();
      } finally {
        await nimbus.engine.start(true);
        await nimbus.engine.drain();
      }
    },
    async otherWithRole(role) {
      const found = await app.inject({
        method: "GET",
        url: `/identity/v3/roles?name=${encodeURIComponent(role)}`,
        headers: { "x-auth-token": admin.token },
      });
      const id =
        (found.json().roles[0]?.id as string | undefined) ??
        (await identityCall(app, admin.token, "POST", "/roles", { role: { name: role } })).role.id;
      await identityCall(app, admin.token, "PUT", `/projects/${project.id}/users/${user.id}/roles/${id}`);
      return (await login(app, "other", OTHER_PASSWORD, "other")).token;
    },
    async setQuota(project, limits) {
      const r = await call({
        method: "PUT",
        url: `/os-quota-sets/${projects[project]}`,
        as: "admin",
        body: { quota_set: { ...limits, force: true } },
      });
      if (r.status !== 200) throw new Error(`set quota: ${r.status} ${r.text}`);
    },
    async close() {
      await nimbus.close();
      await store.close();
    },
  };
  // the route tests create many servers: only the quota tests want limits
  for (const project of ["admin", "demo", "other"] as const) {
    await harness.setQuota(project, { instances: -1, cores: -1, ram: -1 });
  }
  return harness;
}
