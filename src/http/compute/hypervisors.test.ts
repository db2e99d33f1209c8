/**
 * `/os-hypervisors` through inject(): the fake host as nova's hypervisor at every
 * microversion where the view changes (2.28 cpu_info object, 2.33 paging, 2.53 uuids and
 * query parameters, 2.75 empty servers, 2.88 capacity gone and uptime in), usage counted
 * from the servers on the host, statistics, uptime, the pre-2.53 search and servers
 * routes, nova's errors and the admin-only policy.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ComputeHarness, computeHarness, keysOf, SMALL, sample } from "../../../test/compute-harness.js";
import { FAKE_CAPACITY } from "../../virt/fake/driver.js";

const HOST = os.hostname();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MISSING = "00000000-0000-4000-8000-000000000000";
/** `uptime`'s line as openstackclient parses it, less the user count nimbus cannot know. */
const UPTIME = /^ \d{2}:\d{2}:\d{2} up .+, {2}load average: \d+\.\d{2}, \d+\.\d{2}, \d+\.\d{2}$/;
const BASE = "http://localhost:80/compute/v2.1";

/** nova's reserved_host_memory_mb: the host's own share of its memory. */
const RESERVED_MB = 512;

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
type Body = any;

async function get(url: string, version = "2.1"): Promise<Body> {
  const r = await h.call({ url, as: "admin", version });
  expect(r.status, r.text).toBe(200);
  return r.json;
}
const error = async (url: string, version = "2.1") => (await h.call({ url, as: "admin", version })).json;

const sampleKeys = (file: string, key = "hypervisors") => {
  const body = sample(`os-hypervisors/${file}`);
  return keysOf(key === "hypervisors" ? body.hypervisors[0] : body[key]);
};

