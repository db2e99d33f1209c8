/**
 * Helpers for the end-to-end tests: start the real `nimbus serve` process on a free
 * port, talk to it over HTTP, drive it with the real OpenStack command-line clients,
 * and wait for conditions with a bounded time.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { type NimbusChild, spawnNimbus } from "../nimbus-child.js";

export { freePort } from "../nimbus-child.js";

/** Debian's clients: they need Debian's python, so they are called by their program path. */
export const OPENSTACK = "/usr/bin/openstack";
export const NOVA = "/usr/bin/nova";
/** Debian's interpreter, the one the packaged clients and openstacksdk are installed for. */
export const PYTHON = "/usr/bin/python3";
export const haveClients = fs.existsSync(OPENSTACK) && fs.existsSync(NOVA);

export const ADMIN_PASSWORD = "e2e-admin-secret";
export const DEMO_PASSWORD = "e2e-demo-secret";

/** A fresh data directory, removed when the test process exits. */
export function tempDataDir(prefix = "nimbus-e2e-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `probe` until it returns something other than undefined/false, at most
 * `timeoutMs`. On timeout the error names `what` and the last value seen (or the last
 * error thrown), so a stuck state is readable in the test output.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const detail = options.describe ? options.describe() : last;
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${
          detail instanceof Error ? detail.message : JSON.stringify(detail)
        }`,
      );
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------
// The nimbus process

export interface ServeOptions {
  /** Reuse a data directory (restart); a fresh one otherwise. */
  dataDir?: string;
  /** Reuse a port (restart); a free one otherwise. */
  port?: number;
  fakeStepMs?: number;
  logLevel?: string;
  /** Extra command-line flags. */
  args?: string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** How long to wait for the first 200 from /compute/v2.1. */
  readyTimeoutMs?: number;
}

/** A `nimbus serve` child process (see test/nimbus-child.ts). */
export type NimbusProcess = NimbusChild;

/** Starts `nimbus serve` with the known e2e passwords and resolves once it answers. */
export function startNimbusProcess(options: ServeOptions = {}): Promise<NimbusProcess> {
  return spawnNimbus({
    dataDir: options.dataDir ?? tempDataDir(),
    port: options.port,
    fakeStepMs: options.fakeStepMs ?? 20,
    logLevel: options.logLevel ?? "warn",
    args: options.args,
    env: { NIMBUS_ADMIN_PASSWORD: ADMIN_PASSWORD, NIMBUS_DEMO_PASSWORD: DEMO_PASSWORD, ...options.env },
    readyTimeoutMs: options.readyTimeoutMs ?? 45_000,
  });
}

// ---------------------------------------------------------------------------------------
// HTTP

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the server answered
  body: any;
}

export interface RequestOptions {
  method: string;
  path: string;
  headers?: Record<string, string>;
  token?: string;
  /** An object is sent as JSON; a string or Buffer is sent as is. */
  body?: unknown;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
  timeoutMs?: number;
}

/**
 * One HTTP request over node:http, so the test controls every header (fetch adds its
 * own Content-Type and refuses some). A fresh connection each time.
 */
export function request(baseUrl: string, options: RequestOptions): Promise<HttpResponse> {
  const target = new URL(options.path, baseUrl);
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (options.token !== undefined) headers["X-Auth-Token"] = options.token;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === "string") payload = Buffer.from(options.body, "utf8");
    else if (Buffer.isBuffer(options.body)) payload = options.body;
    else payload = Buffer.from(JSON.stringify(options.body), "utf8");
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
      headers["Content-Type"] = "application/json";
    }
    if (!options.chunked) headers["Content-Length"] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = http.request(
      target,
      { method: options.method, headers, agent: false, timeout: options.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text === "" ? undefined : JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${options.method} ${options.path}: timed out`)));
    req.on("error", reject);
    if (payload && options.chunked) {
      // Write in pieces so that the server sees a streamed body without a length.
      const size = 64 * 1024;
      for (let i = 0; i < payload.length; i += size) req.write(payload.subarray(i, i + size));
      req.end();
    } else {
      req.end(payload);
    }
  });
}

