/**
 * Secrets at rest and in logs: a whole lifecycle against the real `nimbus serve` (request
 * logging on), including a kill -9 in the middle of a rescue, and then every password and
 * token it handled is looked for, byte for byte, in the SQLite file, its WAL and the logs.
 * Deleted rows are no proof of anything here: SQLite keeps their pages in the WAL and in
 * free pages, so a secret written once in clear would still be found.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import {
  computeClient,
  login,
  type NimbusProcess,
  request,
  startNimbusProcess,
  tempDataDir,
  waitUntil,
} from "./support.js";

/** A value that cannot turn up by chance in a file or a log. */
const secret = (label: string) => `${label}-${randomBytes(12).toString("base64url")}`;

/** Every value that must never be stored or logged in clear, by what it is. */
const secrets = new Map<string, string>();
const remember = (name: string, value: string) => {
  secrets.set(name, value);
  return value;
};

/** The names of the secrets found in the bytes of `data`. */
function leaks(data: Buffer | string): string[] {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return [...secrets].filter(([, value]) => bytes.includes(Buffer.from(value, "utf8"))).map(([name]) => name);
}

/** The database files as they are on disk now: the main file and, if there is one, its WAL. */
function databaseFiles(dataDir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const name of ["nimbus.sqlite", "nimbus.sqlite-wal"]) {
    const file = path.join(dataDir, name);
    if (fs.existsSync(file)) files.set(name, fs.readFileSync(file));
  }
  return files;
}

/** Which secret each database file holds, at this moment (expected: none). */
function scanDatabase(dataDir: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [name, bytes] of databaseFiles(dataDir)) {
    const names = leaks(bytes);
    if (names.length > 0) found[name] = names;
  }
  return found;
}

const processes: NimbusProcess[] = [];