describe("with no server on the host", () => {
  it("lists the host as a hypervisor, up and enabled", async () => {
    const body = await get("/os-hypervisors");
    expect(body).toEqual({
      hypervisors: [{ id: expect.any(Number), hypervisor_hostname: HOST, state: "up", status: "enabled" }],
    });
    expect(keysOf(body.hypervisors[0])).toEqual(sampleKeys("hypervisors-list-resp.json"));
  });

  it("reports the driver's capacity, and as used only the memory nova reserves for the host", async () => {
    const [hyp] = (await get("/os-hypervisors/detail")).hypervisors;
    expect(keysOf(hyp)).toEqual(sampleKeys("hypervisors-detail-resp.json"));
    expect(hyp).toMatchObject({
      hypervisor_type: "fake",
      hypervisor_version: 1000,
      vcpus: FAKE_CAPACITY.vcpus,
      memory_mb: FAKE_CAPACITY.memoryMb,
      local_gb: FAKE_CAPACITY.localGb,
      vcpus_used: 0,
      // nova's reserved_host_memory_mb, which its resource tracker counts as used
      memory_mb_used: RESERVED_MB,
      local_gb_used: 0,
      free_ram_mb: FAKE_CAPACITY.memoryMb - RESERVED_MB,
      free_disk_gb: FAKE_CAPACITY.localGb,
      disk_available_least: FAKE_CAPACITY.localGb,
      running_vms: 0,
      current_workload: 0,
      service: { id: expect.any(Number), host: HOST, disabled_reason: null },
    });
    expect(hyp.host_ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    // a JSON string before 2.28
    expect(JSON.parse(hyp.cpu_info)).toMatchObject({
      model: "fake",
      topology: { cores: FAKE_CAPACITY.vcpus },
    });
  });

  it("answers an empty servers list for with_servers from 2.75 only", async () => {
    const before = (await get("/os-hypervisors?with_servers=true", "2.74")).hypervisors[0];
    expect(before).not.toHaveProperty("servers");
    const after = (await get("/os-hypervisors?with_servers=true", "2.75")).hypervisors[0];
    expect(after.servers).toEqual([]);
  });
});

describe("with servers on the host", () => {
  const servers: string[] = [];
  beforeAll(async () => {
    servers.push(await h.activeServer({ name: "tiny" }));
    servers.push(await h.activeServer({ name: "small", server: { flavorRef: SMALL } }));
    await h.action(servers[0]!, { "os-stop": null });
    await h.drain();
  });

  it("counts what the servers hold, stopped ones included (m1.tiny + m1.small)", async () => {
    const hyp = (await get("/os-hypervisors/detail")).hypervisors[0];
    // m1.tiny: 1 vCPU, 512 MB, 1 GB; m1.small: 1 vCPU, 2048 MB, 20 GB
    expect(hyp).toMatchObject({
      vcpus_used: 2,
      memory_mb_used: RESERVED_MB + 2560,
      local_gb_used: 21,
      free_ram_mb: FAKE_CAPACITY.memoryMb - RESERVED_MB - 2560,
      free_disk_gb: FAKE_CAPACITY.localGb - 21,
      running_vms: 2,
      current_workload: 0,
    });
    const stats = (await get("/os-hypervisors/statistics")).hypervisor_statistics;
    expect(keysOf(stats)).toEqual(
      keysOf(sample("os-hypervisors/hypervisors-statistics-resp.json").hypervisor_statistics),
    );
    expect(stats).toMatchObject({
      count: 1,
      vcpus: FAKE_CAPACITY.vcpus,
      vcpus_used: 2,
      memory_mb_used: RESERVED_MB + 2560,
      running_vms: 2,
    });
  });

  it("counts a server mid-operation in current_workload", async () => {
    await h.withEngineStopped(async () => {
      await h.action(servers[1]!, { reboot: { type: "SOFT" } });
      const hyp = (await get("/os-hypervisors/detail")).hypervisors[0];
      expect(hyp.current_workload).toBe(1);
    });
  });

  it("holds both flavors while a resize waits for confirmation", async () => {
    // the stopped m1.tiny grows to m1.small
    const r = await h.action(servers[0]!, { resize: { flavorRef: SMALL } });
    expect(r.status, r.text).toBe(202);
    await h.drain();
    expect((await h.show(servers[0]!)).status).toBe("VERIFY_RESIZE");
    const during = (await get("/os-hypervisors/detail")).hypervisors[0];
    expect(during).toMatchObject({
      vcpus_used: 3,
      memory_mb_used: RESERVED_MB + 512 + 2048 + 2048,
      local_gb_used: 41,
    });
    expect(during.running_vms).toBe(2);
    await h.action(servers[0]!, { revertResize: null });
    await h.drain();
    expect((await get("/os-hypervisors/detail")).hypervisors[0]).toMatchObject({
      vcpus_used: 2,
      memory_mb_used: RESERVED_MB + 2560,
    });
  });

  it("gives cpu_info as an object from 2.28", async () => {
    const hyp = (await get("/os-hypervisors/detail", "2.28")).hypervisors[0];
    expect(keysOf(hyp)).toEqual(sampleKeys("v2.28/hypervisors-detail-resp.json"));
    expect(hyp.cpu_info).toMatchObject({ arch: expect.any(String), model: "fake", vendor: "nimbus" });
  });

  it("pages by limit and marker from 2.33", async () => {
    const page = await get("/os-hypervisors?limit=1", "2.33");
    const id = page.hypervisors[0].id;
    expect(page.hypervisors_links).toEqual([
      { href: `${BASE}/os-hypervisors?limit=1&marker=${id}`, rel: "next" },
    ]);
    expect(await get(`/os-hypervisors/detail?limit=1&marker=${id}`, "2.33")).toEqual({ hypervisors: [] });
    // paging is ignored before 2.33
    expect(await get("/os-hypervisors?limit=1", "2.32")).not.toHaveProperty("hypervisors_links");
    expect(await error("/os-hypervisors?marker=nope", "2.33")).toEqual({
      badRequest: { code: 400, message: "marker [nope] not found" },
    });
    expect(await error("/os-hypervisors?marker=9999", "2.33")).toEqual({
      badRequest: { code: 400, message: "marker [9999] not found" },
    });
  });

  it("names hypervisors and services by uuid from 2.53, with servers on request", async () => {
    const [hyp] = (await get("/os-hypervisors/detail?with_servers=1", "2.53")).hypervisors;
    expect(keysOf(hyp)).toEqual(sampleKeys("v2.53/hypervisors-detail-with-servers-resp.json"));
    expect(hyp.id).toMatch(UUID);
    expect(hyp.service.id).toMatch(UUID);
    expect(hyp.servers).toEqual(servers.map((uuid) => ({ uuid, name: `instance-${uuid.slice(0, 8)}` })));
    const page = await get("/os-hypervisors?limit=1", "2.53");
    expect(page.hypervisors_links[0].href).toBe(`${BASE}/os-hypervisors?limit=1&marker=${hyp.id}`);
    expect(await get(`/os-hypervisors?marker=${hyp.id}`, "2.53")).toEqual({ hypervisors: [] });
    expect(await error(`/os-hypervisors?marker=${MISSING}`, "2.53")).toEqual({
      badRequest: { code: 400, message: `marker [${MISSING}] not found` },
    });
  });

  it("filters by hypervisor_hostname_pattern from 2.53 (a substring, as SQL LIKE)", async () => {
    const part = HOST.slice(1, -1) || HOST;
    const found = await get(
      `/os-hypervisors?hypervisor_hostname_pattern=${encodeURIComponent(part)}`,
      "2.53",
    );
    expect(found.hypervisors.map((x: Body) => x.hypervisor_hostname)).toEqual([HOST]);
    expect(found).not.toHaveProperty("hypervisors_links");
    expect(await error("/os-hypervisors?hypervisor_hostname_pattern=no-such-host", "2.53")).toEqual({
      itemNotFound: { code: 404, message: "No hypervisor matching 'no-such-host' could be found." },
    });
    expect(await error(`/os-hypervisors/detail?hypervisor_hostname_pattern=${part}&limit=1`, "2.53")).toEqual(
      {
        badRequest: {
          code: 400,
          message:
            "Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.",
        },
      },
    );
    // 2.53 allows no other parameter; before, unknown ones are dropped
    expect((await h.call({ url: "/os-hypervisors?foo=1", as: "admin", version: "2.53" })).status).toBe(400);
    expect((await h.call({ url: "/os-hypervisors?foo=1", as: "admin", version: "2.52" })).status).toBe(200);
  });

  it("drops capacity and usage at 2.88 and reports the host's uptime instead", async () => {
    const [hyp] = (await get("/os-hypervisors/detail", "2.88")).hypervisors;
    expect(keysOf(hyp)).toEqual(sampleKeys("v2.88/hypervisors-detail-resp.json"));
    expect(hyp.uptime).toMatch(UPTIME);
    const shown = (await get(`/os-hypervisors/${hyp.id}?with_servers=true`, "2.88")).hypervisor;
    expect(keysOf(shown)).toEqual(sampleKeys("v2.88/hypervisors-show-with-servers-resp.json", "hypervisor"));
    expect((await h.call({ url: "/os-hypervisors/statistics", as: "admin", version: "2.88" })).status).toBe(
      404,
    );
    expect(
      (await h.call({ url: `/os-hypervisors/${hyp.id}/uptime`, as: "admin", version: "2.88" })).status,
    ).toBe(404);
  });
});

describe("GET /os-hypervisors/{id}", () => {
  it("shows by integer id before 2.53 and by uuid from 2.53", async () => {
    const [old] = (await get("/os-hypervisors")).hypervisors;
    const shown = (await get(`/os-hypervisors/${old.id}`)).hypervisor;
    expect(keysOf(shown)).toEqual(sampleKeys("hypervisors-show-resp.json", "hypervisor"));
    expect(shown.hypervisor_hostname).toBe(HOST);
    const [current] = (await get("/os-hypervisors", "2.53")).hypervisors;
    const byUuid = (await get(`/os-hypervisors/${current.id}`, "2.53")).hypervisor;
    expect(keysOf(byUuid)).toEqual(sampleKeys("v2.53/hypervisors-show-resp.json", "hypervisor"));
    expect(byUuid.id).toBe(current.id);
  });

  it("answers nova's errors for ids of the wrong kind or unknown", async () => {
    const [current] = (await get("/os-hypervisors", "2.53")).hypervisors;
    expect(await error("/os-hypervisors/abc")).toEqual({
      itemNotFound: { code: 404, message: "Hypervisor with ID 'abc' could not be found." },
    });
    expect(await error("/os-hypervisors/9999")).toEqual({
      itemNotFound: { code: 404, message: "Hypervisor with ID '9999' could not be found." },
    });
    // a uuid is no integer id before 2.53
    expect((await error(`/os-hypervisors/${current.id}`)).itemNotFound.code).toBe(404);
    expect(await error("/os-hypervisors/1", "2.53")).toEqual({
      badRequest: { code: 400, message: "Invalid uuid 1" },
    });
    expect(await error(`/os-hypervisors/${MISSING}`, "2.53")).toEqual({
      itemNotFound: { code: 404, message: `Hypervisor with ID '${MISSING}' could not be found.` },
    });
    expect(await error("/os-hypervisors/1?with_servers=maybe", "2.53")).toMatchObject({
      badRequest: { code: 400 },
    });
  });
});

describe("uptime, search and servers (before 2.88 and 2.53)", () => {
  it("shows the host's uptime line", async () => {
    const [hyp] = (await get("/os-hypervisors")).hypervisors;
    const body = await get(`/os-hypervisors/${hyp.id}/uptime`);
    expect(keysOf(body.hypervisor)).toEqual(sampleKeys("hypervisors-uptime-resp.json", "hypervisor"));
    expect(body.hypervisor).toMatchObject({
      id: hyp.id,
      hypervisor_hostname: HOST,
      state: "up",
      status: "enabled",
    });
    expect(body.hypervisor.uptime).toMatch(UPTIME);
  });

  it("searches by hostname, with the servers on the matches", async () => {
    const search = await get(`/os-hypervisors/${encodeURIComponent(HOST)}/search`);
    expect(search.hypervisors.map((x: Body) => keysOf(x))).toEqual([
      sampleKeys("hypervisors-search-resp.json"),
    ]);
    const withServers = await get(`/os-hypervisors/${encodeURIComponent(HOST)}/servers`);
    expect(keysOf(withServers.hypervisors[0])).toEqual(sampleKeys("hypervisors-with-servers-resp.json"));
    expect(withServers.hypervisors[0].servers.length).toBeGreaterThan(0);
    expect(await error("/os-hypervisors/nothing-like-it/search")).toEqual({
      itemNotFound: { code: 404, message: "No hypervisor matching 'nothing-like-it' could be found." },
    });
    expect(
      (await h.call({ url: `/os-hypervisors/${HOST}/search`, as: "admin", version: "2.53" })).status,
    ).toBe(404);
  });

  it("cannot ask a forced-down host its uptime", async () => {
    const put = (forced: boolean) =>
      h.call({
        method: "PUT",
        url: "/os-services/force-down",
        as: "admin",
        version: "2.11",
        body: { host: HOST, binary: "nova-compute", forced_down: forced },
      });
    await put(true);
    try {
      const [hyp] = (await get("/os-hypervisors")).hypervisors;
      expect(hyp.state).toBe("down");
      expect(await error(`/os-hypervisors/${hyp.id}/uptime`)).toEqual({
        badRequest: { code: 400, message: `Compute service of ${HOST} is unavailable at this time.` },
      });
      // 2.88's show leaves it null instead
      const [current] = (await get("/os-hypervisors", "2.88")).hypervisors;
      expect((await get(`/os-hypervisors/${current.id}`, "2.88")).hypervisor.uptime).toBeNull();
    } finally {
      await put(false);
    }
  });
});

describe("statistics and status follow the compute service", () => {
  it("counts only hypervisors of enabled compute services", async () => {
    const disable = (status: string) =>
      h.call({
        method: "PUT",
        url: `/os-services/${status === "disabled" ? "disable" : "enable"}`,
        as: "admin",
        body: { host: HOST, binary: "nova-compute" },
      });
    await disable("disabled");
    try {
      expect((await get("/os-hypervisors")).hypervisors[0].status).toBe("disabled");
      expect((await get("/os-hypervisors/statistics")).hypervisor_statistics).toEqual({
        count: 0,
        current_workload: 0,
        disk_available_least: 0,
        free_disk_gb: 0,
        free_ram_mb: 0,
        local_gb: 0,
        local_gb_used: 0,
        memory_mb: 0,
        memory_mb_used: 0,
        running_vms: 0,
        vcpus: 0,
        vcpus_used: 0,
      });
    } finally {
      await disable("enabled");
    }
  });
});

describe("policy", () => {
  it("refuses members every hypervisor route", async () => {
    for (const [url, name] of [
      ["/os-hypervisors", "list"],
      ["/os-hypervisors/detail", "list-detail"],
      ["/os-hypervisors/statistics", "statistics"],
      ["/os-hypervisors/1", "show"],
      ["/os-hypervisors/1/uptime", "uptime"],
      [`/os-hypervisors/${HOST}/search`, "search"],
      [`/os-hypervisors/${HOST}/servers`, "servers"],
    ]) {
      const r = await h.call({ url: url! });
      expect(r.status, url).toBe(403);
      expect(r.json.forbidden.message).toBe(
        `Policy doesn't allow os_compute_api:os-hypervisors:${name} to be performed.`,
      );
    }
  });
});