/** A password-scoped Keystone token for a Default-domain user on a project. */
export async function login(
  baseUrl: string,
  user: string,
  password: string,
  project: string,
): Promise<{ token: string; projectId: string; userId: string }> {
  const response = await request(baseUrl, {
    method: "POST",
    path: "/identity/v3/auth/tokens",
    body: {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: user, domain: { name: "Default" }, password } },
        },
        scope: { project: { name: project, domain: { name: "Default" } } },
      },
    },
  });
  const token = response.headers["x-subject-token"];
  if (response.status !== 201 || typeof token !== "string") {
    throw new Error(`login ${user}@${project}: ${response.status} ${response.text}`);
  }
  return { token, projectId: response.body.token.project.id, userId: response.body.token.user.id };
}

/**
 * A member of a new project of its own (named `name`, its user `<name>-user`), with a
 * clouds.yaml of its own beside nimbus's: the stranger the isolation checks run as.
 */
export async function memberOfNewProject(nimbus: NimbusProcess, name: string): Promise<Clients> {
  const { token } = await login(nimbus.url, "admin", ADMIN_PASSWORD, "admin");
  const identity = async (method: string, apiPath: string, body?: unknown) => {
    const response = await request(nimbus.url, { method, path: `/identity/v3${apiPath}`, token, body });
    if (response.status >= 300) throw new Error(`${method} ${apiPath}: ${response.status} ${response.text}`);
    return response.body;
  };
  const password = `e2e-${name}-secret`;
  const project = (await identity("POST", "/projects", { project: { name, domain_id: "default" } })).project;
  const user = (
    await identity("POST", "/users", {
      user: { name: `${name}-user`, password, domain_id: "default", default_project_id: project.id },
    })
  ).user;
  const [member] = (await identity("GET", "/roles?name=member")).roles;
  await identity("PUT", `/projects/${project.id}/users/${user.id}/roles/${member.id}`);
  const file = path.join(nimbus.dataDir, `${name}-clouds.yaml`);
  fs.writeFileSync(
    file,
    YAML.stringify({
      clouds: {
        [name]: {
          auth: {
            auth_url: `${nimbus.url}/identity`,
            username: `${name}-user`,
            password,
            project_name: name,
            user_domain_name: "Default",
            project_domain_name: "Default",
          },
          region_name: "RegionOne",
          interface: "public",
          identity_api_version: 3,
        },
      },
    }),
  );
  return new Clients(nimbus.dataDir, name, file);
}

/** A compute API caller bound to one token and microversion. */
export function computeClient(baseUrl: string, token: string, microversion?: string) {
  return (method: string, apiPath: string, body?: unknown, headers: Record<string, string> = {}) =>
    request(baseUrl, {
      method,
      path: `/compute/v2.1${apiPath}`,
      token,
      body,
      headers: microversion ? { "OpenStack-API-Version": `compute ${microversion}`, ...headers } : headers,
    });
}

// ---------------------------------------------------------------------------------------
// The real command-line clients