describe("secrets at rest and in logs", () => {
  afterAll(async () => {
    for (const p of processes) await p.stop();
  });

  it("keeps every password and token out of the database, its WAL and the logs", async () => {
    const dataDir = tempDataDir("nimbus-secrets-");
    const adminPassword = remember("NIMBUS_ADMIN_PASSWORD", secret("admin"));
    // the demo password is left to nimbus to generate: that is the one it must show once
    const env = { NIMBUS_ADMIN_PASSWORD: adminPassword, NIMBUS_DEMO_PASSWORD: "" };
    const serve = async (fakeStepMs: number, args: string[] = []) => {
      const p = await startNimbusProcess({ dataDir, fakeStepMs, logLevel: "debug", env, args });
      processes.push(p);
      return p;
    };

    // ---- first start: bootstrap, identity, a server through create, changePassword and rescue
    const first = await serve(20);
    const cloudsYaml = path.join(dataDir, "clouds.yaml");
    expect(fs.statSync(cloudsYaml).mode & 0o777).toBe(0o600);
    const clouds = YAML.parse(fs.readFileSync(cloudsYaml, "utf8"));
    const demoPassword = remember("generated demo password", clouds.clouds.nimbus.auth.password);
    expect(clouds.clouds["nimbus-admin"].auth.password).toBe(adminPassword);

    const tokens: string[] = [];
    const loginAs = async (user: string, password: string, project: string) => {
      const session = await login(first.url, user, password, project);
      tokens.push(remember(`token of ${user} #${tokens.length + 1}`, session.token));
      return session;
    };
    const admin = await loginAs("admin", adminPassword, "admin");
    const demo = await loginAs("demo", demoPassword, "demo");
    const validated = await request(first.url, {
      method: "GET",
      path: "/identity/v3/auth/tokens",
      token: admin.token,
      headers: { "X-Subject-Token": demo.token },
    });
    expect(validated.status, validated.text).toBe(200);

    const identity = (method: string, apiPath: string, body?: unknown) =>
      request(first.url, { method, path: `/identity/v3${apiPath}`, token: admin.token, body });
    const userPassword = remember("created user's password", secret("user"));
    const created = await identity("POST", "/users", {
      user: { name: "scanned", password: userPassword, domain_id: "default" },
    });
    expect(created.status, created.text).toBe(201);
    const roles = await identity("GET", "/roles?name=member");
    const member: string = roles.body.roles[0].id;
    const granted = await identity(
      "PUT",
      `/projects/${demo.projectId}/users/${created.body.user.id}/roles/${member}`,
    );
    expect(granted.status, granted.text).toBe(204);
    await loginAs("scanned", userPassword, "demo");
    const newUserPassword = remember("updated user's password", secret("user2"));
    const updated = await identity("PATCH", `/users/${created.body.user.id}`, {
      user: { password: newUserPassword },
    });
    expect(updated.status, updated.text).toBe(200);
    const user = await loginAs("scanned", newUserPassword, "demo");

    let api = computeClient(first.url, user.token);
    const status = async (id: string) => {
      const response = await api("GET", `/servers/${id}`);
      return response.status === 200
        ? `${response.body.server.status}/${response.body.server["OS-EXT-STS:task_state"]}`
        : `${response.status}`;
    };
    const settles = (id: string, wanted: string) =>
      waitUntil(`server ${id} ${wanted}`, async () => (await status(id)) === `${wanted}/null`, {
        intervalMs: 50,
      });

    const images = await request(first.url, { method: "GET", path: "/image/v2/images", token: user.token });
    const imageRef: string = images.body.images[0].id;
    const createPass = remember("server create adminPass", secret("create"));
    const server = await api("POST", "/servers", {
      server: { name: "scanned", flavorRef: "1", imageRef, adminPass: createPass },
    });
    expect(server.status, server.text).toBe(202);
    expect(server.body.server.adminPass).toBe(createPass);
    const id: string = server.body.server.id;
    await settles(id, "ACTIVE");

    const changePass = remember("changePassword adminPass", secret("change"));
    const changed = await api("POST", `/servers/${id}/action`, { changePassword: { adminPass: changePass } });
    expect(changed.status, changed.text).toBe(202);
    await settles(id, "ACTIVE");

    const rescuePass = remember("rescue adminPass", secret("rescue"));
    const rescued = await api("POST", `/servers/${id}/action`, { rescue: { adminPass: rescuePass } });
    expect(rescued.status, rescued.text).toBe(200);
    await settles(id, "RESCUE");
    expect((await api("POST", `/servers/${id}/action`, { unrescue: null })).status).toBe(202);
    await settles(id, "ACTIVE");
    // without one given, the rescue system's password is generated and answered once
    const generated = await api("POST", `/servers/${id}/action`, { rescue: null });
    expect(generated.status, generated.text).toBe(200);
    remember("generated rescue adminPass", generated.body.adminPass);
    await settles(id, "RESCUE");
    expect((await api("POST", `/servers/${id}/action`, { unrescue: null })).status).toBe(202);
    await settles(id, "ACTIVE");

    expect(scanDatabase(dataDir), "database files while serving").toEqual({});
    await first.stop();

    // ---- second start: a rescue slow enough to be killed half-way, so its task is left open
    const second = await serve(3000);
    api = computeClient(second.url, user.token);
    const crashPass = remember("adminPass of the rescue killed half-way", secret("crash"));
    const interrupted = await api("POST", `/servers/${id}/action`, { rescue: { adminPass: crashPass } });
    expect(interrupted.status, interrupted.text).toBe(200);
    expect(await status(id)).toBe("ACTIVE/rescuing");
    await second.kill9();
    expect(fs.existsSync(path.join(dataDir, "nimbus.sqlite-wal")), "a WAL left by the crash").toBe(true);
    expect(scanDatabase(dataDir), "database files after kill -9").toEqual({});

    // ---- third start, its key file elsewhere: the rescue resumes with its password and ends
    const keyFile = path.join(dataDir, "task-secrets.key");
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const movedKey = path.join(tempDataDir("nimbus-key-"), "task.key");
    fs.renameSync(keyFile, movedKey);
    const third = await serve(20, ["--task-key-file", movedKey]);
    expect(fs.existsSync(keyFile)).toBe(false);
    api = computeClient(third.url, user.token);
    await settles(id, "RESCUE");
    const actions = await api("GET", `/servers/${id}/os-instance-actions`);
    const lastRescue = actions.body.instanceActions.find((a: { action: string }) => a.action === "rescue");
    expect(lastRescue.message).toBeNull();
    expect((await api("POST", `/servers/${id}/action`, { unrescue: null })).status).toBe(202);
    await settles(id, "ACTIVE");
    expect((await api("DELETE", `/servers/${id}`)).status).toBe(204);
    await waitUntil(`server ${id} deleted`, async () => (await status(id)) === "404", { intervalMs: 50 });
    expect(scanDatabase(dataDir), "database files after the restart").toEqual({});
    await third.kill9();
    expect(scanDatabase(dataDir), "database files at the end").toEqual({});

    // Tokens are kept as their SHA-256 only: the hashes are there, the tokens are not.
    const stored = Buffer.concat([...databaseFiles(dataDir).values()]);
    for (const token of tokens) {
      expect(stored.includes(createHash("sha256").update(token).digest("hex"))).toBe(true);
    }

    // The structured logs (stdout) carry no secret, though every request was logged.
    const logs = [first, second, third].map((p) => p.stdout());
    expect(logs[0]).toContain("incoming request");
    expect(logs.map(leaks)).toEqual([[], [], []]);
    // The terminal (stderr) shows the generated password once, at the first start only; the
    // operator's own password from the environment is not echoed.
    const terminals = [first, second, third].map((p) => p.stderr());
    expect(terminals.map(leaks)).toEqual([["generated demo password"], [], []]);
    expect(terminals[0]!.split(demoPassword).length - 1).toBe(1);
  }, 120_000);
});
