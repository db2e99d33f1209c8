/**
 * `/os-aggregates` through inject(): create, list, show, update, delete and the three
 * actions at the microversions where the view changes (2.41 uuid), nova's availability
 * zone rules (one zone per host, no empty zone, servers never moved between zones), the
 * 2.81 image cache request, admin-only policy and nova's faults for bad input.
 */
import os from "node:os";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  keysOf,
  sample,
} from "../../../test/compute-harness.js";

const HOST = os.hostname();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const MISSING_IMAGE = "00000000-0000-4000-8000-000000000000";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

const admin = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, body?: unknown, version?: string) =>
  h.call({ method, url, as: "admin", body, version });

async function create(name: string, zone?: string | null, version?: string): Promise<Body> {
  const aggregate: Record<string, unknown> = { name };
  if (zone !== undefined) aggregate.availability_zone = zone;
  const r = await admin("POST", "/os-aggregates", { aggregate }, version);
  expect(r.status, r.text).toBe(200);
  return r.json.aggregate;
}

const action = (id: number, body: unknown, version?: string) =>
  admin("POST", `/os-aggregates/${id}/action`, body, version);

async function addHost(id: number, host = HOST): Promise<Body> {
  const r = await action(id, { add_host: { host } });
  expect(r.status, r.text).toBe(200);
  return r.json.aggregate;
}

/** No servers and no aggregates: each test starts from the bootstrap state. */
beforeEach(async () => {
  const servers = await h.call({ url: "/servers?all_tenants=1", as: "admin" });
  for (const s of servers.json.servers as Body[]) await admin("DELETE", `/servers/${s.id}`);
  await h.drain();
  for (const a of (await admin("GET", "/os-aggregates")).json.aggregates as Body[]) {
    for (const host of a.hosts) await action(a.id, { remove_host: { host } });
    expect((await admin("DELETE", `/os-aggregates/${a.id}`)).status).toBe(200);
  }
});

