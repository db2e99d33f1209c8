/**
 * `/os-services` through inject(): the services an all-in-one runs, at the microversions
 * where the view changes (2.11 forced_down, 2.53 uuids), the pre-2.53 and 2.53 updates,
 * delete, admin-only policy, and that a disabled or forced-down nova-compute really stops
 * new servers from being scheduled (ERROR with nova's NoValidHost fault).
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, keysOf, sample } from "../../../test/compute-harness.js";

const HOST = os.hostname();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const MISSING = "00000000-0000-4000-8000-000000000000";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

const services = async (version = "2.1", query = ""): Promise<Body[]> => {
  const r = await h.call({ url: `/os-services${query}`, as: "admin", version });
  expect(r.status, r.text).toBe(200);
  return r.json.services;
};
const compute = async (version = "2.53") =>
  (await services(version)).find((s) => s.binary === "nova-compute");

const put = (url: string, body: unknown, version = "2.1") =>
  h.call({ method: "PUT", url, as: "admin", version, body });

/** Boots a server and waits for the build to end; returns the server as its owner sees it. */
async function boot(name: string): Promise<Body> {
  const id = await h.activeServer({ name });
  return h.show(id, { as: "admin" });
}

describe("GET /os-services", () => {
  it("lists nova-conductor and nova-scheduler (internal zone) and nova-compute (nova), all up", async () => {
    const listed = await services();
    expect(listed.map((s) => [s.binary, s.host, s.zone, s.status, s.state])).toEqual([
      ["nova-conductor", HOST, "internal", "enabled", "up"],
      ["nova-scheduler", HOST, "internal", "enabled", "up"],
      ["nova-compute", HOST, "nova", "enabled", "up"],
    ]);
    for (const s of listed) {
      expect(keysOf(s)).toEqual(keysOf(sample("os-services/services-list-get-resp.json").services[0]));
      expect(s.id).toEqual(expect.any(Number));
      expect(s.updated_at).toMatch(MICROS);
      expect(s.disabled_reason).toBeNull();
    }
  });

  it("adds forced_down at 2.11 and names services by uuid from 2.53", async () => {
    const v211 = await services("2.11");
    expect(keysOf(v211[0])).toEqual(
      keysOf(sample("os-services/v2.11/services-list-get-resp.json").services[0]),
    );
    expect(v211[0].forced_down).toBe(false);
    expect(v211[0].id).toEqual(expect.any(Number));
    const v253 = await services("2.53");
    expect(keysOf(v253[0])).toEqual(
      keysOf(sample("os-services/v2.53/services-list-get-resp.json").services[0]),
    );
    expect(v253.map((s) => s.id)).toEqual([
      expect.stringMatching(UUID),
      expect.stringMatching(UUID),
      expect.stringMatching(UUID),
    ]);
  });

  it("reports a recent heartbeat: updated_at within the report interval", async () => {
    const s = await compute();
    const age = Date.now() - Date.parse(`${s.updated_at.slice(0, 23)}Z`);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(11_000);
  });

  it("filters by host and binary; an empty filter is no filter", async () => {
    expect((await services("2.1", "?binary=nova-compute")).map((s) => s.binary)).toEqual(["nova-compute"]);
    expect(await services("2.1", `?host=${HOST}&binary=nova-scheduler`)).toHaveLength(1);
    expect(await services("2.1", "?host=elsewhere")).toEqual([]);
    expect(await services("2.1", "?host=&binary=")).toHaveLength(3);
  });

  it("refuses members (admin only), and unknown parameters from 2.75", async () => {
    const r = await h.call({ url: "/os-services" });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-services:list to be performed.",
    );
    expect((await h.call({ url: "/os-services?foo=1", as: "admin", version: "2.74" })).status).toBe(200);
    expect((await h.call({ url: "/os-services?foo=1", as: "admin", version: "2.75" })).status).toBe(400);
  });
});