/** A failed client run: the command line, its exit status and everything it printed. */
export class CliError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`\`${command}\` failed (${code}):\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

/** The CliError of a client run that is expected to fail; a run that succeeds fails the test. */
export async function failure(run: Promise<unknown>): Promise<CliError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof CliError) return error;
    throw error;
  }
  throw new Error("the command succeeded, but it was expected to fail");
}

/** The settings of one cloud of the generated clouds.yaml. */
export interface CloudAuth {
  auth_url: string;
  username: string;
  password: string;
  project_name: string;
  user_domain_name: string;
  project_domain_name: string;
}

export function readCloud(
  dataDir: string,
  cloud: string,
  cloudsFile = path.join(dataDir, "clouds.yaml"),
): CloudAuth {
  const doc = YAML.parse(fs.readFileSync(cloudsFile, "utf8"));
  const entry = doc?.clouds?.[cloud];
  if (!entry) throw new Error(`clouds.yaml has no cloud '${cloud}'`);
  return entry.auth as CloudAuth;
}

/**
 * A clean environment for openstackclient: nothing inherited but PATH/HOME/LANG (no
 * OS_*), the generated clouds.yaml, and the cloud to use.
 */
export function clientEnv(
  dataDir: string,
  cloud: string,
  cloudsFile = path.join(dataDir, "clouds.yaml"),
): Record<string, string> {
  return {
    PATH: "/usr/bin:/bin",
    HOME: dataDir,
    LANG: "C.UTF-8",
    OS_CLIENT_CONFIG_FILE: cloudsFile,
    OS_CLOUD: cloud,
  };
}

/** novaclient does not read clouds.yaml: the same login, spelled out as OS_* variables. */
function novaEnv(dataDir: string, cloud: string, cloudsFile?: string): Record<string, string> {
  const auth = readCloud(dataDir, cloud, cloudsFile);
  return {
    PATH: "/usr/bin:/bin",
    HOME: dataDir,
    LANG: "C.UTF-8",
    OS_AUTH_URL: auth.auth_url,
    OS_USERNAME: auth.username,
    OS_PASSWORD: auth.password,
    OS_PROJECT_NAME: auth.project_name,
    OS_USER_DOMAIN_NAME: auth.user_domain_name,
    OS_PROJECT_DOMAIN_NAME: auth.project_domain_name,
    OS_IDENTITY_API_VERSION: "3",
  };
}

function runProgram(
  program: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  const command = [path.basename(program), ...args].join(" ");
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, cwd: env.HOME },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new CliError(command, error.killed ? "timeout" : code, stdout, stderr));
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/** Runs the clients as one cloud of a clouds.yaml (nimbus's own unless another file is given). */
export class Clients {
  constructor(
    readonly dataDir: string,
    readonly cloud: string,
    readonly cloudsFile = path.join(dataDir, "clouds.yaml"),
  ) {}

  /** `openstack <args>`; resolves to stdout, rejects with a CliError. */
  async openstack(args: string[], timeoutMs = 90_000): Promise<string> {
    return (
      await runProgram(OPENSTACK, args, clientEnv(this.dataDir, this.cloud, this.cloudsFile), timeoutMs)
    ).stdout;
  }

  /** `openstack <args> -f json`, parsed. */
  // biome-ignore lint/suspicious/noExplicitAny: the shape is what openstackclient prints
  async json(args: string[], timeoutMs?: number): Promise<any> {
    const out = await this.openstack([...args, "-f", "json"], timeoutMs);
    // `--wait` writes its progress ("Progress: 100Complete") to stdout before the document.
    const start = out.search(/^[[{]/m);
    try {
      return JSON.parse(start > 0 ? out.slice(start) : out);
    } catch {
      throw new Error(`openstack ${args.join(" ")}: output is not JSON:\n${out}`);
    }
  }

  /** Runs a Python script with openstacksdk configured for this cloud; resolves to stdout. */
  async python(script: string, timeoutMs = 180_000): Promise<string> {
    return (
      await runProgram(PYTHON, [script], clientEnv(this.dataDir, this.cloud, this.cloudsFile), timeoutMs)
    ).stdout;
  }

  /** `nova <args>`; resolves to stdout. */
  async nova(args: string[], timeoutMs = 90_000): Promise<string> {
    return (await runProgram(NOVA, args, novaEnv(this.dataDir, this.cloud, this.cloudsFile), timeoutMs))
      .stdout;
  }
}

/**
 * Parses a prettytable as novaclient prints it:
 * ```
 * +----+------+
 * | ID | Name |
 * +----+------+
 * | 1  | a    |
 * +----+------+
 * ```
 * into one record per row, keyed by the header cells.
 */
export function parseTable(text: string): Array<Record<string, string>> {
  const rows = text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  const [header, ...body] = rows;
  if (!header) return [];
  return body.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i] ?? ""])));
}

/** A two-column `Property | Value` table (novaclient's `show` output) as a record. */
export function parsePropertyTable(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of parseTable(text)) {
    const [keyColumn, valueColumn] = Object.keys(row);
    if (keyColumn !== undefined && valueColumn !== undefined) out[row[keyColumn]!] = row[valueColumn]!;
  }
  return out;
}