describe("POST /os-aggregates", () => {
  it("answers 200 with nova's create view (no hosts, no metadata), uuid from 2.41", async () => {
    const old = await create("agg-create-old", "london", "2.40");
    expect(keysOf(old)).toEqual(keysOf(sample("os-aggregates/aggregate-post-resp.json").aggregate));
    expect(old).toMatchObject({
      name: "agg-create-old",
      availability_zone: "london",
      deleted: false,
      deleted_at: null,
      updated_at: null,
    });
    expect(old.id).toEqual(expect.any(Number));
    expect(old.created_at).toMatch(MICROS);

    const v241 = await create("agg-create-new", undefined, "2.41");
    expect(keysOf(v241)).toEqual(keysOf(sample("os-aggregates/v2.41/aggregate-post-resp.json").aggregate));
    expect(v241.uuid).toMatch(UUID);
    expect(v241.availability_zone).toBeNull();
    expect(v241.id).toBeGreaterThan(old.id);
  });

  it("puts the zone in the metadata; a null zone is no zone", async () => {
    const zoned = await create("agg-zoned", "az1");
    const shown = (await admin("GET", `/os-aggregates/${zoned.id}`)).json.aggregate;
    expect(shown.metadata).toEqual({ availability_zone: "az1" });
    const none = await create("agg-null-zone", null);
    expect((await admin("GET", `/os-aggregates/${none.id}`)).json.aggregate.metadata).toEqual({});
  });

  it("refuses a name in use with 409", async () => {
    await create("agg-dup");
    const r = await admin("POST", "/os-aggregates", { aggregate: { name: "agg-dup" } });
    expect(r.status).toBe(409);
    expect(r.json.conflictingRequest.message).toBe("Aggregate agg-dup already exists.");
  });

  it.each([
    [{ aggregate: {} }, "'name' is a required property"],
    [{ aggregate: { name: "" } }, "should be non-empty"],
    [{ aggregate: { name: " padded " } }, "Can not start or end with whitespace."],
    [
      { aggregate: { name: "a", availability_zone: "a:b" } },
      "Invalid input for field/attribute availability_zone.",
    ],
    [{ aggregate: { name: "a", hosts: [] } }, "Additional properties are not allowed"],
  ])("answers 400 for %j", async (body, message) => {
    const r = await admin("POST", "/os-aggregates", body);
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toContain(message);
  });

  it("strips the legacy /v2 names", async () => {
    const r = await h.call({
      method: "POST",
      url: "/compute/v2/os-aggregates",
      as: "admin",
      body: { aggregate: { name: "  agg-legacy ", availability_zone: " az-legacy " } },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.aggregate).toMatchObject({ name: "agg-legacy", availability_zone: "az-legacy" });
    expect(r.json.aggregate.uuid).toBeUndefined();
  });
});

describe("GET /os-aggregates and /os-aggregates/{id}", () => {
  it("lists and shows with hosts and metadata, uuid from 2.41", async () => {
    const made = await create("agg-list", "london", "2.41");
    await addHost(made.id);
    const list = (await admin("GET", "/os-aggregates", undefined, "2.1")).json.aggregates;
    expect(list).toHaveLength(1);
    expect(keysOf(list[0])).toEqual(
      keysOf(sample("os-aggregates/aggregates-list-get-resp.json").aggregates[0]),
    );
    expect(list[0]).toMatchObject({ hosts: [HOST], metadata: { availability_zone: "london" } });

    const shown = (await admin("GET", `/os-aggregates/${made.id}`, undefined, "2.81")).json.aggregate;
    expect(keysOf(shown)).toEqual(keysOf(sample("os-aggregates/v2.81/aggregates-get-resp.json").aggregate));
    expect(shown.uuid).toBe(made.uuid);
  });

  it("answers 404 for an unknown id and 400 for one that is not an integer", async () => {
    const missing = await admin("GET", "/os-aggregates/987654");
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.message).toBe("Aggregate 987654 could not be found.");
    const bad = await admin("GET", "/os-aggregates/abc");
    expect(bad.status).toBe(400);
    expect(bad.json.badRequest.message).toBe("Invalid input received: id must be an integer");
  });

  it("rejects unknown query parameters from 2.102 only", async () => {
    expect((await admin("GET", "/os-aggregates?foo=1", undefined, "2.101")).status).toBe(200);
    expect((await admin("GET", "/os-aggregates?foo=1", undefined, "2.102")).status).toBe(400);
  });
});

describe("PUT /os-aggregates/{id}", () => {
  it("renames and rezones, recording the update time", async () => {
    const made = await create("agg-update", "az1");
    const r = await admin("PUT", `/os-aggregates/${made.id}`, {
      aggregate: { name: "agg-renamed", availability_zone: "az2" },
    });
    expect(r.status, r.text).toBe(200);
    expect(keysOf(r.json.aggregate)).toEqual(
      keysOf(sample("os-aggregates/aggregate-update-post-resp.json").aggregate),
    );
    expect(r.json.aggregate).toMatchObject({
      name: "agg-renamed",
      availability_zone: "az2",
      metadata: { availability_zone: "az2" },
    });
    expect(r.json.aggregate.updated_at).toMatch(MICROS);
  });

  it("refuses an empty zone and a name in use, changing nothing", async () => {
    const made = await create("agg-keep", "az1");
    await create("agg-taken");
    const empty = await admin("PUT", `/os-aggregates/${made.id}`, {
      aggregate: { name: "agg-new-name", availability_zone: null },
    });
    expect(empty.status).toBe(400);
    expect(empty.json.badRequest.message).toBe(
      `Cannot update aggregate ${made.id}. Reason: Aggregate agg-new-name does not support empty named availability zone.`,
    );
    const taken = await admin("PUT", `/os-aggregates/${made.id}`, { aggregate: { name: "agg-taken" } });
    expect(taken.status).toBe(409);
    expect(taken.json.conflictingRequest.message).toBe("Aggregate agg-taken already exists.");
    const shown = (await admin("GET", `/os-aggregates/${made.id}`)).json.aggregate;
    expect(shown).toMatchObject({ name: "agg-keep", availability_zone: "az1" });
  });

  it("answers 400 to an empty update and 404 to an unknown aggregate", async () => {
    expect((await admin("PUT", "/os-aggregates/1", { aggregate: {} })).status).toBe(400);
    const r = await admin("PUT", "/os-aggregates/987654", { aggregate: { name: "x" } });
    expect(r.status).toBe(404);
    expect(r.json.itemNotFound.message).toBe("Aggregate 987654 could not be found.");
  });

  it("will not move a host that holds servers to another zone", async () => {
    const made = await create("agg-busy", "az1");
    await addHost(made.id);
    await h.activeServer({ name: "agg-busy-vm" });
    const r = await admin("PUT", `/os-aggregates/${made.id}`, { aggregate: { availability_zone: "az2" } });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(
      `Cannot update aggregate ${made.id}. Reason: One or more hosts contain instances in this zone.`,
    );
    // the same zone again moves nothing
    const same = await admin("PUT", `/os-aggregates/${made.id}`, { aggregate: { availability_zone: "az1" } });
    expect(same.status).toBe(200);
  });
});

