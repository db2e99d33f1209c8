/**
 * The sub-resources of a server through inject(): ips, metadata, tags (2.26+) and the
 * os-instance-actions audit trail, with nova's statuses, bodies, state rules and scoping.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  type Response,
  sample,
} from "../../../test/compute-harness.js";

const BASE = "http://localhost:80/compute";
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

let h: ComputeHarness;
let active: string;
let failed: string;
let foreign: string;
beforeAll(async () => {
  h = await computeHarness();
  active = (await h.createServer({ name: "res", server: { metadata: { a: "1" } } })).id;
  failed = (
    await h.createServer({
      name: "res-nimbus-fake-fail",
      version: "2.52",
      server: { tags: ["t1"], networks: "auto" },
    })
  ).id;
  foreign = (await h.createServer({ name: "res-other", as: "other" })).id;
  await h.drain();
});
afterAll(async () => h.close());

function expectConflict(r: Response, message: string) {
  expect(r.status).toBe(409);
  expect(r.json).toEqual({ conflictingRequest: { code: 409, message } });
}

describe("GET /servers/{id}/ips", () => {
  it("lists addresses by network, without the OS-EXT-IPS attributes", async () => {
    const [v4, v6] = (await h.show(active)).addresses.private.map((a: { addr: string }) => a.addr);
    const expected = [
      { version: 4, addr: v4 },
      { version: 6, addr: v6 },
    ];
    const r = await h.call({ url: `/servers/${active}/ips` });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ addresses: { private: expected } });
    const one = await h.call({ url: `/servers/${active}/ips/private` });
    expect(one.status).toBe(200);
    expect(one.json).toEqual({ private: expected });
  });

  it("answers 404 for a network the server is not on", async () => {
    const r = await h.call({ url: `/servers/${active}/ips/public` });
    expect(r.status).toBe(404);
    expect(r.json).toEqual({
      itemNotFound: { code: 404, message: "Instance is not a member of specified network" },
    });
  });

  it("is empty for a server without networks and 404 for another project's server", async () => {
    const none = await h.activeServer({ name: "res-none", version: "2.37", server: { networks: "none" } });
    expect((await h.call({ url: `/servers/${none}/ips` })).json).toEqual({ addresses: {} });
    expect((await h.call({ url: `/servers/${foreign}/ips` })).status).toBe(404);
    expect((await h.call({ url: `/servers/${foreign}/ips/private` })).status).toBe(404);
  });
});

describe("/servers/{id}/metadata", () => {
  const url = (suffix = "") => `/servers/${active}/metadata${suffix}`;

  it("creates, merges, replaces, shows, updates and deletes items", async () => {
    expect((await h.call({ url: url() })).json).toEqual({ metadata: { a: "1" } });

    const merged = await h.call({ method: "POST", url: url(), body: { metadata: { b: "2", a: "one" } } });
    expect(merged.status).toBe(200);
    expect(merged.json).toEqual({ metadata: { a: "one", b: "2" } });

    const replaced = await h.call({ method: "PUT", url: url(), body: { metadata: { c: "3" } } });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toEqual({ metadata: { c: "3" } });
    expect((await h.show(active)).metadata).toEqual({ c: "3" });

    const item = await h.call({ url: url("/c") });
    expect(item.status).toBe(200);
    expect(item.json).toEqual({ meta: { c: "3" } });

    const set = await h.call({ method: "PUT", url: url("/d"), body: { meta: { d: "4" } } });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ meta: { d: "4" } });
    expect((await h.call({ url: url() })).json).toEqual({ metadata: { c: "3", d: "4" } });

    const deleted = await h.call({ method: "DELETE", url: url("/c") });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe("");
    expect((await h.call({ url: url() })).json).toEqual({ metadata: { d: "4" } });
  });

  it("answers 404 for a missing item (show and delete)", async () => {
    const missing = { itemNotFound: { code: 404, message: "Metadata item was not found" } };
    const show = await h.call({ url: url("/nope") });
    expect(show.status).toBe(404);
    expect(show.json).toEqual(missing);
    const del = await h.call({ method: "DELETE", url: url("/nope") });
    expect(del.status).toBe(404);
    expect(del.json).toEqual(missing);
  });

  it("answers 400 when the body's key is not the URL's, for two keys, and for non-string values", async () => {
    const mismatch = await h.call({ method: "PUT", url: url("/x"), body: { meta: { y: "1" } } });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json.badRequest.message).toBe("Request body and URI mismatch");
    expect((await h.call({ method: "PUT", url: url("/x"), body: { meta: { x: "1", z: "2" } } })).status).toBe(
      400,
    );
    expect((await h.call({ method: "POST", url: url(), body: { metadata: { x: 1 } } })).status).toBe(400);
    expect(
      (await h.call({ method: "POST", url: url(), body: { metadata: { ["k".repeat(256)]: "v" } } })).status,
    ).toBe(400);
  });

  it("answers 403 past the metadata_items quota", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, "v"]));
    const r = await h.call({ method: "PUT", url: url(), body: { metadata } });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      forbidden: { code: 403, message: "Maximum number of metadata items exceeds 128" },
    });
  });

  it("refuses changes in a state nova does not allow, with nova's action names", async () => {
    expectConflict(
      await h.call({ method: "POST", url: `/servers/${failed}/metadata`, body: { metadata: { a: "b" } } }),
      `Cannot 'update metadata' instance ${failed} while it is in vm_state error`,
    );
    expectConflict(
      await h.call({ method: "PUT", url: `/servers/${failed}/metadata/a`, body: { meta: { a: "b" } } }),
      `Cannot 'update metadata' instance ${failed} while it is in vm_state error`,
    );
    // reading is always allowed
    expect((await h.call({ url: `/servers/${failed}/metadata` })).status).toBe(200);
  });

  it("refuses a delete in a wrong state with nova's 'delete metadata'", async () => {
    const id = await h.activeServer({ name: "res-meta-error", server: { metadata: { k: "v" } } });
    expect((await h.action(id, { "os-resetState": { state: "error" } }, { as: "admin" })).status).toBe(202);
    expectConflict(
      await h.call({ method: "DELETE", url: `/servers/${id}/metadata/k` }),
      `Cannot 'delete metadata' instance ${id} while it is in vm_state error`,
    );
  });

  it("answers 404 for another project's server", async () => {
    for (const [method, suffix, body] of [
      ["GET", "", undefined],
      ["GET", "/a", undefined],
      ["POST", "", { metadata: { a: "b" } }],
      ["PUT", "", { metadata: { a: "b" } }],
      ["PUT", "/a", { meta: { a: "b" } }],
      ["DELETE", "/a", undefined],
    ] as const) {
      const r = await h.call({ method, url: `/servers/${foreign}/metadata${suffix}`, body });
      expect(r.status).toBe(404);
      expect(r.json.itemNotFound.message).toBe(`Instance ${foreign} could not be found.`);
    }
  });
});

describe("/servers/{id}/tags", () => {
  const url = (suffix = "") => `/servers/${active}/tags${suffix}`;
  const v = "2.26";

  it("is not routed before 2.26", async () => {
    for (const [method, suffix] of [
      ["GET", ""],
      ["PUT", "/a"],
      ["GET", "/a"],
      ["DELETE", "/a"],
      ["DELETE", ""],
    ] as const) {
      const r = await h.call({ method, url: url(suffix), version: "2.25" });
      expect(r.status).toBe(404);
      expect(r.json).toEqual({ itemNotFound: { code: 404, message: "The resource could not be found." } });
    }
  });

  it("adds a tag with 201 and Location, then 204 when it exists", async () => {
    expect((await h.call({ url: url(), version: v })).json).toEqual({ tags: [] });
    const added = await h.call({ method: "PUT", url: url("/blue"), version: v });
    expect(added.status).toBe(201);
    expect(added.text).toBe("");
    expect(added.headers.location).toBe(`${BASE}/v2.1/servers/${active}/tags/blue`);
    const again = await h.call({ method: "PUT", url: url("/blue"), version: v });
    expect(again.status).toBe(204);
    expect(again.text).toBe("");
    expect((await h.call({ url: url(), version: v })).json).toEqual({ tags: ["blue"] });
    expect((await h.show(active, { version: v })).tags).toEqual(["blue"]);
  });

  it("answers GET /tags/{tag} with 204 or 404, without a body on success", async () => {
    const present = await h.call({ url: url("/blue"), version: v });
    expect(present.status).toBe(204);
    expect(present.text).toBe("");
    const absent = await h.call({ url: url("/green"), version: v });
    expect(absent.status).toBe(404);
    expect(absent.json.itemNotFound.code).toBe(404);
  });

  it("replaces all tags with PUT /tags and removes them with DELETE", async () => {
    const r = await h.call({
      method: "PUT",
      url: url(),
      version: v,
      body: { tags: ["red", "green", "red"] },
    });
    expect(r.status).toBe(200);
    expect([...r.json.tags].sort()).toEqual(["green", "red"]);
    expect([...(await h.call({ url: url(), version: v })).json.tags].sort()).toEqual(["green", "red"]);

    const one = await h.call({ method: "DELETE", url: url("/red"), version: v });
    expect(one.status).toBe(204);
    expect((await h.call({ url: url(), version: v })).json).toEqual({ tags: ["green"] });
    expect((await h.call({ method: "DELETE", url: url("/red"), version: v })).status).toBe(404);

    const all = await h.call({ method: "DELETE", url: url(), version: v });
    expect(all.status).toBe(204);
    expect((await h.call({ url: url(), version: v })).json).toEqual({ tags: [] });
  });

  it("answers 400 for an invalid tag and past 50 tags", async () => {
    expect((await h.call({ method: "PUT", url: url("/a,b"), version: v })).status).toBe(400);
    expect((await h.call({ method: "PUT", url: url(), version: v, body: { tags: ["a/b"] } })).status).toBe(
      400,
    );
    const fifty = Array.from({ length: 50 }, (_, i) => `t${i}`);
    expect((await h.call({ method: "PUT", url: url(), version: v, body: { tags: fifty } })).status).toBe(200);
    const more = await h.call({ method: "PUT", url: url("/one-too-many"), version: v });
    expect(more.status).toBe(400);
    expect(more.json.badRequest.message).toBe("The number of tags exceeded the per-server limit 50");
    expect(
      (await h.call({ method: "PUT", url: url(), version: v, body: { tags: [...fifty, "x"] } })).status,
    ).toBe(400);
    expect((await h.call({ method: "DELETE", url: url(), version: v })).status).toBe(204);
  });

  it.each([
    ["PUT", "/t2", "update tag", undefined],
    ["PUT", "", "update tags", { tags: ["t2"] }],
    ["DELETE", "/t1", "delete tag", undefined],
    ["DELETE", "", "delete tags", undefined],
  ] as const)(
    "refuses %s /tags%s on a server in ERROR: Cannot '%s'",
    async (method, suffix, action, body) => {
      expectConflict(
        await h.call({ method, url: `/servers/${failed}/tags${suffix}`, version: v, body }),
        `Cannot '${action}' instance ${failed} while it is in vm_state error`,
      );
      expect((await h.call({ url: `/servers/${failed}/tags`, version: v })).json).toEqual({ tags: ["t1"] });
      expect((await h.call({ url: `/servers/${failed}/tags/t1`, version: v })).status).toBe(204);
    },
  );

  it("answers 404 for another project's server", async () => {
    expect((await h.call({ url: `/servers/${foreign}/tags`, version: v })).status).toBe(404);
    expect((await h.call({ method: "PUT", url: `/servers/${foreign}/tags/x`, version: v })).status).toBe(404);
    expect((await h.call({ url: `/servers/${foreign}/tags/x`, version: v })).status).toBe(404);
  });
});

describe("/servers/{id}/os-instance-actions", () => {
  let id: string;
  let createRequestId: string;
  let stopRequestId: string;

  beforeAll(async () => {
    const created = await h.createServer({ name: "audit" });
    id = created.id;
    createRequestId = String(created.response.headers["x-openstack-request-id"]);
    await h.drain();
    const stop = await h.action(id, { "os-stop": null });
    stopRequestId = String(stop.headers["x-openstack-request-id"]);
    await h.drain();
    await h.action(id, { "os-start": null });
    await h.drain();
    await h.action(id, { reboot: { type: "SOFT" } });
    await h.drain();
    await h.action(id, { lock: null });
    await h.action(id, { unlock: null });
  });

  const list = (options: { version?: string; as?: "demo" | "admin"; query?: string } = {}) =>
    h.call({
      url: `/servers/${id}/os-instance-actions${options.query ? `?${options.query}` : ""}`,
      version: options.version,
      as: options.as,
    });

  it("lists the actions newest first, with the request id of the call that started them", async () => {
    const r = await list();
    expect(r.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: test bodies
    expect(r.json.instanceActions.map((a: any) => a.action)).toEqual([
      "unlock",
      "lock",
      "reboot",
      "start",
      "stop",
      "create",
    ]);
    const create = r.json.instanceActions.at(-1);
    expect(create).toEqual({
      action: "create",
      instance_uuid: id,
      message: null,
      project_id: h.projects.demo,
      request_id: createRequestId,
      start_time: expect.stringMatching(MICROS),
      user_id: h.users.demo,
    });
    expect(r.json.instanceActions.at(-2).request_id).toBe(stopRequestId);
    expect(keysOf(create)).toEqual(
      keysOf(sample("os-instance-actions/instance-actions-list-resp.json").instanceActions[0]),
    );
    expect(r.json).not.toHaveProperty("links");
  });

  it("adds updated_at from 2.58", async () => {
    const r = await list({ version: "2.58" });
    const create = r.json.instanceActions.at(-1);
    expect(keysOf(create)).toEqual(
      keysOf(sample("os-instance-actions/v2.58/instance-actions-list-resp.json").instanceActions[0]),
    );
    expect(create.updated_at).toMatch(MICROS);
  });

  it("shows events with their results: to admin always (with traceback), to members from 2.51", async () => {
    const show = (as: "demo" | "admin", version?: string) =>
      h.call({ url: `/servers/${id}/os-instance-actions/${createRequestId}`, as, version });

    const admin = await show("admin");
    expect(admin.status).toBe(200);
    expect(admin.json.instanceAction).toMatchObject({
      action: "create",
      request_id: createRequestId,
      instance_uuid: id,
    });
    expect(admin.json.instanceAction.events).toEqual([
      {
        event: "compute__do_build_and_run_instance",
        start_time: expect.stringMatching(MICROS),
        finish_time: expect.stringMatching(MICROS),
        result: "Success",
        traceback: null,
      },
    ]);

    expect((await show("demo", "2.50")).json.instanceAction).not.toHaveProperty("events");
    const member = await show("demo", "2.51");
    expect(member.json.instanceAction.events).toEqual([
      {
        event: "compute__do_build_and_run_instance",
        start_time: expect.stringMatching(MICROS),
        finish_time: expect.stringMatching(MICROS),
        result: "Success",
      },
    ]);

    const hashed = await show("demo", "2.62");
    expect(hashed.json.instanceAction.events[0].hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(hashed.json.instanceAction.events[0]).not.toHaveProperty("host");
    const adminHost = await show("admin", "2.62");
    expect(adminHost.json.instanceAction.events[0].host).toEqual(expect.any(String));
    expect(adminHost.json.instanceAction.events[0].hostId).toBe(hashed.json.instanceAction.events[0].hostId);

    const details = await show("admin", "2.84");
    expect(details.json.instanceAction.events[0]).toHaveProperty("details", null);
  });

  it("names each action's event as nova does", async () => {
    const actions = (await list()).json.instanceActions;
    const events = async (request: string) =>
      (
        await h.call({ url: `/servers/${id}/os-instance-actions/${request}`, as: "admin" })
      ).json.instanceAction.events.map((e: { event: string; result: string }) => [e.event, e.result]);
    // biome-ignore lint/suspicious/noExplicitAny: test bodies
    const byName = (name: string) => actions.find((a: any) => a.action === name).request_id;
    expect(await events(byName("stop"))).toEqual([["compute_stop_instance", "Success"]]);
    expect(await events(byName("start"))).toEqual([["compute_start_instance", "Success"]]);
    expect(await events(byName("reboot"))).toEqual([["compute_reboot_instance", "Success"]]);
    expect(await events(byName("lock"))).toEqual([["api_lock", "Success"]]);
    expect(await events(byName("unlock"))).toEqual([["api_unlock", "Success"]]);
  });

  it("records a failed build as an Error action with an Error event", async () => {
    const actions = await h.call({ url: `/servers/${failed}/os-instance-actions` });
    const create = actions.json.instanceActions.at(-1);
    expect(create).toMatchObject({ action: "create", message: "Error" });
    const shown = await h.call({
      url: `/servers/${failed}/os-instance-actions/${create.request_id}`,
      as: "admin",
    });
    const event = shown.json.instanceAction.events.at(-1);
    expect(event).toMatchObject({ event: "compute__do_build_and_run_instance", result: "Error" });
    expect(typeof event.traceback).toBe("string");
  });

  it("records os-resetState as nova's resetState action", async () => {
    const sid = await h.activeServer({ name: "audit-reset" });
    const reset = await h.action(sid, { "os-resetState": { state: "error" } }, { as: "admin" });
    expect(reset.status).toBe(202);
    const r = await h.call({ url: `/servers/${sid}/os-instance-actions` });
    expect(r.json.instanceActions[0]).toMatchObject({
      action: "resetState",
      request_id: reset.headers["x-openstack-request-id"],
    });
  });

  it("pages from 2.58 with limit, marker and a next link", async () => {
    const all = (await list({ version: "2.58" })).json.instanceActions;
    const first = await list({ version: "2.58", query: "limit=2" });
    expect(first.status).toBe(200);
    expect(first.json.instanceActions).toEqual(all.slice(0, 2));
    expect(first.json.links).toHaveLength(1);
    expect(first.json.links[0].rel).toBe("next");
    const next = first.json.links[0].href as string;
    expect(next.split("?")[0]).toBe(`${BASE}/v2.1/servers/${id}/os-instance-actions`);
    const params = new URL(next).searchParams;
    expect(params.get("limit")).toBe("2");
    expect(params.get("marker")).toBe(all[1].request_id);

    const second = await list({ version: "2.58", query: params.toString() });
    expect(second.json.instanceActions).toEqual(all.slice(2, 4));
    const rest = await list({ version: "2.58", query: `marker=${all[3].request_id}` });
    expect(rest.json.instanceActions).toEqual(all.slice(4));
    expect(rest.json).not.toHaveProperty("links");

    const unknown = await list({ version: "2.58", query: "marker=req-00000000-0000-4000-8000-000000000000" });
    expect(unknown.status).toBe(400);
    // before 2.58 these parameters do not exist
    expect((await list({ query: "limit=2" })).json.instanceActions).toHaveLength(all.length);
  });

  it("filters by changes-since from 2.58", async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list({ version: "2.58", query: `changes-since=${future}` })).json.instanceActions).toEqual(
      [],
    );
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(
      (await list({ version: "2.58", query: `changes-since=${past}` })).json.instanceActions,
    ).toHaveLength(6);
  });

  it("answers 404 for an unknown request id and for another project's server", async () => {
    const missing = await h.call({
      url: `/servers/${id}/os-instance-actions/req-00000000-0000-4000-8000-000000000000`,
    });
    expect(missing.status).toBe(404);
    expect(missing.json.itemNotFound.code).toBe(404);
    expect((await h.call({ url: `/servers/${foreign}/os-instance-actions` })).status).toBe(404);
  });

  it("keeps a deleted server's actions readable from 2.21 (404 before)", async () => {
    const gone = await h.activeServer({ name: "audit-deleted" });
    const del = await h.call({ method: "DELETE", url: `/servers/${gone}` });
    expect(del.status).toBe(204);
    await h.drain();
    expect((await h.call({ url: `/servers/${gone}/os-instance-actions`, version: "2.20" })).status).toBe(404);
    const r = await h.call({ url: `/servers/${gone}/os-instance-actions`, version: "2.21" });
    expect(r.status).toBe(200);
    // biome-ignore lint/suspicious/noExplicitAny: test bodies
    expect(r.json.instanceActions.map((a: any) => a.action)).toEqual(["delete", "create"]);
    const shown = await h.call({
      url: `/servers/${gone}/os-instance-actions/${del.headers["x-openstack-request-id"]}`,
      version: "2.51",
    });
    expect(shown.status).toBe(200);
    expect(shown.json.instanceAction.events).toEqual([
      expect.objectContaining({ event: "compute_terminate_instance", result: "Success" }),
    ]);
  });
});