describe("PUT /os-services/{action} before 2.53", () => {
  it("disables nova-compute: new servers fail to schedule with nova's NoValidHost fault", async () => {
    const r = await put("/os-services/disable", { host: HOST, binary: "nova-compute" });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ service: { host: HOST, binary: "nova-compute", status: "disabled" } });
    expect(keysOf(r.json.service)).toEqual(
      keysOf(sample("os-services/service-disable-put-resp.json").service),
    );
    expect((await compute("2.1")).status).toBe("disabled");

    const server = await boot("unschedulable");
    expect(server.status).toBe("ERROR");
    expect(server["OS-EXT-STS:task_state"]).toBeNull();
    expect(server["OS-EXT-SRV-ATTR:host"]).toBeNull();
    expect(server.fault).toMatchObject({ code: 500, message: "No valid host was found. " });
    // the owner sees the message, not the details of a 500
    const mine = await h.show(server.id);
    expect(mine.fault.message).toBe("No valid host was found. ");
    expect(mine.fault).not.toHaveProperty("details");
  });

  it("enables it again: servers build", async () => {
    const r = await put("/os-services/enable", { host: HOST, binary: "nova-compute" });
    expect(r.json).toEqual({ service: { host: HOST, binary: "nova-compute", status: "enabled" } });
    expect((await boot("schedulable")).status).toBe("ACTIVE");
  });

  it("disables with a reason", async () => {
    const r = await put("/os-services/disable-log-reason", {
      host: HOST,
      binary: "nova-compute",
      disabled_reason: "maintenance",
    });
    expect(r.json).toEqual({
      service: { host: HOST, binary: "nova-compute", status: "disabled", disabled_reason: "maintenance" },
    });
    expect(await compute("2.1")).toMatchObject({ status: "disabled", disabled_reason: "maintenance" });
    const missing = await put("/os-services/disable-log-reason", { host: HOST, binary: "nova-compute" });
    expect(missing.json).toEqual({ badRequest: { code: 400, message: "Missing disabled reason field" } });
    await put("/os-services/enable", { host: HOST, binary: "nova-compute" });
    expect(await compute("2.1")).toMatchObject({ status: "enabled", disabled_reason: null });
  });

  it("forces it down from 2.11: state down, and builds fail as the scheduler filters it out", async () => {
    expect(
      (
        await put(
          "/os-services/force-down",
          { host: HOST, binary: "nova-compute", forced_down: true },
          "2.10",
        )
      ).json,
    ).toEqual({ badRequest: expect.objectContaining({ code: 400 }) });
    const r = await put(
      "/os-services/force-down",
      { host: HOST, binary: "nova-compute", forced_down: true },
      "2.11",
    );
    expect(r.json).toEqual({ service: { host: HOST, binary: "nova-compute", forced_down: true } });
    expect(await compute("2.11")).toMatchObject({ state: "down", forced_down: true, status: "enabled" });

    const server = await boot("forced-down");
    expect(server.status).toBe("ERROR");
    expect(server.fault.message).toBe("No valid host was found. There are not enough hosts available.");

    await put("/os-services/force-down", { host: HOST, binary: "nova-compute", forced_down: false }, "2.11");
    expect(await compute("2.11")).toMatchObject({ state: "up", forced_down: false });
  });

  it("answers nova's errors: unknown action, other binaries, unknown hosts, bad bodies", async () => {
    const body = { host: HOST, binary: "nova-compute" };
    expect((await put("/os-services/reboot", body)).json).toEqual({
      itemNotFound: { code: 404, message: "Unknown action" },
    });
    // force-down is no action before 2.11
    expect((await put("/os-services/force-down", body)).status).toBe(404);
    expect((await put("/os-services/disable", { host: HOST, binary: "nova-scheduler" })).json).toEqual({
      badRequest: {
        code: 400,
        message:
          "Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.",
      },
    });
    expect((await put("/os-services/disable", { host: "elsewhere", binary: "nova-compute" })).json).toEqual({
      itemNotFound: { code: 404, message: "Host 'elsewhere' is not mapped to any cell" },
    });
    expect((await put("/os-services/disable", { host: HOST })).status).toBe(400);
    const member = await h.call({ method: "PUT", url: "/os-services/disable", body });
    expect(member.status).toBe(403);
    expect(member.json.forbidden.message).toBe(
      "Policy doesn't allow os_compute_api:os-services:update to be performed.",
    );
  });
});