describe("DELETE /os-aggregates/{id}", () => {
  it("deletes an empty aggregate (200, no body) and refuses one with hosts (400)", async () => {
    const made = await create("agg-delete");
    await addHost(made.id);
    const refused = await admin("DELETE", `/os-aggregates/${made.id}`);
    expect(refused.status).toBe(400);
    expect(refused.json.badRequest.message).toBe(
      `Cannot remove host from aggregate ${made.id}. Reason: Host aggregate is not empty.`,
    );
    await action(made.id, { remove_host: { host: HOST } });
    const deleted = await admin("DELETE", `/os-aggregates/${made.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.text).toBe("");
    expect((await admin("GET", `/os-aggregates/${made.id}`)).status).toBe(404);
    expect((await admin("DELETE", `/os-aggregates/${made.id}`)).status).toBe(404);
  });
});

describe("add_host and remove_host", () => {
  it("adds and removes a compute host, with nova's view at 2.1 and 2.41", async () => {
    const made = await create("agg-hosts", "london");
    const added = await action(made.id, { add_host: { host: HOST } }, "2.1");
    expect(added.status).toBe(200);
    expect(keysOf(added.json.aggregate)).toEqual(
      keysOf(sample("os-aggregates/aggregates-add-host-post-resp.json").aggregate),
    );
    expect(added.json.aggregate.hosts).toEqual([HOST]);
    const removed = await action(made.id, { remove_host: { host: HOST } }, "2.41");
    expect(removed.status).toBe(200);
    expect(keysOf(removed.json.aggregate)).toEqual(
      keysOf(sample("os-aggregates/v2.41/aggregates-remove-host-post-resp.json").aggregate),
    );
    expect(removed.json.aggregate.hosts).toEqual([]);
  });

  it("answers 404 for an unknown host or aggregate, 409 for a host already there", async () => {
    const made = await create("agg-404");
    const unknown = await action(made.id, { add_host: { host: "no-such-host" } });
    expect(unknown.status).toBe(404);
    expect(unknown.json.itemNotFound.message).toBe("Compute host no-such-host could not be found.");
    const noAggregate = await action(987654, { add_host: { host: HOST } });
    expect(noAggregate.status).toBe(404);
    expect(noAggregate.json.itemNotFound.message).toBe("Aggregate 987654 could not be found.");
    await addHost(made.id);
    const again = await action(made.id, { add_host: { host: HOST } });
    expect(again.status).toBe(409);
    expect(again.json.conflictingRequest.message).toBe(`Aggregate ${made.id} already has host ${HOST}.`);
  });

  it("words every remove_host 404 alike", async () => {
    const made = await create("agg-remove-404");
    for (const [id, host] of [
      [made.id, "no-such-host"],
      [987654, HOST],
      [made.id, HOST],
    ] as const) {
      const r = await action(id, { remove_host: { host } });
      expect(r.status).toBe(404);
      expect(r.json.itemNotFound.message).toBe(`Cannot remove host ${host} in aggregate ${id}`);
    }
  });

  it("keeps a host in one availability zone", async () => {
    const az1 = await create("agg-az1", "az1");
    const az2 = await create("agg-az2", "az2");
    const noZone = await create("agg-nozone");
    const sameZone = await create("agg-az1-too", "az1");
    await addHost(az1.id);
    const r = await action(az2.id, { add_host: { host: HOST } });
    expect(r.status).toBe(409);
    expect(r.json.conflictingRequest.message).toBe(
      `Cannot add host to aggregate ${az2.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`,
    );
    // an aggregate without a zone, or with the same zone, takes the host
    await addHost(noZone.id);
    await addHost(sameZone.id);
    // nor may an aggregate holding the host move to another zone
    const rezone = await action(noZone.id, { set_metadata: { metadata: { availability_zone: "az2" } } });
    expect(rezone.status).toBe(400);
    expect(rezone.json.badRequest.message).toBe(
      `Cannot update metadata of aggregate ${noZone.id}. Reason: One or more hosts already in availability zone(s) ['az1', 'az1'].`,
    );
  });

  it("refuses to move a host's servers to another zone, either way", async () => {
    await h.activeServer({ name: "agg-move-vm" });
    const zoned = await create("agg-move", "az1");
    const added = await action(zoned.id, { add_host: { host: HOST } });
    expect(added.status).toBe(409);
    expect(added.json.conflictingRequest.message).toBe(
      `Cannot add host to aggregate ${zoned.id}. Reason: The host cannot be added to the aggregate as the ` +
        "availability zone of the host would change from 'None' to 'az1' but the host already has 1 instance(s). " +
        "Changing the AZ of an existing instance is not supported by this action. Move the instances away from " +
        "this host then try again. If you need to move the instances between AZs then you can use " +
        "shelve_offload and unshelve to achieve this..",
    );
    // a zone-less aggregate changes nobody's zone
    const plain = await create("agg-plain");
    await addHost(plain.id);
    expect((await action(plain.id, { remove_host: { host: HOST } })).status).toBe(200);
  });

  it("refuses to take a host with servers out of its zone", async () => {
    const zoned = await create("agg-leave", "az1");
    await addHost(zoned.id);
    await h.activeServer({ name: "agg-leave-vm" });
    const r = await action(zoned.id, { remove_host: { host: HOST } });
    expect(r.status).toBe(409);
    expect(r.json.conflictingRequest.message).toContain(
      `Cannot remove host from aggregate ${zoned.id}. Reason: The host cannot be removed from the aggregate as ` +
        "the availability zone of the host would change from 'az1' to 'None' but the host already has 1 instance(s).",
    );
  });

  it("answers 400 for a host name nova's schema refuses", async () => {
    const made = await create("agg-bad-host");
    const r = await action(made.id, { add_host: { host: "bad host!" } });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toContain("Invalid input for field/attribute host.");
  });
});

describe("set_metadata", () => {
  it("sets and deletes keys, the zone among them", async () => {
    const made = await create("agg-meta", "london");
    const set = await action(made.id, { set_metadata: { metadata: { key: "value", other: "x" } } }, "2.41");
    expect(set.status).toBe(200);
    expect(keysOf(set.json.aggregate)).toEqual(
      keysOf(sample("os-aggregates/v2.41/aggregates-metadata-post-resp.json").aggregate),
    );
    expect(set.json.aggregate.metadata).toEqual({ availability_zone: "london", key: "value", other: "x" });
    expect(set.json.aggregate.updated_at).toMatch(MICROS);
    const unset = await action(made.id, {
      set_metadata: { metadata: { other: null, availability_zone: "paris" } },
    });
    expect(unset.json.aggregate).toMatchObject({
      availability_zone: "paris",
      metadata: { availability_zone: "paris", key: "value" },
    });
  });

  it("will not empty the zone, nor add a key that differs from one only in case", async () => {
    const made = await create("agg-meta-bad", "london");
    const empty = await action(made.id, { set_metadata: { metadata: { availability_zone: null } } });
    expect(empty.status).toBe(400);
    expect(empty.json.badRequest.message).toBe(
      `Cannot update metadata of aggregate ${made.id}. Reason: Aggregate agg-meta-bad does not support empty named availability zone.`,
    );
    await action(made.id, { set_metadata: { metadata: { Key: "a" } } });
    const clash = await action(made.id, { set_metadata: { metadata: { key: "b" } } });
    expect(clash.status).toBe(400);
    expect(clash.json.badRequest.message).toBe(`Aggregate ${made.id} already contain metadata key Key.`);
  });

  it("answers 400 for keys nova's schema refuses and 404 for an unknown aggregate", async () => {
    const made = await create("agg-meta-schema");
    expect((await action(made.id, { set_metadata: { metadata: { "bad/key": "x" } } })).status).toBe(400);
    expect((await action(made.id, { set_metadata: {} })).status).toBe(400);
    expect((await action(987654, { set_metadata: { metadata: { a: "b" } } })).status).toBe(404);
  });

  it("answers 400 to an unknown action", async () => {
    const made = await create("agg-no-action");
    const r = await action(made.id, { fly: {} });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe("There is no such action: fly");
  });
});

describe("POST /os-aggregates/{id}/images (2.81)", () => {
  it("accepts existing images with 202 and no body", async () => {
    const made = await create("agg-images");
    const r = await h.call({
      method: "POST",
      url: `/os-aggregates/${made.id}/images`,
      as: "admin",
      version: "2.81",
      body: { cache: [{ id: IMAGE_ID }] },
    });
    expect(r.status, r.text).toBe(202);
    expect(r.text).toBe("");
  });

  it("is not there before 2.81", async () => {
    const made = await create("agg-images-old");
    const r = await h.call({
      method: "POST",
      url: `/os-aggregates/${made.id}/images`,
      as: "admin",
      version: "2.80",
      body: { cache: [{ id: IMAGE_ID }] },
    });
    expect(r.status).toBe(404);
  });

  it.each([
    [[{ id: IMAGE_ID }, { id: IMAGE_ID }], "Duplicate images in request"],
    [[{ id: MISSING_IMAGE }], `Image ${MISSING_IMAGE} could not be found.`],
    [[], "[] should be non-empty"],
  ])("answers 400 for %j", async (cache, message) => {
    const made = await create(`agg-images-${cache.length}-${message.length}`);
    const r = await h.call({
      method: "POST",
      url: `/os-aggregates/${made.id}/images`,
      as: "admin",
      version: "2.81",
      body: { cache },
    });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toContain(message);
  });

  it("answers 404 for an unknown aggregate", async () => {
    const r = await h.call({
      method: "POST",
      url: "/os-aggregates/987654/images",
      as: "admin",
      version: "2.81",
      body: { cache: [{ id: IMAGE_ID }] },
    });
    expect(r.status).toBe(404);
  });
});

describe("policy", () => {
  it("is admin only, for every route", async () => {
    const made = await create("agg-policy");
    const cases: Array<[string, "GET" | "POST" | "PUT" | "DELETE", string, unknown, string?]> = [
      ["index", "GET", "/os-aggregates", undefined],
      ["create", "POST", "/os-aggregates", { aggregate: { name: "x" } }],
      ["show", "GET", `/os-aggregates/${made.id}`, undefined],
      ["update", "PUT", `/os-aggregates/${made.id}`, { aggregate: { name: "x" } }],
      ["delete", "DELETE", `/os-aggregates/${made.id}`, undefined],
      ["add_host", "POST", `/os-aggregates/${made.id}/action`, { add_host: { host: HOST } }],
      ["remove_host", "POST", `/os-aggregates/${made.id}/action`, { remove_host: { host: HOST } }],
      ["set_metadata", "POST", `/os-aggregates/${made.id}/action`, { set_metadata: { metadata: {} } }],
    ];
    for (const [name, method, url, body] of cases) {
      const r = await h.call({ method, url, body, as: "demo" });
      expect(r.status, name).toBe(403);
      expect(r.json.forbidden.message).toBe(
        `Policy doesn't allow os_compute_api:os-aggregates:${name} to be performed.`,
      );
    }
    const images = await h.call({
      method: "POST",
      url: `/os-aggregates/${made.id}/images`,
      as: "demo",
      version: "2.81",
      body: { cache: [{ id: IMAGE_ID }] },
    });
    expect(images.status).toBe(403);
    expect(images.json.forbidden.message).toBe(
      "Policy doesn't allow compute:aggregates:images to be performed.",
    );
  });
});
