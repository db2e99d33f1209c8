import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultConfig } from "../../src/config.js";
import { type Nimbus, startNimbus } from "../../src/nimbus.js";
import { loadSample, resolveRequestSample, type SampleFile } from "./corpus.js";

/** Who makes a request: the bootstrap admin (admin project) or the demo user (member of demo). */
export type Caller = "admin" | "member";
export type Method = "GET" | "POST" | "PUT" | "DELETE";

/**
 * A request body: a request sample (see {@link resolveRequestSample}) with optional
 * changes (`set` by dotted path, `omit` by dotted path), or literal JSON. Strings in
 * either may hold `{variable}` placeholders.
 */
export type BodySpec = { sample: string; set?: Record<string, unknown>; omit?: string[] } | { json: unknown };

/** One HTTP request of a row: its setup, the request under test, or an undo. */
export interface Call {
  method: Method;
  /**
   * A compute path below `/compute/v2.1` (`/servers/{server_id}`, query included), or a
   * path from the application root when it starts with `/compute/`, `/image/` or `/identity/`.
   */
  path: string;
  body?: BodySpec;
  /** Default: the row's caller. */
  as?: Caller;
  /** The compute microversion sent; default: the row's (the sample's) version. */
  version?: string;
  /** Expected status; default 200 for GET, 202 for POST, 200 for PUT, 204 for DELETE. */
  status?: number;
  /**
   * Variables to keep from the answer: `body:<dotted path>`, `header:<name>`, or
   * `token:<dotted path>` (the `token` query parameter of the console URL there).
   */
  save?: Record<string, string>;
}

/** A setup step: a request, waiting for every queued task, or noting the time under a name. */
export type Step = Call | { drain: true } | { mark: string };

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: unknown;
}

/**
 * Exact string values of nova's request samples that name things of nova's test
 * environment, and what stands for them here. Applied to every request sample body.
 */
export type SampleValues = Readonly<Record<string, string>>;

/** A change to a request sample that cannot be sent as it is, and why. */
export interface RequestFix {
  readonly sample: string;
  readonly set?: Record<string, unknown>;
  readonly omit?: string[];
  readonly reason: string;
}

const DEFAULT_STATUS: Record<Method, number> = { GET: 200, POST: 202, PUT: 200, DELETE: 204 };

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
}

function omitPath(target: Record<string, unknown>, dotted: string): void {
  const keys = dotted.split(".");
  let node: unknown = target;
  for (const key of keys.slice(0, -1)) node = (node as Record<string, unknown> | undefined)?.[key];
  if (node && typeof node === "object") delete (node as Record<string, unknown>)[keys.at(-1)!];
}

/** Reads `a.b[0].c` out of a JSON value. */
export function pick(value: unknown, dotted: string): unknown {
  let node = value;
  for (const part of dotted.match(/[^.[\]]+/g) ?? []) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Replaces the sample values and `{variable}` placeholders in every string of a JSON value. */
function substitute(value: unknown, fn: (s: string) => string): unknown {
  if (typeof value === "string") return fn(value);
  if (Array.isArray(value)) return value.map((v) => substitute(v, fn));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, fn)]));
  }
  return value;
}

/**
 * nimbus started in-process on a fresh data directory, with tokens for both callers and
 * the variables every row may use: `image_id`, `host`, `admin_project_id`,
 * `demo_project_id`, `admin_user_id`, `demo_user_id`, and `project_id` / `user_id` (the
 * caller's).
 */
export class World {
  private constructor(
    readonly nimbus: Nimbus,
    private readonly tokens: Record<Caller, string>,
    readonly globals: Readonly<Record<string, string>>,
    private readonly sampleValues: SampleValues,
    private readonly fixes: readonly RequestFix[],
    private readonly dataDir: string,
  ) {}

  /** Flavors that outlive the sweeps: the bootstrap ones and those of the world setup. */
  private keptFlavors = new Set<string>();

