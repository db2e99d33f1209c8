/**
 * `/servers/{id}/migrations` through inject(): the live migrations in progress (2.23; the
 * views of 2.59 and 2.80), one of them (2.23), force_complete (2.22) and abort (2.24; 2.65
 * queued ones too), with nova's refusals when none runs, as on one compute host, where a
 * live migration is refused before it starts. Migrations in the statuses one host never
 * reaches (queued, running) are written straight into the store to see what nova answers
 * for them; live-migration.test.ts runs real ones between two hosts.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  type Response,
  sample,
} from "../../../test/compute-harness.js";

const HOST = os.hostname();

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

function expectFault(r: Response, status: number, message: string) {
  const key = { 400: "badRequest", 403: "forbidden", 404: "itemNotFound", 409: "conflictingRequest" }[status];
  expect(r.status, r.text).toBe(status);
  expect(r.json).toEqual({ [key!]: { code: status, message } });
}

/** A live migration of `server` in `status`, as if some host were running it. */
async function liveMigration(server: string, status: string, type = "live-migration"): Promise<number> {
  const row = await h.nimbus.db
    .insertInto("migrations")
    .values({
      uuid: crypto.randomUUID(),
      instance_uuid: server,
      migration_type: type,
      status,
      source_compute: HOST,
      source_node: HOST,
      dest_compute: "elsewhere",
      dest_node: "elsewhere",
      dest_host: "192.0.2.2",
      old_flavor_id: "1",
      new_flavor_id: "1",
      user_id: h.users.admin,
      project_id: h.projects.admin,
      created_at: new Date().toISOString(),
      // in nova as here a migration reaches "running" by a status change, which stamps it
      updated_at: new Date().toISOString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

const get = (url: string, version = "2.23", as: "admin" | "demo" = "admin") => h.call({ url, as, version });
const abort = (server: string, id: number | string, version = "2.24", as: "admin" | "demo" = "admin") =>
  h.call({ method: "DELETE", url: `/servers/${server}/migrations/${id}`, as, version });
const forceComplete = (
  server: string,
  id: number | string,
  version = "2.22",
  as: "admin" | "demo" = "admin",
) =>
  h.call({
    method: "POST",
    url: `/servers/${server}/migrations/${id}/action`,
    as,
    version,
    body: { force_complete: null },
  });

/** Runs `fn` while a live migration of `server` has been accepted (MIGRATING) and not yet refused. */
const whileMigrating = <T>(server: string, fn: () => Promise<T>) =>
  h.withEngineStopped(async () => {
    const r = await h.action(
      server,
      { "os-migrateLive": { host: null, block_migration: "auto" } },
      {
        as: "admin",
        version: "2.34",
      },
    );
    expect(r.status, r.text).toBe(202);
    return fn();
  });

async function lastAction(server: string) {
  const r = await h.call({ url: `/servers/${server}/os-instance-actions`, as: "admin" });
  return r.json.instanceActions[0].action;
}

describe("GET /servers/{id}/migrations", () => {
  it("is not there before 2.23", async () => {
    const server = await h.activeServer();
    expect((await get(`/servers/${server}/migrations`, "2.22")).status).toBe(404);
  });

  it("lists no migration for a server whose live migration was refused (one host)", async () => {
    const server = await h.activeServer();
    await h.action(
      server,
      { "os-migrateLive": { host: null, block_migration: "auto" } },
      {
        as: "admin",
        version: "2.34",
      },
    );
    await h.drain();
    const r = await get(`/servers/${server}/migrations`);
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ migrations: [] });
  });

  it("lists the live migrations in progress, with nova's fields at 2.23, 2.59 and 2.80", async () => {
    const server = await h.activeServer();
    const running = await liveMigration(server, "running");
    await liveMigration(server, "error");
    await liveMigration(server, "running", "resize");
    const at = async (version: string) =>
      (await get(`/servers/${server}/migrations`, version)).json.migrations;
    const [found] = await at("2.23");
    expect(await at("2.23")).toHaveLength(1);
    expect(found).toMatchObject({
      id: running,
      server_uuid: server,
      status: "running",
      source_compute: HOST,
      dest_compute: "elsewhere",
      dest_host: "192.0.2.2",
      memory_total_bytes: null,
      disk_processed_bytes: null,
    });
    const keys = (dir: string) =>
      keysOf(sample(`server-migrations/${dir}/migrations-index.json`).migrations[0]);
    expect(keysOf(found)).toEqual(keys("v2.23"));
    expect(keysOf((await at("2.59"))[0])).toEqual(keys("v2.59"));
    expect((await at("2.80"))[0]).toMatchObject({ user_id: h.users.admin, project_id: h.projects.admin });
    expect(keysOf((await at("2.80"))[0])).toEqual(keys("v2.80"));
  });

  it("needs a project manager; another project's server is not found", async () => {
    const server = await h.activeServer();
    expectFault(
      await get(`/servers/${server}/migrations`, "2.23", "demo"),
      403,
      "Policy doesn't allow os_compute_api:servers:migrations:index to be performed.",
    );
    const r = await h.call({ url: `/servers/${server}/migrations`, as: "other", version: "2.23" });
    expectFault(r, 404, `Instance ${server} could not be found.`);
  });
});

describe("GET /servers/{id}/migrations/{id}", () => {
  it("shows a live migration in progress (admin)", async () => {
    const server = await h.activeServer();
    const id = await liveMigration(server, "running");
    const r = await get(`/servers/${server}/migrations/${id}`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.migration).toMatchObject({ id, server_uuid: server, status: "running" });
    expect(keysOf(r.json.migration)).toEqual(
      keysOf(sample("server-migrations/v2.23/migrations-get.json").migration),
    );
    expectFault(
      await get(`/servers/${server}/migrations/${id}`, "2.23", "demo"),
      403,
      "Policy doesn't allow os_compute_api:servers:migrations:show to be performed.",
    );
  });

  it("404s with nova's words for no such migration, another kind, or one not in progress", async () => {
    const server = await h.activeServer();
    const resize = await liveMigration(server, "finished", "resize");
    const failed = await liveMigration(server, "error");
    const show = (id: string | number) => get(`/servers/${server}/migrations/${id}`);
    expectFault(
      await show(999999),
      404,
      `In-progress live migration 999999 is not found for server ${server}.`,
    );
    expectFault(await show("abc"), 404, `In-progress live migration abc is not found for server ${server}.`);
    // beyond the id column's range: not found either (not an error of the database)
    const huge = "99999999999";
    expectFault(
      await show(huge),
      404,
      `In-progress live migration ${huge} is not found for server ${server}.`,
    );
    expectFault(await show(resize), 404, `Migration ${resize} for server ${server} is not live-migration.`);
    expectFault(await show(failed), 404, `Live migration ${failed} for server ${server} is not in progress.`);
  });
});

describe("POST /servers/{id}/migrations/{id}/action force_complete", () => {
  it("is not there before 2.22; a member may not", async () => {
    const server = await h.activeServer();
    expect((await forceComplete(server, 1, "2.21")).status).toBe(404);
    expectFault(
      await forceComplete(server, 1, "2.22", "demo"),
      403,
      "Policy doesn't allow os_compute_api:servers:migrations:force_complete to be performed.",
    );
  });

  it("409 unless the server is ACTIVE and MIGRATING", async () => {
    const server = await h.activeServer();
    expectFault(
      await forceComplete(server, 1),
      409,
      `Instance ${server} is in an invalid state for 'force_complete'`,
    );
    await h.action(server, { "os-stop": null });
    await h.drain();
    expectFault(
      await forceComplete(server, 1),
      409,
      `Cannot 'force_complete' instance ${server} while it is in vm_state stopped`,
    );
  });

  it("400 while migrating: no such migration, or one not running; a running one is accepted", async () => {
    const server = await h.activeServer();
    await whileMigrating(server, async () => {
      expectFault(
        await forceComplete(server, 999999),
        400,
        `Migration 999999 not found for instance ${server}`,
      );
      const accepted = await liveMigration(server, "accepted");
      expectFault(
        await forceComplete(server, accepted),
        400,
        `Migration ${accepted} state of instance ${server} is accepted. Cannot force complete while the migration is in this state.`,
      );
      const running = await liveMigration(server, "running");
      const r = await forceComplete(server, running);
      expect(r.status, r.text).toBe(202);
      expect(r.text).toBe("");
      expect(await lastAction(server)).toBe("live_migration_force_complete");
    });
  });
});

describe("DELETE /servers/{id}/migrations/{id} (abort)", () => {
  it("is not there before 2.24; a member may not", async () => {
    const server = await h.activeServer();
    expect((await abort(server, 1, "2.23")).status).toBe(404);
    expectFault(
      await abort(server, 1, "2.24", "demo"),
      403,
      "Policy doesn't allow os_compute_api:servers:migrations:delete to be performed.",
    );
  });

  it("409 when no live migration is under way (task_state None)", async () => {
    const server = await h.activeServer();
    expectFault(
      await abort(server, 1),
      409,
      `Instance ${server} is in an invalid state for 'abort live migration'`,
    );
  });

  it("while migrating: 404 for no such migration, 400 for one queued before 2.65; 2.65 cancels it", async () => {
    const server = await h.activeServer();
    await whileMigrating(server, async () => {
      expectFault(await abort(server, 999999), 404, `Migration 999999 not found for instance ${server}`);
      const queued = await liveMigration(server, "queued");
      expectFault(
        await abort(server, queued),
        400,
        `Migration ${queued} state of instance ${server} is queued. Cannot abort live migration while the migration is in this state.`,
      );
      const r = await abort(server, queued, "2.65");
      expect(r.status, r.text).toBe(202);
      expect(r.text).toBe("");
      const [row] = await h.nimbus.db
        .selectFrom("migrations")
        .select("status")
        .where("id", "=", queued)
        .execute();
      expect(row?.status).toBe("cancelled");
      expect(await lastAction(server)).toBe("live_migration_cancel");
      // cancelled already: a second abort is refused
      expectFault(
        await abort(server, queued, "2.65"),
        400,
        `Migration ${queued} state of instance ${server} is cancelled. Cannot abort live migration while the migration is in this state.`,
      );
    });
    // the task rolls back what it began (here: refused, one host), the server back as it was
    const shown = await h.show(server, { as: "admin" });
    expect(shown.status).toBe("ACTIVE");
    expect(shown["OS-EXT-STS:task_state"]).toBeNull();
  });
});
