/**
 * The deprecated `/os-hosts` through inject(): the hosts of the enabled services with their
 * zones (aggregate zones included), a compute host's resources counted from its servers,
 * the updates and power actions nova forwards to a driver that cannot do them, 404 from
 * 2.43, admin-only policy and nova's faults for bad input.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  keysOf,
  SMALL,
  sample,
  TINY,
} from "../../../test/compute-harness.js";

const HOST = os.hostname();

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

const get = (url: string, version?: string) => h.call({ url, as: "admin", version });
const put = (body: unknown, host = HOST, version?: string) =>
  h.call({ method: "PUT", url: `/os-hosts/${host}`, as: "admin", version, body });

describe("GET /os-hosts", () => {
  it("lists the services' hosts with their topic and zone", async () => {
    const r = await get("/os-hosts");
    expect(r.status).toBe(200);
    expect(r.json.hosts).toEqual([
      { host_name: HOST, service: "conductor", zone: "internal" },
      { host_name: HOST, service: "scheduler", zone: "internal" },
      { host_name: HOST, service: "compute", zone: "nova" },
    ]);
    expect(keysOf(r.json.hosts[0])).toEqual(keysOf(sample("os-hosts/hosts-list-resp.json").hosts[0]));
  });

  it("filters by zone", async () => {
    expect((await get("/os-hosts?zone=nova")).json.hosts.map((x: Body) => x.service)).toEqual(["compute"]);
    expect((await get("/os-hosts?zone=internal")).json.hosts.map((x: Body) => x.service)).toEqual([
      "conductor",
      "scheduler",
    ]);
    expect((await get("/os-hosts?zone=elsewhere")).json.hosts).toEqual([]);
  });

  it("shows a compute host in its aggregate's zone", async () => {
    const created = await h.call({
      method: "POST",
      url: "/os-aggregates",
      as: "admin",
      body: { aggregate: { name: "hosts-zone", availability_zone: "az-hosts" } },
    });
    const id = created.json.aggregate.id;
    const add = { add_host: { host: HOST } };
    expect(
      (await h.call({ method: "POST", url: `/os-aggregates/${id}/action`, as: "admin", body: add })).status,
    ).toBe(200);
    try {
      const compute = (await get("/os-hosts?zone=az-hosts")).json.hosts;
      expect(compute).toEqual([{ host_name: HOST, service: "compute", zone: "az-hosts" }]);
    } finally {
      const remove = { remove_host: { host: HOST } };
      await h.call({ method: "POST", url: `/os-aggregates/${id}/action`, as: "admin", body: remove });
      await h.call({ method: "DELETE", url: `/os-aggregates/${id}`, as: "admin" });
    }
  });

  it("leaves out disabled services", async () => {
    const service = { host: HOST, binary: "nova-compute" };
    const disable = await h.call({ method: "PUT", url: "/os-services/disable", as: "admin", body: service });
    expect(disable.status).toBe(200);
    try {
      expect((await get("/os-hosts")).json.hosts.map((x: Body) => x.service)).toEqual([
        "conductor",
        "scheduler",
      ]);
    } finally {
      await h.call({ method: "PUT", url: "/os-services/enable", as: "admin", body: service });
    }
  });
});

describe("GET /os-hosts/{host}", () => {
  it("counts the host's servers: total, used now, used at most, then per project", async () => {
    await h.activeServer({ name: "hosts-demo-1", server: { flavorRef: TINY } });
    await h.activeServer({ name: "hosts-demo-2", server: { flavorRef: SMALL } });
    await h.activeServer({ name: "hosts-other", as: "other", server: { flavorRef: TINY } });
    const r = await get(`/os-hosts/${HOST}`);
    expect(r.status, r.text).toBe(200);
    const rows = r.json.host.map((x: Body) => x.resource);
    expect(keysOf(r.json.host[0])).toEqual(["resource"]);
    expect(keysOf(rows[0])).toEqual(keysOf(sample("os-hosts/host-get-resp.json").host[0].resource));
    expect(rows.map((x: Body) => x.project)).toEqual([
      "(total)",
      "(used_now)",
      "(used_max)",
      h.projects.demo,
      h.projects.other,
    ]);
    for (const row of rows) expect(row.host).toBe(HOST);
    // m1.tiny: 1 vCPU, 512 MiB, 1 GB; m1.small: 1 vCPU, 2048 MiB, 20 GB
    expect(rows[2]).toMatchObject({ cpu: 3, memory_mb: 3072, disk_gb: 22 });
    expect(rows[3]).toMatchObject({ cpu: 2, memory_mb: 2560, disk_gb: 21 });
    expect(rows[4]).toMatchObject({ cpu: 1, memory_mb: 512, disk_gb: 1 });
    // used now is the compute node's usage, which counts nova's 512 MiB reserved for the host
    expect(rows[1]).toMatchObject({ cpu: 3, memory_mb: 512 + 3072, disk_gb: 22 });
    expect(rows[0].cpu).toBeGreaterThan(0);
    expect(rows[0].memory_mb).toBeGreaterThan(0);
  });

  it("answers 404 for a host that runs no compute service", async () => {
    const r = await get("/os-hosts/no-such-host");
    expect(r.status).toBe(404);
    expect(r.json.itemNotFound.message).toBe("Host 'no-such-host' is not mapped to any cell");
  });
});

describe("PUT /os-hosts/{host}", () => {
  it("answers the status asked for, leaving the compute service as it is (as nova does)", async () => {
    const r = await put({ status: "DISABLE" });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ host: HOST, status: "disabled" });
    expect((await put({ status: "enable" })).json).toEqual({ host: HOST, status: "enabled" });
    const services = (await get("/os-services")).json.services;
    expect(services.find((s: Body) => s.binary === "nova-compute").status).toBe("enabled");
  });

  it("answers 501 to maintenance mode, which the driver cannot do", async () => {
    const r = await put(sample("os-hosts/host-put-maintenance-req.json"));
    expect(r.status).toBe(501);
    expect(r.json.notImplemented).toEqual({
      code: 501,
      message: "The requested functionality is not supported.",
    });
  });

  it.each([[{}], [{ status: "on" }], [{ status: "enable", other: 1 }]])(
    "answers 400 for %j",
    async (body) => {
      expect((await put(body)).status).toBe(400);
    },
  );

  it("answers 404 for an unknown host", async () => {
    const r = await put({ status: "enable" }, "no-such-host");
    expect(r.status).toBe(404);
    expect(r.json.itemNotFound.message).toBe("Host 'no-such-host' is not mapped to any cell");
  });
});

describe("GET /os-hosts/{host}/reboot|shutdown|startup", () => {
  it.each(["reboot", "shutdown", "startup"])(
    "answers 501 to %s, and 404 for an unknown host",
    async (action) => {
      const r = await get(`/os-hosts/${HOST}/${action}`);
      expect(r.status).toBe(501);
      expect(r.json.notImplemented.message).toBe("The requested functionality is not supported.");
      expect((await get(`/os-hosts/no-such-host/${action}`)).status).toBe(404);
    },
  );
});

describe("microversions", () => {
  it("answers 404 from 2.43, on every route", async () => {
    for (const url of ["/os-hosts", `/os-hosts/${HOST}`, `/os-hosts/${HOST}/reboot`]) {
      expect((await get(url, "2.42")).status, url).not.toBe(404);
      expect((await get(url, "2.43")).status, url).toBe(404);
    }
    expect((await put({ status: "enable" }, HOST, "2.43")).status).toBe(404);
  });

  it("serves the legacy /v2 endpoint", async () => {
    expect((await get("/compute/v2/os-hosts")).status).toBe(200);
  });
});

describe("policy", () => {
  it("is admin only", async () => {
    const cases: Array<[string, "GET" | "PUT", string, unknown]> = [
      ["list", "GET", "/os-hosts", undefined],
      ["show", "GET", `/os-hosts/${HOST}`, undefined],
      ["update", "PUT", `/os-hosts/${HOST}`, { status: "enable" }],
      ["reboot", "GET", `/os-hosts/${HOST}/reboot`, undefined],
      ["shutdown", "GET", `/os-hosts/${HOST}/shutdown`, undefined],
      ["start", "GET", `/os-hosts/${HOST}/startup`, undefined],
    ];
    for (const [name, method, url, body] of cases) {
      const r = await h.call({ method, url, body, as: "demo" });
      expect(r.status, name).toBe(403);
      expect(r.json.forbidden.message).toBe(
        `Policy doesn't allow os_compute_api:os-hosts:${name} to be performed.`,
      );
    }
  });
});