  /**
   * Starts nimbus and runs `setup` (as admin, at 2.1, request samples resolved from `from`);
   * what it creates is kept between rows.
   */
  static async start(options: {
    sampleValues: SampleValues;
    fixes: readonly RequestFix[];
    setup: readonly Step[];
    from: SampleFile;
  }): Promise<World> {
    const { sampleValues, fixes } = options;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-conformance-"));
    const passwords: Record<Caller, string> = { admin: "conformance-admin", member: "conformance-demo" };
    process.env.NIMBUS_ADMIN_PASSWORD = passwords.admin;
    process.env.NIMBUS_DEMO_PASSWORD = passwords.member;
    // soft delete on, as nova's deferred-delete sample tests run (a sweep force-deletes)
    const nimbus = await startNimbus(
      defaultConfig({ dataDir, logLevel: "silent", fakeStepMs: 0, reclaimInstanceIntervalSeconds: 3600 }),
      { listen: false },
    );
    const tokens = {} as Record<Caller, string>;
    const globals: Record<string, string> = { host: os.hostname() };
    for (const [caller, name] of [
      ["admin", "admin"],
      ["member", "demo"],
    ] as const) {
      const res = await nimbus.app.inject({
        method: "POST",
        url: "/identity/v3/auth/tokens",
        payload: {
          auth: {
            identity: {
              methods: ["password"],
              password: { user: { name, domain: { name: "Default" }, password: passwords[caller] } },
            },
            scope: { project: { name, domain: { name: "Default" } } },
          },
        },
      });
      if (res.statusCode !== 201) throw new Error(`cannot log in as ${name}: ${res.statusCode} ${res.body}`);
      tokens[caller] = String(res.headers["x-subject-token"]);
      const token = res.json().token;
      globals[`${name}_project_id`] = token.project.id;
      globals[`${name}_user_id`] = token.user.id;
    }
    const images = await nimbus.app.inject({
      method: "GET",
      url: "/image/v2/images",
      headers: { "x-auth-token": tokens.admin },
    });
    const image = (images.json().images as Array<{ id: string; name: string }>).find(
      (i) => i.name === "cirros-0.6.2-x86_64-disk",
    );
    if (!image) throw new Error(`bootstrap image not found: ${images.body}`);
    globals.image_id = image.id;
    const world = new World(nimbus, tokens, globals, sampleValues, fixes, dataDir);
    const ctx = { caller: "admin" as const, version: "2.1", from: options.from, vars: world.scope("admin") };
    for (const step of options.setup) await world.run(step, ctx);
    const flavors = await world.send({ method: "GET", path: "/flavors?is_public=none" }, ctx);
    for (const { id } of (flavors.body as { flavors: Array<{ id: string }> }).flavors)
      world.keptFlavors.add(id);
    return world;
  }

