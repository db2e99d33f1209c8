/**
 * `/os-simple-tenant-usage` through inject(): usage arithmetic against hand-computed
 * figures (servers with known lifetimes, a deleted one among them), the lifetime of a
 * real server booted and deleted through the API, the 2.40 paging and links, nova's date
 * formats and errors, and the policies (list admin-only, show for the project's readers).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, keysOf, sample } from "../../../test/compute-harness.js";
import { parseUsageTime } from "./simple-tenant-usage.js";

const BASE = "http://localhost:80/compute/v2.1";
const DAY = "start=2020-01-01T00:00:00&end=2020-01-02T00:00:00";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

interface Lived {
  project: string;
  name: string;
  flavor: { name: string; vcpus: number; memory_mb: number; root_gb: number; ephemeral_gb: number };
  launched: string | null;
  terminated?: string;
}

/** A server row with a known life, as the API would have left it (deleted once terminated). */
async function lived(spec: Lived): Promise<string> {
  const uuid = randomUUID();
  const deleted = spec.terminated !== undefined;
  await h.nimbus.db
    .insertInto("instances")
    .values({
      uuid,
      project_id: spec.project,
      user_id: "u",
      display_name: spec.name,
      hostname: spec.name,
      flavor_id: "x",
      flavor: JSON.stringify({ flavorid: "x", swap: 0, extra_specs: {}, ...spec.flavor }),
      vcpus: spec.flavor.vcpus,
      memory_mb: spec.flavor.memory_mb,
      vm_state: deleted ? "deleted" : "active",
      reservation_id: "r-usage",
      launched_at: spec.launched,
      terminated_at: spec.terminated ?? null,
      deleted_at: spec.terminated ?? null,
      deleted: deleted ? 1 : 0,
      created_at: spec.launched ?? "2020-01-01T00:00:00.000Z",
      updated_at: spec.terminated ?? spec.launched ?? "2020-01-01T00:00:00.000Z",
    })
    .execute();
  return uuid;
}

const small = { name: "usage.small", vcpus: 2, memory_mb: 2048, root_gb: 20, ephemeral_gb: 0 };
const withEphemeral = { name: "usage.eph", vcpus: 1, memory_mb: 512, root_gb: 1, ephemeral_gb: 1 };
const large = { name: "usage.large", vcpus: 4, memory_mb: 8192, root_gb: 80, ephemeral_gb: 0 };

const ids: Record<string, string> = {};
beforeAll(async () => {
  const demo = h.projects.demo;
  // 24 h in the day: launched the day before, still running
  ids.running = await lived({
    project: demo,
    name: "running",
    flavor: small,
    launched: "2019-12-31T12:00:00.000Z",
  });
  // 1.5 h in the day, then deleted
  ids.deleted = await lived({
    project: demo,
    name: "deleted",
    flavor: withEphemeral,
    launched: "2020-01-01T06:00:00.000Z",
    terminated: "2020-01-01T07:30:00.000Z",
  });
  // outside the day: ended before it, launched at its end, never launched
  await lived({
    project: demo,
    name: "before",
    flavor: small,
    launched: "2019-12-30T00:00:00.000Z",
    terminated: "2019-12-31T23:59:59.000Z",
  });
  await lived({ project: demo, name: "after", flavor: small, launched: "2020-01-02T00:00:00.000Z" });
  await lived({ project: demo, name: "never", flavor: small, launched: null });
  // another project: 6 h
  ids.other = await lived({
    project: h.projects.other,
    name: "other",
    flavor: large,
    launched: "2020-01-01T12:00:00.000Z",
    terminated: "2020-01-01T18:00:00.000Z",
  });
});

async function get(url: string, version = "2.1", as: "admin" | "demo" | "other" = "admin"): Promise<Body> {
  const r = await h.call({ url, version, as });
  expect(r.status, r.text).toBe(200);
  return r.json;
}

