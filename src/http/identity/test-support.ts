import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { type Config, defaultConfig } from "../../config.js";
import { type BootstrapResult, bootstrapIdentity } from "../../services/identity/bootstrap.js";
import { IdentityService } from "../../services/identity/identity-service.js";
import { type Db, openDatabase } from "../../store/database.js";
import { createHttpServer } from "../app.js";
import { registerIdentity } from "./router.js";

export const ADMIN_PASSWORD = "admin-secret";
export const DEMO_PASSWORD = "demo-secret";

export interface IdentityHarness {
  app: FastifyInstance;
  db: Db;
  identity: IdentityService;
  config: Config;
  boot: BootstrapResult;
  close(): Promise<void>;
}

/** A bootstrapped identity API on a fresh data directory, for inject() tests. */
export async function identityHarness(
  options: { config?: Partial<Config>; now?: () => Date } = {},
): Promise<IdentityHarness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "nimbus-identity-"));
  const config = defaultConfig({
    dataDir,
    logLevel: "silent",
    publicUrl: "http://cloud.test:8774",
    ...options.config,
  });
  const db = await openDatabase(dataDir);
  const identity = new IdentityService({ db, config, now: options.now });
  const boot = await bootstrapIdentity(db, config, {
    env: { NIMBUS_ADMIN_PASSWORD: ADMIN_PASSWORD, NIMBUS_DEMO_PASSWORD: DEMO_PASSWORD },
  });
  const app = createHttpServer(config);
  await registerIdentity(app, { identity, config });
  await app.ready();
  return {
    app,
    db,
    identity,
    config,
    boot,
    async close() {
      await app.close();
      await db.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A password auth body for a user in the Default domain, scoped to a project by name (or unscoped). */
export function passwordAuth(user: string, password: string, project?: string) {
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: { user: { name: user, domain: { name: "Default" }, password } },
      },
      ...(project ? { scope: { project: { name: project, domain: { id: "default" } } } } : {}),
    },
  };
}

/** Issues a token through the API; returns the X-Subject-Token. */
export async function login(
  app: FastifyInstance,
  user: string,
  password: string,
  project?: string,
): Promise<string> {
  const response = await app.inject({
    method: "POST",
    url: "/identity/v3/auth/tokens",
    payload: passwordAuth(user, password, project),
  });
  if (response.statusCode !== 201) throw new Error(`login ${user}: ${response.statusCode} ${response.body}`);
  return response.headers["x-subject-token"] as string;
}
