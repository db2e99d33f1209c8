/**
 * The policy matrix: every compute, identity and image route nimbus serves, called by an
 * admin, a member, a reader and a user with no default role, against a target of their own
 * project and of a foreign one. Each cell asserts the upstream default policy's status and
 * that nothing the foreign project holds shows in what a non-admin caller is answered.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeRoutes } from "../../src/http/compute/index.js";
import { computeRows } from "./compute-rows.js";
import { type Fixture, policyFixture } from "./fixture.js";
import { identityRows } from "./identity-rows.js";
import { imageRows } from "./image-rows.js";
import { fill, ROLES, type Row, rowName, type Side, type Target } from "./matrix.js";

const rows = [...computeRows, ...identityRows, ...imageRows];

let fx: Fixture;
beforeAll(async () => {
  fx = await policyFixture();
}, 60_000);
afterAll(async () => fx?.harness.close());

/** Runs one cell; answers what is wrong with it, if anything. */
async function cell(row: Row, side: Side, role: (typeof ROLES)[number]): Promise<string[]> {
  const seed = fx[side];
  const expected = row.expect[side][role];
  const target: Target =
    row.fresh && expected < 300
      ? await row.fresh(fx, side, role)
      : row.target
        ? row.target(seed, fx, role)
        : { ...seed };
  const path = fill(row.path, target);
  const given = row.body?.(target);
  const body = row.action ? { [row.action]: given ?? null } : given;
  const headers = row.headers?.(target);
  const response = await fx.send({
    api: row.api,
    method: row.method,
    path,
    as: role,
    version: row.version,
    body,
    headers,
  });
  const problems: string[] = [];
  if (response.status !== expected) {
    problems.push(
      `${side} ${role}: ${response.status} (expected ${expected}) ${response.text.slice(0, 200)}`,
    );
  }
  if (role !== "admin") {
    // what the caller sent may come back (nova names the server it did not find)
    const sent = `${path} ${JSON.stringify(body ?? "")} ${JSON.stringify(headers ?? {})}`;
    const shown = row.shows?.(fx) ?? [];
    for (const secret of fx.secrets().filter((s) => !shown.includes(s))) {
      if (!sent.includes(secret) && response.text.includes(secret)) {
        problems.push(`${side} ${role}: the answer shows the foreign ${JSON.stringify(secret)}`);
      }
    }
  }
  return problems;
}

describe("policy matrix", () => {
  for (const row of rows) {
    it(rowName(row), async () => {
      const problems: string[] = [];
      for (const side of row.ownOnly ? (["own"] as const) : (["own", "foreign"] as const)) {
        for (const role of ROLES) problems.push(...(await cell(row, side, role)));
      }
      await fx.harness.drain();
      expect(problems).toEqual([]);
    });
  }
});

/** `GET /servers/{id}/action reboot`: a route as the matrix and the route list both name it. */
const key = (method: string, path: string, action?: string) =>
  `${method} ${path.split("?")[0]!.replace(/\{\w+\}/g, "{}")}${action ? ` ${action}` : ""}`;

describe("the matrix covers", () => {
  it("every compute route nimbus serves", () => {
    // the route factories only keep their services for later: nothing is called here
    const routes = computeRoutes(new Proxy({}, { get: () => ({}) }) as never);
    const served = routes.flatMap((r) =>
      "actions" in r
        ? r.actions.filter((a) => !a.removed).map((a) => key(r.method, r.path, a.name))
        : r.removed
          ? []
          : [key(r.method, r.path)],
    );
    const covered = new Set(computeRows.map((r) => key(r.method, r.path, r.action)));
    expect(served.filter((k) => !covered.has(k))).toEqual([]);
  });

  it("every identity and image route behind a token", () => {
    const served = servedRoutes(fx.harness.app.printRoutes({ commonPrefix: false }));
    const covered = new Set(
      [...identityRows, ...imageRows].map((r) =>
        key(r.method, `${r.api === "identity" ? "/identity/v3" : "/image/v2"}${r.path}`),
      ),
    );
    expect(served.filter((k) => !covered.has(k))).toEqual([]);
  });
});

/** The identity and image routes of fastify's route tree, HEAD (fastify's own for each GET) left out. */
function servedRoutes(tree: string): string[] {
  const out: string[] = [];
  for (const line of tree.split("\n")) {
    const match = /(\/(?:identity\/v3|image\/v2)\/\S*) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const path = match[1]!.replace(/:(\w+)/g, "{$1}");
    for (const method of match[2]!.split(", ")) if (method !== "HEAD") out.push(key(method, path));
  }
  return out;
}