describe("usage arithmetic", () => {
  it("sums hours and flavor sizes per project, deleted servers included", async () => {
    const body = await get(`/os-simple-tenant-usage/${h.projects.demo}?${DAY}`);
    const usage = body.tenant_usage;
    // running: 24 h of 2 vCPUs, 2048 MB, 20 GB; deleted: 1.5 h of 1 vCPU, 512 MB, 1+1 GB
    expect(usage).toMatchObject({
      tenant_id: h.projects.demo,
      start: "2020-01-01T00:00:00.000000",
      stop: "2020-01-02T00:00:00.000000",
      total_hours: 25.5,
      total_vcpus_usage: 49.5,
      total_memory_mb_usage: 49920,
      total_local_gb_usage: 483,
    });
    expect(keysOf(usage)).toEqual(
      keysOf(sample("os-simple-tenant-usage/simple-tenant-usage-get-specific.json").tenant_usage),
    );
    const byName = Object.fromEntries(usage.server_usages.map((s: Body) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(["deleted", "running"]);
    expect(byName.deleted).toEqual({
      hours: 1.5,
      flavor: "usage.eph",
      instance_id: ids.deleted,
      name: "deleted",
      tenant_id: h.projects.demo,
      memory_mb: 512,
      local_gb: 2,
      vcpus: 1,
      started_at: "2020-01-01T06:00:00.000000",
      ended_at: "2020-01-01T07:30:00.000000",
      state: "terminated",
      uptime: 5400,
    });
    expect(byName.running).toMatchObject({ hours: 24, state: "active", ended_at: null, local_gb: 20 });
    // still running: up since launch, to now
    expect(byName.running.uptime).toBeGreaterThan(
      (Date.now() - Date.parse("2019-12-31T12:00:00Z")) / 1000 - 5,
    );
  });

  it("keeps microseconds in the period", async () => {
    const usage = (
      await get(
        `/os-simple-tenant-usage/${h.projects.demo}?start=2020-01-01T00:00:00.5&end=2020-01-02T00:00:00`,
      )
    ).tenant_usage;
    expect(usage.start).toBe("2020-01-01T00:00:00.500000");
    // the running server loses half a second of its 24 hours
    expect(usage.total_hours).toBe((86_400 - 0.5) / 3600 + 1.5);
  });

  it("lists every project's usage to admins, with server usages when detailed", async () => {
    const plain = (await get(`/os-simple-tenant-usage?${DAY}`)).tenant_usages;
    const projects = [h.projects.demo, h.projects.other].sort();
    expect(plain.map((t: Body) => t.tenant_id)).toEqual(projects);
    expect(keysOf(plain[0])).toEqual(
      keysOf(sample("os-simple-tenant-usage/simple-tenant-usage-get.json").tenant_usages[0]),
    );
    const other = plain.find((t: Body) => t.tenant_id === h.projects.other);
    expect(other).toMatchObject({
      total_hours: 6,
      total_vcpus_usage: 24,
      total_memory_mb_usage: 49152,
      total_local_gb_usage: 480,
    });
    const detailed = (await get(`/os-simple-tenant-usage?${DAY}&detailed=1`)).tenant_usages;
    expect(detailed.map((t: Body) => t.server_usages.length)).toEqual(
      projects.map((p) => (p === h.projects.demo ? 2 : 1)),
    );
  });

  it("answers an empty usage for a project with none", async () => {
    expect(await get(`/os-simple-tenant-usage/${h.projects.admin}?${DAY}`)).toEqual({ tenant_usage: {} });
  });

  it("takes a period left out as the instant now, as nova does: never a 400", async () => {
    // the servers alive now show, over a period of no length
    for (const usage of (await get("/os-simple-tenant-usage")).tenant_usages) {
      expect(usage.total_hours).toBeLessThan(0.001);
      expect(usage.start <= usage.stop).toBe(true);
    }
    expect(await get(`/os-simple-tenant-usage/${h.projects.admin}`)).toEqual({ tenant_usage: {} });
  });

  it("ends the period at the latest now", async () => {
    const usage = (
      await get(
        `/os-simple-tenant-usage/${h.projects.demo}?start=2020-01-01T00:00:00&end=2999-01-01T00:00:00`,
      )
    ).tenant_usage;
    expect(Math.abs(Date.parse(`${usage.stop.slice(0, 23)}Z`) - Date.now())).toBeLessThan(60_000);
  });

  it("counts a real server's life: booted, then deleted", async () => {
    const from = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    const id = await h.activeServer({ name: "short-lived" });
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    const row = await h.nimbus.db
      .selectFrom("instances")
      .selectAll()
      .where("uuid", "=", id)
      .executeTakeFirstOrThrow();
    expect(row.deleted).toBe(1);
    const usage = (await get(`/os-simple-tenant-usage/${h.projects.demo}?start=${from}`, "2.1", "demo"))
      .tenant_usage;
    const mine = usage.server_usages.find((s: Body) => s.instance_id === id);
    const lifeMs = Date.parse(row.terminated_at!) - Date.parse(row.launched_at!);
    expect(mine).toMatchObject({
      state: "terminated",
      flavor: "m1.tiny",
      vcpus: 1,
      memory_mb: 512,
      local_gb: 1,
    });
    expect(mine.hours).toBe((lifeMs * 1000) / 1e6 / 3600);
    expect(mine.started_at).toBe(`${row.launched_at!.slice(0, 23)}000`);
  });
});

describe("paging (2.40)", () => {
  it("pages by server in project and uuid order, with next links", async () => {
    const first = await get(`/os-simple-tenant-usage?${DAY}&detailed=1&limit=1`, "2.40");
    const [tenant] = first.tenant_usages;
    const marker = tenant.server_usages[0].instance_id;
    expect(first.tenant_usages_links).toEqual([
      {
        href: `${BASE}/os-simple-tenant-usage?detailed=1&end=2020-01-02T00%3A00%3A00&limit=1&marker=${marker}&start=2020-01-01T00%3A00%3A00`,
        rel: "next",
      },
    ]);
    const seen = [marker];
    let next = marker;
    for (;;) {
      const page = await get(`/os-simple-tenant-usage?${DAY}&detailed=1&limit=1&marker=${next}`, "2.40");
      if (page.tenant_usages.length === 0) break;
      next = page.tenant_usages[0].server_usages[0].instance_id;
      seen.push(next);
    }
    expect(seen.sort()).toEqual([ids.running, ids.deleted, ids.other].sort());
  });

  it("pages one project's usage under its own path", async () => {
    const page = await get(`/os-simple-tenant-usage/${h.projects.demo}?${DAY}&limit=1`, "2.40");
    expect(page.tenant_usage.server_usages).toHaveLength(1);
    expect(page.tenant_usage_links[0].href).toMatch(
      new RegExp(`^${BASE}/os-simple-tenant-usage/${h.projects.demo}\\?end=.*&limit=1&marker=`),
    );
    // without a full page there is no link
    expect(await get(`/os-simple-tenant-usage/${h.projects.demo}?${DAY}&limit=5`, "2.40")).not.toHaveProperty(
      "tenant_usage_links",
    );
    // before 2.40 limit is not a parameter
    const old = await get(`/os-simple-tenant-usage/${h.projects.demo}?${DAY}&limit=1`, "2.39");
    expect(old.tenant_usage.server_usages).toHaveLength(2);
    expect(old).not.toHaveProperty("tenant_usage_links");
  });

  it("refuses an unknown marker", async () => {
    const missing = randomUUID();
    const r = await h.call({
      url: `/os-simple-tenant-usage?${DAY}&marker=${missing}`,
      as: "admin",
      version: "2.40",
    });
    expect(r.json).toEqual({ badRequest: { code: 400, message: `Marker ${missing} could not be found.` } });
  });
});

describe("bad input", () => {
  const bad = async (query: string, message: string) => {
    const r = await h.call({ url: `/os-simple-tenant-usage?${query}`, as: "admin" });
    expect(r.json, query).toEqual({ badRequest: { code: 400, message } });
  };
  const INVALID = "Invalid datetime string: Datetime is in invalid format";

  it("refuses times that are not in nova's formats", async () => {
    await bad("start=yesterday", INVALID);
    await bad("start=2020-02-30T00:00:00", INVALID);
    await bad("start=2020-01-01T00:00:00Z", INVALID);
    await bad("start=2020-01-01", INVALID);
    await bad("end=2020-01-01T24:00:00", INVALID);
    await bad("end=2020-01-01 00:00:00", INVALID);
  });

  it("refuses a period that does not start before it ends", async () => {
    const message = "Invalid start time. The start time cannot occur after the end time.";
    await bad("start=2020-01-02T00:00:00&end=2020-01-01T00:00:00", message);
    await bad("start=2020-01-01T00:00:00&end=2020-01-01T00:00:00", message);
    // no end is now: a future start is after it
    await bad("start=2999-01-01T00:00:00", message);
  });

  it("takes no unknown parameters from 2.75", async () => {
    expect(
      (await h.call({ url: `/os-simple-tenant-usage?${DAY}&x=1`, as: "admin", version: "2.74" })).status,
    ).toBe(200);
    expect(
      (await h.call({ url: `/os-simple-tenant-usage?${DAY}&x=1`, as: "admin", version: "2.75" })).status,
    ).toBe(400);
  });

  it("reads times as Python's strptime does", () => {
    expect(parseUsageTime("2020-01-01T00:00:00")).toBe(Date.UTC(2020, 0, 1) * 1000);
    expect(parseUsageTime("2020-1-2t3:4:5")).toBe(Date.UTC(2020, 0, 2, 3, 4, 5) * 1000);
    expect(parseUsageTime("2020-01-01 00:00:00.000001")).toBe(Date.UTC(2020, 0, 1) * 1000 + 1);
    expect(parseUsageTime("2016-10-12 18:22:04.868106")).toBe(
      Date.UTC(2016, 9, 12, 18, 22, 4) * 1000 + 868_106,
    );
    expect(parseUsageTime("2020-02-29T00:00:00")).toBe(Date.UTC(2020, 1, 29) * 1000);
    expect(parseUsageTime("2019-02-29T00:00:00")).toBeUndefined();
    expect(parseUsageTime("2020-01-01T00:00:60")).toBeUndefined();
    expect(parseUsageTime("2020-01-01T00:00:00.1234567")).toBeUndefined();
    expect(parseUsageTime("0000-01-01T00:00:00")).toBeUndefined();
  });
});

describe("policy", () => {
  it("lists all projects to admins only", async () => {
    const r = await h.call({ url: `/os-simple-tenant-usage?${DAY}` });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.",
    );
  });

  it("shows a project's usage to its members, not to another project's", async () => {
    const own = await get(`/os-simple-tenant-usage/${h.projects.demo}?${DAY}`, "2.1", "demo");
    expect(own.tenant_usage.total_hours).toBe(25.5);
    const r = await h.call({ url: `/os-simple-tenant-usage/${h.projects.demo}?${DAY}`, as: "other" });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-simple-tenant-usage:show to be performed.",
    );
  });
});