describe("PUT /os-services/{service_id} from 2.53", () => {
  it("disables with a reason and answers the whole record", async () => {
    const id = (await compute()).id;
    const r = await put(`/os-services/${id}`, { status: "disabled", disabled_reason: "maintenance" }, "2.53");
    expect(r.status, r.text).toBe(200);
    expect(keysOf(r.json.service)).toEqual(
      keysOf(sample("os-services/v2.53/service-disable-log-put-resp.json").service),
    );
    expect(r.json.service).toMatchObject({
      id,
      binary: "nova-compute",
      host: HOST,
      status: "disabled",
      disabled_reason: "maintenance",
      state: "up",
      zone: "nova",
      forced_down: false,
    });
    expect(r.json.service.updated_at).toMatch(MICROS);
  });

  it("forces down and enables in one request, and back", async () => {
    const id = (await compute()).id;
    const r = await put(`/os-services/${id}`, { status: "enabled", forced_down: true }, "2.53");
    expect(r.json.service).toMatchObject({
      status: "enabled",
      disabled_reason: null,
      state: "down",
      forced_down: true,
    });
    const back = await put(`/os-services/${id}`, { forced_down: false }, "2.53");
    expect(back.json.service).toMatchObject({ state: "up", forced_down: false });
  });

  it("answers nova's errors", async () => {
    const id = (await compute()).id;
    expect((await put("/os-services/disable", { status: "disabled" }, "2.53")).json).toEqual({
      badRequest: { code: 400, message: "Invalid uuid disable" },
    });
    expect((await put(`/os-services/${MISSING}`, { status: "disabled" }, "2.53")).json).toEqual({
      itemNotFound: { code: 404, message: `Service ${MISSING} could not be found.` },
    });
    expect(
      (await put(`/os-services/${id}`, { status: "enabled", disabled_reason: "x" }, "2.53")).json,
    ).toEqual({
      badRequest: { code: 400, message: "Specifying 'disabled_reason' with status 'enabled' is invalid." },
    });
    expect((await put(`/os-services/${id}`, {}, "2.53")).json).toEqual({
      badRequest: {
        code: 400,
        message: "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
      },
    });
    expect((await put(`/os-services/${id}`, { status: "off" }, "2.53")).status).toBe(400);
    expect((await put(`/os-services/${id}`, { host: HOST, binary: "nova-compute" }, "2.53")).status).toBe(
      400,
    );
    const scheduler = (await services("2.53")).find((s) => s.binary === "nova-scheduler").id;
    expect((await put(`/os-services/${scheduler}`, { status: "disabled" }, "2.53")).status).toBe(400);
  });
});

describe("GET /os-availability-zone follows the compute service", () => {
  it("shows the nova zone unavailable while its only compute service is disabled", async () => {
    const id = (await compute()).id;
    await put(`/os-services/${id}`, { status: "disabled" }, "2.53");
    const zones = await h.call({ url: "/os-availability-zone" });
    expect(zones.json.availabilityZoneInfo).toEqual([
      { zoneName: "nova", zoneState: { available: false }, hosts: null },
    ]);
    await put(`/os-services/${id}`, { status: "enabled" }, "2.53");
    const again = await h.call({ url: "/os-availability-zone" });
    expect(again.json.availabilityZoneInfo[0].zoneState.available).toBe(true);
  });
});

describe("DELETE /os-services/{id}", () => {
  it("answers nova's errors for bad and unknown ids, and refuses members", async () => {
    const del = (id: string, version = "2.1", as: "admin" | "demo" = "admin") =>
      h.call({ method: "DELETE", url: `/os-services/${id}`, as, version });
    expect((await del("abc")).json).toEqual({
      badRequest: { code: 400, message: "Invalid input received: id must be an integer" },
    });
    expect((await del("999")).json).toEqual({
      itemNotFound: { code: 404, message: "Service 999 not found." },
    });
    expect((await del("1", "2.53")).json).toEqual({ badRequest: { code: 400, message: "Invalid uuid 1" } });
    expect((await del(MISSING, "2.53")).json).toEqual({
      itemNotFound: { code: 404, message: `Service ${MISSING} not found.` },
    });
    expect((await del("1", "2.1", "demo")).status).toBe(403);
  });

  it("refuses to delete a compute service that hosts servers", async () => {
    await h.activeServer({ name: "keeps-compute" });
    const r = await h.call({
      method: "DELETE",
      url: `/os-services/${(await compute("2.1")).id}`,
      as: "admin",
    });
    expect(r.json).toEqual({
      conflictingRequest: {
        code: 409,
        message:
          "Unable to delete compute service that is hosting instances. Migrate or delete the instances first.",
      },
    });
  });

  it("deletes the scheduler record (by integer id) and, once empty, the compute service (by uuid)", async () => {
    const scheduler = (await services()).find((s) => s.binary === "nova-scheduler");
    expect(
      (await h.call({ method: "DELETE", url: `/os-services/${scheduler.id}`, as: "admin" })).status,
    ).toBe(204);
    expect((await services()).map((s) => s.binary)).toEqual(["nova-conductor", "nova-compute"]);

    const all = await h.call({ url: "/servers?all_tenants=1", as: "admin" });
    for (const s of all.json.servers)
      await h.call({ method: "DELETE", url: `/servers/${s.id}`, as: "admin" });
    await h.drain();
    const id = (await compute()).id;
    const r = await h.call({ method: "DELETE", url: `/os-services/${id}`, as: "admin", version: "2.53" });
    expect(r.status, r.text).toBe(204);
    expect(r.text).toBe("");
    // the hypervisor goes with its service, and nothing can be scheduled any more
    expect((await h.call({ url: "/os-hypervisors", as: "admin" })).json).toEqual({ hypervisors: [] });
    expect((await boot("no-compute")).fault.message).toBe("No valid host was found. ");
    expect((await services()).map((s) => s.binary)).toEqual(["nova-conductor"]);
  });
});
