/**
 * `GET /os-migrations` through inject(): the records the moves write (a confirmed resize,
 * and the cold and live migrations refused on one host), the view at every microversion
 * where it changes (2.23 migration_type and links, 2.59 uuid and paging newest first,
 * 2.80 user_id and project_id), nova's filters and their bad-input 400s, and the policy
 * (admin; a project manager for its own project, without the host fields).
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  type Response,
  SMALL,
  sample,
} from "../../../test/compute-harness.js";

const HOST = os.hostname();
const BASE = "http://localhost:80/compute/v2.1";

let h: ComputeHarness;
/** demo's server resized to m1.small by demo and confirmed. */
let resized: string;
/** demo's server that admin tried to migrate (cold), then live (2.25, refused at once). */
let moved: string;
beforeAll(async () => {
  h = await computeHarness();
  resized = await h.activeServer({ name: "resized" });
  await h.action(resized, { resize: { flavorRef: SMALL } });
  await h.drain();
  await h.action(resized, { confirmResize: null });
  await h.drain();
  moved = await h.activeServer({ name: "moved" });
  expect((await h.action(moved, { migrate: null }, { as: "admin" })).status).toBe(202);
  await h.drain();
  const live = { "os-migrateLive": { host: null, block_migration: "auto" } };
  expect((await h.action(moved, live, { as: "admin", version: "2.25" })).status).toBe(400);
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

function expectFault(r: Response, status: number, message: string) {
  const key = { 400: "badRequest", 403: "forbidden", 404: "itemNotFound" }[status];
  expect(r.status, r.text).toBe(status);
  expect(r.json).toEqual({ [key!]: { code: status, message } });
}

const list = (query = "", version = "2.1") => h.call({ url: `/os-migrations${query}`, as: "admin", version });

async function migrations(query = "", version = "2.1"): Promise<Body[]> {
  const r = await list(query, version);
  expect(r.status, r.text).toBe(200);
  return r.json.migrations;
}

const mine = (found: Body[]) => found.filter((m) => [resized, moved].includes(m.instance_uuid));

describe("the records of the moves", () => {
  it("2.1: a confirmed resize, an errored cold and live migration, in id order, with nova's keys", async () => {
    const found = mine(await migrations());
    expect(found.map((m) => [m.instance_uuid, m.status])).toEqual([
      [resized, "confirmed"],
      [moved, "error"],
      [moved, "error"],
    ]);
    const [resize, cold, live] = found;
    expect(keysOf(resize)).toEqual(keysOf(sample("os-migrations/migrations-get.json").migrations[0]));
    expect(resize).toMatchObject({
      source_compute: HOST,
      source_node: HOST,
      dest_compute: HOST,
      dest_node: HOST,
      dest_host: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+$/),
      old_instance_type_id: 1,
      new_instance_type_id: 2,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
    });
    expect(cold).toMatchObject({ source_compute: HOST, dest_compute: null, old_instance_type_id: 1 });
    expect(live).toMatchObject({ source_compute: HOST, source_node: null, dest_compute: null });
    expect(resize.id).toBeLessThan(cold.id);
  });

  it("2.23: migration_type for every record, links only on live migrations in progress", async () => {
    const found = mine(await migrations("", "2.23"));
    expect(found.map((m) => m.migration_type)).toEqual(["resize", "migration", "live-migration"]);
    expect(found.some((m) => "links" in m)).toBe(false);
    expect(keysOf(found[0])).toEqual(keysOf(sample("os-migrations/v2.23/migrations-get.json").migrations[1]));
  });

  it("2.23: a running live migration links to the server's migration", async () => {
    const id = await h.activeServer({ name: "live-running" });
    const now = new Date().toISOString();
    const row = await h.nimbus.db
      .insertInto("migrations")
      .values({
        uuid: crypto.randomUUID(),
        instance_uuid: id,
        migration_type: "live-migration",
        status: "running",
        source_compute: HOST,
        dest_compute: "elsewhere",
        old_flavor_id: "1",
        new_flavor_id: "1",
        user_id: h.users.admin,
        project_id: h.projects.admin,
        created_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const [found] = await migrations(`?instance_uuid=${id}`, "2.23");
    expect(found.links).toEqual([
      { rel: "self", href: `${BASE}/servers/${id}/migrations/${row.id}` },
      { rel: "bookmark", href: `http://localhost:80/compute/servers/${id}/migrations/${row.id}` },
    ]);
    await h.nimbus.db.deleteFrom("migrations").where("id", "=", row.id).execute();
  });

  it("hides the migrations of a deleted server, as nova deletes them with it", async () => {
    const id = await h.activeServer({ name: "gone" });
    await h.action(id, { resize: { flavorRef: SMALL } });
    await h.drain();
    expect(await migrations(`?instance_uuid=${id}`)).toHaveLength(1);
    await h.call({ method: "DELETE", url: `/servers/${id}` });
    await h.drain();
    expect(await migrations(`?instance_uuid=${id}`)).toEqual([]);
  });
});

describe("filters", () => {
  it("by status, type, server, host (source or destination) and source host", async () => {
    const statuses = async (q: string) => mine(await migrations(q, "2.23")).map((m) => m.migration_type);
    expect(await statuses("?status=confirmed")).toEqual(["resize"]);
    expect(await statuses("?status=error")).toEqual(["migration", "live-migration"]);
    expect(await statuses("?migration_type=live-migration")).toEqual(["live-migration"]);
    expect(await statuses(`?instance_uuid=${moved}`)).toEqual(["migration", "live-migration"]);
    expect(await statuses(`?host=${HOST}`)).toEqual(["resize", "migration", "live-migration"]);
    expect(await statuses("?host=elsewhere")).toEqual([]);
    expect(await statuses(`?source_compute=${HOST}`)).toHaveLength(3);
    // nova's host filter wins over source_compute
    expect(await statuses(`?host=${HOST}&source_compute=elsewhere`)).toHaveLength(3);
    // nimbus hides no migration (nova hides only a cross-cell resize's duplicates)
    expect(await statuses("?hidden=1")).toEqual([]);
    expect(await statuses("?hidden=0")).toHaveLength(3);
  });

  it("before 2.59 ignores unknown parameters (paging among them)", async () => {
    expect(mine(await migrations("?limit=1&marker=x&bogus=1"))).toHaveLength(3);
  });

  it("2.80: by who asked (user_id, project_id), both shown", async () => {
    const found = mine(await migrations(`?user_id=${h.users.admin}`, "2.80"));
    expect(found.map((m) => m.migration_type)).toEqual(["live-migration", "migration"]);
    expect(found[0]).toMatchObject({ user_id: h.users.admin, project_id: h.projects.admin });
    const ofDemo = mine(await migrations(`?project_id=${h.projects.demo}`, "2.80"));
    expect(ofDemo.map((m) => [m.migration_type, m.user_id])).toEqual([["resize", h.users.demo]]);
    expect(keysOf(ofDemo[0])).toEqual(
      keysOf(sample("os-migrations/v2.80/migrations-get.json").migrations[0]),
    );
  });

  it("400 for parameters outside the microversion's schema", async () => {
    expect((await list("?bogus=1", "2.59")).status).toBe(400);
    expect((await list("?changes-before=2020-01-01T00:00:00Z", "2.59")).status).toBe(400);
    expect((await list(`?user_id=${h.users.admin}`, "2.79")).status).toBe(400);
    expect((await list("?limit=-1", "2.59")).status).toBe(400);
    expect((await list("?limit=1&limit=2", "2.59")).status).toBe(400);
    expect((await list("?changes-since=yesterday", "2.59")).status).toBe(400);
  });
});

describe("2.59: newest first, in pages", () => {
  it("shows uuids and pages by limit and marker with a next link", async () => {
    const all = mine(await migrations("", "2.59"));
    expect(all.map((m) => m.migration_type)).toEqual(["live-migration", "migration", "resize"]);
    expect(keysOf(all[0])).toEqual(keysOf(sample("os-migrations/v2.59/migrations-get.json").migrations[0]));
    const r = await list(`?instance_uuid=${moved}&limit=1`, "2.59");
    expect(r.json.migrations.map((m: Body) => m.uuid)).toEqual([all[0].uuid]);
    expect(r.json.migrations_links).toEqual([
      {
        rel: "next",
        href: `${BASE}/os-migrations?instance_uuid=${moved}&limit=1&marker=${all[0].uuid}`,
      },
    ]);
    const next = await list(`?instance_uuid=${moved}&limit=1&marker=${all[0].uuid}`, "2.59");
    expect(next.json.migrations.map((m: Body) => m.uuid)).toEqual([all[1].uuid]);
    const last = await list(`?instance_uuid=${moved}&limit=1&marker=${all[1].uuid}`, "2.59");
    expect(last.json).toEqual({ migrations: [] });
    // limit 0 is an empty page; no limit: no link short of nova's max_limit
    expect((await list("?limit=0", "2.59")).json).toEqual({ migrations: [] });
    expect((await list("", "2.59")).json.migrations_links).toBeUndefined();
  });

  it("400 for a marker that names no migration", async () => {
    expectFault(await list("?marker=nope", "2.59"), 400, "Marker nope could not be found.");
  });

  it("changes-since (2.59) and changes-before (2.66) by when a record last changed", async () => {
    const [newest] = mine(await migrations("", "2.59"));
    // the live migration refused while the API waited: its record changed when it erred
    const changed = `${newest.updated_at}Z`;
    const since = mine(await migrations(`?changes-since=${changed}`, "2.59"));
    expect(since.map((m) => m.uuid)).toEqual([newest.uuid]);
    const before = mine(await migrations(`?changes-before=${changed}`, "2.66"));
    expect(before).toHaveLength(3);
    const earlier = mine(await migrations("?changes-before=2000-01-01T00:00:00", "2.66"));
    expect(earlier).toEqual([]);
    // a time with an offset is the same moment in UTC
    expect(mine(await migrations("?changes-since=2000-01-01T02:00:00%2B02:00", "2.59"))).toHaveLength(3);
    expectFault(
      await list("?changes-since=2020-01-02T00:00:00Z&changes-before=2020-01-01T00:00:00Z", "2.66"),
      400,
      "The value of changes-since must be less than or equal to changes-before.",
    );
  });
});

describe("policy", () => {
  it("refuses members (nova's project manager rule)", async () => {
    expectFault(
      await h.call({ url: "/os-migrations" }),
      403,
      "Policy doesn't allow os_compute_api:os-migrations:index to be performed.",
    );
  });

  it("lets a project manager list its own project's (2.80), without hosts; other projects are admin's", async () => {
    const token = await h.otherWithRole("manager");
    const as = (url: string) =>
      h.call({ url, as: null, version: "2.80", headers: { "x-auth-token": token } });
    const server = await h.activeServer({ as: "other", name: "managed" });
    await h.action(server, { resize: { flavorRef: SMALL } }, { as: "other" });
    await h.drain();
    const own = await as(`/os-migrations?project_id=${h.projects.other}`);
    expect(own.status, own.text).toBe(200);
    expect(own.json.migrations).toEqual([
      expect.objectContaining({
        instance_uuid: server,
        source_compute: null,
        source_node: null,
        dest_compute: null,
        dest_node: null,
        dest_host: null,
      }),
    ]);
    const refusal = "Policy doesn't allow os_compute_api:os-migrations:index:all_projects to be performed.";
    expectFault(await as("/os-migrations"), 403, refusal);
    expectFault(await as(`/os-migrations?project_id=${h.projects.demo}`), 403, refusal);
  });
});