  async close(): Promise<void> {
    await this.nimbus.close();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** The variables of one row: the globals, the caller's, and whatever its steps saved. */
  scope(caller: Caller): Map<string, string> {
    const vars = new Map(Object.entries(this.globals));
    const name = caller === "admin" ? "admin" : "demo";
    vars.set("project_id", this.globals[`${name}_project_id`]!);
    vars.set("user_id", this.globals[`${name}_user_id`]!);
    return vars;
  }

  private fill(text: string, vars: Map<string, string>): string {
    return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      const value = vars.get(name);
      if (value === undefined) throw new Error(`no variable ${name} for ${whole}`);
      return value;
    });
  }

  /**
   * The JSON a body spec stands for. Variables are filled in literal bodies, in `set`
   * values and in the stand-ins of sample values, never in a sample's own text (which
   * may hold braces, e.g. a regex in a scheduler hint).
   */
  body(spec: BodySpec, from: SampleFile, vars: Map<string, string>): unknown {
    const fill = (s: string) => this.fill(s, vars);
    if ("json" in spec) return substitute(spec.json, fill);
    const id = resolveRequestSample(spec.sample, from);
    const json = substitute(loadSample(id), (s) => {
      const standIn = this.sampleValues[s];
      return standIn === undefined ? s : fill(standIn);
    }) as Record<string, unknown>;
    for (const fix of this.fixes.filter((f) => f.sample === id)) {
      for (const key of fix.omit ?? []) omitPath(json, key);
      for (const [key, value] of Object.entries(fix.set ?? {})) setPath(json, key, substitute(value, fill));
    }
    for (const key of spec.omit ?? []) omitPath(json, key);
    for (const [key, value] of Object.entries(spec.set ?? {})) setPath(json, key, substitute(value, fill));
    return json;
  }

  /** Sends one call and checks its status; the row's caller and version apply unless the call says otherwise. */
  async send(
    call: Call,
    ctx: { caller: Caller; version: string; from: SampleFile; vars: Map<string, string> },
  ) {
    const caller = call.as ?? ctx.caller;
    const vars = caller === ctx.caller ? ctx.vars : new Map([...ctx.vars, ...this.scope(caller)]);
    const target = this.fill(call.path, vars);
    const rooted = /^\/(compute|image|identity)\//.test(target);
    const url = rooted ? target : `/compute/v2.1${target}`;
    const headers: Record<string, string> = { "x-auth-token": this.tokens[caller] };
    if (url.startsWith("/compute/v2.1"))
      headers["openstack-api-version"] = `compute ${call.version ?? ctx.version}`;
    const payload =
      call.body === undefined ? undefined : JSON.stringify(this.body(call.body, ctx.from, vars));
    if (payload !== undefined) headers["content-type"] = "application/json";
    const res = await this.nimbus.app.inject({ method: call.method, url, headers, payload });
    const text = res.body;
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    const expected = call.status ?? DEFAULT_STATUS[call.method];
    if (res.statusCode !== expected) {
      throw new Error(
        `${call.method} ${url} as ${caller} at ${call.version ?? ctx.version}: expected ${expected}, got ${res.statusCode} ${text.slice(0, 400)}`,
      );
    }
    for (const [name, source] of Object.entries(call.save ?? {})) {
      const [from, where] = [source.slice(0, source.indexOf(":")), source.slice(source.indexOf(":") + 1)];
      const value =
        from === "header"
          ? res.headers[where.toLowerCase()]
          : from === "token"
            ? (new URL(String(pick(body, where))).searchParams.get("token") ?? undefined)
            : pick(body, where);
      if (value === undefined || value === null)
        throw new Error(`${call.method} ${url}: nothing to save at ${source}`);
      ctx.vars.set(name, String(value));
    }
    return { status: res.statusCode, headers: res.headers, body } satisfies Response;
  }

  async run(
    step: Step,
    ctx: { caller: Caller; version: string; from: SampleFile; vars: Map<string, string> },
  ) {
    if ("drain" in step) await this.nimbus.engine.drain();
    else if ("mark" in step) {
      // a moment strictly between what came before and what follows
      await new Promise((resolve) => setTimeout(resolve, 5));
      ctx.vars.set(step.mark, new Date().toISOString());
      await new Promise((resolve) => setTimeout(resolve, 5));
    } else await this.send(step, ctx);
  }

  /**
   * Puts nimbus back where a row expects it: no servers in any project, no server groups,
   * no host aggregates, no keypairs, only the bootstrap flavors, the demo project's default
   * quotas.
   */
  async sweep(from: SampleFile): Promise<void> {
    const ctx = (caller: Caller) => ({ caller, version: "2.1", from, vars: this.scope(caller) });
    const admin = ctx("admin");
    await this.nimbus.engine.drain();
    const servers = await this.send({ method: "GET", path: "/servers?all_tenants=1" }, admin);
    for (const { id } of (servers.body as { servers: Array<{ id: string }> }).servers) {
      const forceDelete = { json: { forceDelete: null } };
      await this.send({ method: "POST", path: `/servers/${id}/action`, body: forceDelete }, admin);
    }
    await this.nimbus.engine.drain();
    // a row may have forced the compute service down (evacuate) or disabled it
    const services = await this.send(
      { method: "GET", path: "/os-services?binary=nova-compute", version: "2.53" },
      admin,
    );
    for (const { id } of (services.body as { services: Array<{ id: string }> }).services) {
      const up = { json: { status: "enabled", forced_down: false } };
      await this.send({ method: "PUT", path: `/os-services/${id}`, version: "2.53", body: up }, admin);
    }
    const groups = await this.send({ method: "GET", path: "/os-server-groups?all_projects=1" }, admin);
    for (const { id } of (groups.body as { server_groups: Array<{ id: string }> }).server_groups) {
      await this.send({ method: "DELETE", path: `/os-server-groups/${id}` }, admin);
    }
    const aggregates = await this.send({ method: "GET", path: "/os-aggregates" }, admin);
    for (const { id, hosts } of (aggregates.body as { aggregates: Array<{ id: number; hosts: string[] }> })
      .aggregates) {
      // an aggregate goes only once its hosts have left it
      for (const host of hosts) {
        const body = { json: { remove_host: { host } } };
        await this.send({ method: "POST", path: `/os-aggregates/${id}/action`, status: 200, body }, admin);
      }
      await this.send({ method: "DELETE", path: `/os-aggregates/${id}`, status: 200 }, admin);
    }
    for (const caller of ["admin", "member"] as const) {
      const keypairs = await this.send({ method: "GET", path: "/os-keypairs" }, ctx(caller));
      for (const { keypair } of (keypairs.body as { keypairs: Array<{ keypair: { name: string } }> })
        .keypairs) {
        await this.send(
          { method: "DELETE", path: `/os-keypairs/${encodeURIComponent(keypair.name)}`, status: 202 },
          ctx(caller),
        );
      }
    }
    const flavors = await this.send({ method: "GET", path: "/flavors?is_public=none" }, admin);
    for (const { id } of (flavors.body as { flavors: Array<{ id: string }> }).flavors) {
      if (!this.keptFlavors.has(id)) {
        await this.send({ method: "DELETE", path: `/flavors/${encodeURIComponent(id)}`, status: 202 }, admin);
      }
    }
    await this.send({ method: "DELETE", path: "/os-quota-sets/{demo_project_id}", status: 202 }, admin);
  }
}
