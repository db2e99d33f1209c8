import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { defaultConfig } from "../../config.js";
import { FlavorService } from "../../services/compute/flavor-service.js";
import { KeypairService } from "../../services/compute/keypair-service.js";
import type { AuthContext } from "../../services/context.js";
import { QuotaService } from "../../services/quota/quota-service.js";
import type { Db } from "../../store/database.js";
import { openTestDatabase } from "../../store/testing.js";
import { createHttpServer } from "../app.js";
import type { Authenticate } from "../auth-hook.js";
import { extensionRoutes } from "./extensions.js";
import { flavorAccessRoutes } from "./flavor-access.js";
import { flavorExtraSpecRoutes } from "./flavor-extra-specs.js";
import { flavorRoutes } from "./flavors.js";
import { keypairRoutes } from "./keypairs.js";
import { limitRoutes } from "./limits.js";
import { quotaSetRoutes } from "./quota-sets.js";
import { mountCompute } from "./router.js";

/**
 * Test support for the flavor, keypair, quota and limits route tests: the compute API with
 * just those routes, a fake token check and nova's api_samples to compare shapes with.
 */

export const ADMIN_PROJECT = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
export const MEMBER_PROJECT = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
export const OTHER_PROJECT = "cccccccccccccccccccccccccccccccc";
export const UNKNOWN_PROJECT = "dddddddddddddddddddddddddddddddd";

const context = (name: string, projectId: string, roles: string[]): AuthContext => ({
  userId: `${name}-user-id`,
  userName: name,
  projectId,
  projectName: name,
  roles,
  isAdmin: roles.includes("admin"),
  requestId: "req-00000000-0000-0000-0000-000000000000",
});

export const TOKENS: Record<string, AuthContext> = {
  admin: context("admin", ADMIN_PROJECT, ["admin", "member", "reader"]),
  member: context("member", MEMBER_PROJECT, ["member", "reader"]),
  other: context("other", OTHER_PROJECT, ["member", "reader"]),
  // no role at all on its project: fails every project_reader policy
  norole: context("norole", MEMBER_PROJECT, []),
};

const fakeAuthenticate: Authenticate = async (token) => TOKENS[token];

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  flavors: FlavorService;
  keypairs: KeypairService;
  quotas: QuotaService;
  close(): Promise<void>;
}

export async function resourcesApp(): Promise<TestApp> {
  const { db, dataDir, close } = await openTestDatabase();
  const quotas = new QuotaService(db);
  const flavors = new FlavorService(db);
  const keypairs = new KeypairService(db, quotas);
  await flavors.ensureDefaults();
  const known = new Set([ADMIN_PROJECT, MEMBER_PROJECT, OTHER_PROJECT]);
  const projectExists = async (id: string) => known.has(id);
  const config = defaultConfig({ dataDir, logLevel: "silent" });
  const app = createHttpServer(config);
  await mountCompute(
    app,
    fakeAuthenticate,
    [
      ...flavorRoutes({ flavors }),
      ...flavorAccessRoutes({ flavors, projectExists }),
      ...flavorExtraSpecRoutes({ flavors }),
      ...keypairRoutes({ keypairs }),
      ...quotaSetRoutes({ quotas, projectExists }),
      ...limitRoutes({ quotas }),
      ...extensionRoutes(),
    ],
    config.responseValidation,
  );
  await app.ready();
  return {
    app,
    db,
    flavors,
    keypairs,
    quotas,
    close: async () => {
      await app.close();
      await close();
    },
  };
}

export interface Call {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  url: string;
  token?: string;
  version?: string;
  body?: unknown;
}

/** One request to /compute/v2.1 (or the URL as given when it starts with /compute). */
export async function call(app: FastifyInstance, c: Call) {
  const headers: Record<string, string> = { "x-auth-token": c.token ?? "admin" };
  if (c.version) headers["openstack-api-version"] = `compute ${c.version}`;
  if (c.body !== undefined) headers["content-type"] = "application/json";
  const response = await app.inject({
    method: c.method ?? "GET",
    url: c.url.startsWith("/compute") ? c.url : `/compute/v2.1${c.url}`,
    headers,
    payload: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
  const text = response.body;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
  const json: any = text ? JSON.parse(text) : undefined;
  return { status: response.statusCode, json, text, headers: response.headers };
}

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SAMPLES = path.join(REPO_ROOT, "../shared/nova-api/api_samples");

/** A body from nova's api_samples, e.g. `sample("flavors/v2.61/flavor-get-resp.json")`. */
// biome-ignore lint/suspicious/noExplicitAny: samples are plain JSON
export function sample(relative: string): any {
  return JSON.parse(readFileSync(path.join(SAMPLES, relative), "utf8"));
}

/** Sorted keys of an object, to compare a response's shape with a sample's. */
export const keys = (o: object) => Object.keys(o).sort();
