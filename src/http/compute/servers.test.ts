/**
 * `/servers` through inject(): create (counts, networks, references, quotas), list and
 * detail with nova's filters, sorting and paging, project isolation, show at every
 * microversion where the view changes, update and delete.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ComputeHarness,
  computeHarness,
  IMAGE_ID,
  keysOf,
  NETWORK_ID,
  SMALL,
  sample,
  sleep,
  TINY,
} from "../../../test/compute-harness.js";
import { BOOTSTRAP_IMAGE_PROPERTIES } from "../../services/image/bootstrap-image.js";

const BASE = "http://localhost:80/compute";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const MISSING = "00000000-0000-4000-8000-000000000000";

let h: ComputeHarness;
beforeAll(async () => {
  h = await computeHarness();
});
afterAll(async () => h.close());

// biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected freely
const names = (servers: any[]) => servers.map((s) => s.name);
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("POST /servers", () => {
  it("answers 202 with Location, nova's create body and a generated adminPass", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: { server: { name: "create-basic", imageRef: IMAGE_ID, flavorRef: TINY, metadata: { k: "v" } } },
    });
    expect(r.status).toBe(202);
    const server = r.json.server;
    expect(keysOf(r.json)).toEqual(["server"]);
    expect(keysOf(server)).toEqual(keysOf(sample("servers/server-create-resp.json").server));
    expect(server.id).toMatch(UUID);
    expect(server.links).toEqual([
      { href: `${BASE}/v2.1/servers/${server.id}`, rel: "self" },
      { href: `${BASE}/servers/${server.id}`, rel: "bookmark" },
    ]);
    expect(r.headers.location).toBe(`${BASE}/v2.1/servers/${server.id}`);
    expect(server["OS-DCF:diskConfig"]).toBe("MANUAL");
    expect(server.security_groups).toEqual([{ name: "default" }]);
    expect(typeof server.adminPass).toBe("string");
    expect(server.adminPass.length).toBeGreaterThanOrEqual(8);
    await h.drain();
    // adminPass is never shown again
    expect(await h.show(server.id, { version: "latest" })).not.toHaveProperty("adminPass");
  });

  it("echoes the adminPass it was given", async () => {
    const { response } = await h.createServer({ name: "create-pass", server: { adminPass: "s3cr3t-pass" } });
    expect(response.json.server.adminPass).toBe("s3cr3t-pass");
    await h.drain();
  });

  it("is BUILD (scheduling) at first, then ACTIVE with an address on the private network", async () => {
    const id = await h.withEngineStopped(async () => {
      const { id } = await h.createServer({ name: "create-states", server: { metadata: { role: "web" } } });
      const building = await h.show(id, { version: "2.47" });
      expect(building.status).toBe("BUILD");
      expect(building["OS-EXT-STS:vm_state"]).toBe("building");
      expect(building["OS-EXT-STS:task_state"]).toBe("scheduling");
      expect(building["OS-EXT-STS:power_state"]).toBe(0);
      expect(building["OS-SRV-USG:launched_at"]).toBeNull();
      expect(building.addresses).toEqual({});
      expect(building.hostId).toBe("");
      expect(building.progress).toBe(0);
      return id;
    });
    const server = await h.show(id, { version: "2.47" });
    expect(server.status).toBe("ACTIVE");
    expect(server["OS-EXT-STS:vm_state"]).toBe("active");
    expect(server["OS-EXT-STS:task_state"]).toBeNull();
    expect(server["OS-EXT-STS:power_state"]).toBe(1);
    expect(server["OS-SRV-USG:launched_at"]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(server["OS-EXT-AZ:availability_zone"]).toBe("nova");
    expect(server.hostId).toMatch(/^[0-9a-f]{56}$/);
    expect(server.name).toBe("create-states");
    expect(server.metadata).toEqual({ role: "web" });
    expect(server.tenant_id).toBe(h.projects.demo);
    expect(server.user_id).toBe(h.users.demo);
    expect(server.created).toMatch(ISO_SECONDS);
    expect(server.updated).toMatch(ISO_SECONDS);
    expect(server.image).toEqual({
      id: IMAGE_ID,
      links: [{ href: `${BASE}/images/${IMAGE_ID}`, rel: "bookmark" }],
    });
    expect(server.addresses).toEqual({
      private: [
        {
          version: 4,
          addr: expect.stringMatching(/^10\.0\.\d+\.\d+$/),
          "OS-EXT-IPS:type": "fixed",
          "OS-EXT-IPS-MAC:mac_addr": expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
        },
        {
          // the SLAAC address follows from the port's MAC (EUI-64)
          version: 6,
          addr: expect.stringMatching(/^fd3e:5c1a:7b20:0:f816:3eff:fe/),
          "OS-EXT-IPS:type": "fixed",
          "OS-EXT-IPS-MAC:mac_addr": server.addresses.private[0]["OS-EXT-IPS-MAC:mac_addr"],
        },
      ],
    });
    expect(server).not.toHaveProperty("fault");
  });

  it("returns only the reservation id when asked, and the servers carry it", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: {
        server: {
          name: "create-resv",
          imageRef: IMAGE_ID,
          flavorRef: TINY,
          min_count: 2,
          return_reservation_id: true,
        },
      },
    });
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ reservation_id: expect.stringMatching(/^r-[0-9a-z]{8}$/) });
    expect(r.headers.location).toBeUndefined();
    await h.drain();
    const listed = await h.call({ url: `/servers?reservation_id=${r.json.reservation_id}` });
    expect(names(listed.json.servers).sort()).toEqual(["create-resv-1", "create-resv-2"]);
    const detail = await h.call({
      url: `/servers/detail?reservation_id=${r.json.reservation_id}`,
      as: "admin",
      version: "2.3",
    });
    expect(detail.json.servers).toHaveLength(0); // admin lists its own project unless all_tenants
    const all = await h.call({
      url: `/servers/detail?all_tenants=1&reservation_id=${r.json.reservation_id}`,
      as: "admin",
      version: "2.3",
    });
    // biome-ignore lint/suspicious/noExplicitAny: test bodies
    expect(all.json.servers.map((s: any) => s["OS-EXT-SRV-ATTR:reservation_id"])).toEqual([
      r.json.reservation_id,
      r.json.reservation_id,
    ]);
  });

  it("names servers name-1..N for max_count, describes the first, and gives each its launch index", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      version: "2.90",
      body: {
        server: { name: "multi", imageRef: IMAGE_ID, flavorRef: TINY, max_count: 3, networks: "auto" },
      },
    });
    expect(r.status).toBe(202);
    await h.drain();
    const first = await h.show(r.json.server.id, { version: "2.90" });
    expect(first.name).toBe("multi-1");
    expect(r.headers.location).toBe(`${BASE}/v2.1/servers/${r.json.server.id}`);
    const listed = await h.call({ url: "/servers/detail?name=^multi-", as: "demo", version: "2.90" });
    expect(names(listed.json.servers).sort()).toEqual(["multi-1", "multi-2", "multi-3"]);
    // biome-ignore lint/suspicious/noExplicitAny: test bodies
    expect(listed.json.servers.map((s: any) => s["OS-EXT-SRV-ATTR:hostname"]).sort()).toEqual([
      "multi-1",
      "multi-2",
      "multi-3",
    ]);
    const admin = await h.call({
      url: "/servers/detail?all_tenants=1&name=^multi-",
      as: "admin",
      version: "2.3",
    });
    const indexes = Object.fromEntries(
      // biome-ignore lint/suspicious/noExplicitAny: test bodies
      admin.json.servers.map((s: any) => [s.name, s["OS-EXT-SRV-ATTR:launch_index"]]),
    );
    expect(indexes).toEqual({ "multi-1": 0, "multi-2": 1, "multi-3": 2 });
  });

  it("refuses min_count above max_count", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: { server: { name: "minmax", imageRef: IMAGE_ID, flavorRef: TINY, min_count: 3, max_count: 2 } },
    });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe("min_count must be <= max_count");
  });

  it("takes the default network without `networks` before 2.37 and requires it from 2.37", async () => {
    const body = { server: { name: "net-default", imageRef: IMAGE_ID, flavorRef: TINY } };
    const old = await h.call({ method: "POST", url: "/servers", version: "2.36", body });
    expect(old.status).toBe(202);
    const required = await h.call({ method: "POST", url: "/servers", version: "2.37", body });
    expect(required.status).toBe(400);
    expect(required.json.badRequest.message).toContain("networks");
    await h.drain();
    expect(Object.keys((await h.show(old.json.server.id)).addresses)).toEqual(["private"]);
  });

  it.each([
    ["auto", ["private"]],
    ["none", []],
    [[{ uuid: NETWORK_ID }], ["private"]],
  ])("networks %j gives the networks %j", async (networks, expected) => {
    const { id } = await h.createServer({ name: "net", version: "2.37", server: { networks } });
    await h.drain();
    const server = await h.show(id);
    expect(server.status).toBe("ACTIVE");
    expect(Object.keys(server.addresses)).toEqual(expected);
  });

  it("allocates a requested fixed IP", async () => {
    const { id } = await h.createServer({
      name: "net-fixed",
      version: "2.37",
      server: { networks: [{ uuid: NETWORK_ID, fixed_ip: "10.0.0.17" }] },
    });
    await h.drain();
    expect((await h.show(id)).addresses.private[0].addr).toBe("10.0.0.17");
  });

  it("answers 400 for an unknown network", async () => {
    const other = "11111111-2222-4333-8444-555555555555";
    const r = await h.call({
      method: "POST",
      url: "/servers",
      version: "2.37",
      body: { server: { name: "net-bad", imageRef: IMAGE_ID, flavorRef: TINY, networks: [{ uuid: other }] } },
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ badRequest: { code: 400, message: `Network ${other} could not be found.` } });
  });

  it.each([
    [{ flavorRef: "999" }, "Flavor 999 could not be found."],
    [{ imageRef: MISSING }, "Can not find requested image"],
    [{ key_name: "no-such-key" }, "Invalid key_name provided."],
  ])("answers 400 for the bad reference %j", async (override, message) => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: { server: { name: "bad-ref", imageRef: IMAGE_ID, flavorRef: TINY, ...override } },
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ badRequest: { code: 400, message } });
  });

  it("accepts a flavor reference given as a URL", async () => {
    const { id } = await h.createServer({
      name: "by-url",
      server: { flavorRef: `${BASE}/flavors/${SMALL}` },
    });
    await h.drain();
    const server = await h.show(id);
    expect(server.flavor.id).toBe(SMALL);
    expect(server.image.id).toBe(IMAGE_ID);
  });

  it("boots with a keypair of the caller", async () => {
    const kp = await h.call({
      method: "POST",
      url: "/os-keypairs",
      body: { keypair: { name: "create-key" } },
    });
    expect(kp.status).toBe(200);
    const { id } = await h.createServer({ name: "with-key", server: { key_name: "create-key" } });
    await h.drain();
    expect((await h.show(id)).key_name).toBe("create-key");
  });

  it.each([[" leading"], ["trailing "], [""], ["x".repeat(256)]])(
    "answers 400 for the name %j",
    async (name) => {
      const r = await h.call({
        method: "POST",
        url: "/servers",
        body: { server: { name, imageRef: IMAGE_ID, flavorRef: TINY } },
      });
      expect(r.status).toBe(400);
    },
  );

  it("answers 400 for an availability zone that does not exist", async () => {
    const r = await h.call({
      method: "POST",
      url: "/servers",
      body: { server: { name: "az-bad", imageRef: IMAGE_ID, flavorRef: TINY, availability_zone: "moon" } },
    });
    expect(r.status).toBe(400);
  });

  it("uses the name as description for servers created before 2.19 (nova's rule)", async () => {
    const old = await h.createServer({ name: "desc-old" });
    const explicit = await h.createServer({
      name: "desc-new",
      version: "2.19",
      server: { description: "hello" },
    });
    const none = await h.createServer({ name: "desc-none", version: "2.19" });
    await h.drain();
    expect((await h.show(explicit.id, { version: "2.19" })).description).toBe("hello");
    expect((await h.show(none.id, { version: "2.19" })).description).toBeNull();
    expect((await h.show(old.id, { version: "2.19" })).description).toBe("desc-old");
  });

  it("a spawn failure ends in ERROR with a fault; details only for admin (code 500)", async () => {
    const { id } = await h.createServer({ name: "boom-nimbus-fake-fail" });
    await h.drain();
    const server = await h.show(id, { version: "2.47" });
    expect(server.status).toBe("ERROR");
    expect(server["OS-EXT-STS:vm_state"]).toBe("error");
    expect(server["OS-EXT-STS:task_state"]).toBeNull();
    expect(server["OS-EXT-STS:power_state"]).toBe(0);
    expect(server).not.toHaveProperty("progress");
    expect(server.fault).toEqual({
      code: 500,
      message: expect.any(String),
      created: expect.stringMatching(ISO_SECONDS),
    });
    expect(server.fault.message.length).toBeGreaterThan(0);

    const admin = await h.show(id, { as: "admin", version: "2.47" });
    expect(admin.fault).toMatchObject({
      code: 500,
      message: server.fault.message,
      created: server.fault.created,
    });
    expect(typeof admin.fault.details).toBe("string");

    const detail = await h.call({ url: `/servers/detail?name=^boom-nimbus`, version: "2.47" });
    expect(detail.json.servers[0].fault).toEqual(server.fault);
  });
});

describe("GET /servers and /servers/detail", () => {
  const ids: Record<string, string> = {};
  let before: string;

  beforeAll(async () => {
    for (const [name, flavor] of [
      ["lst-a", TINY],
      ["lst-b", SMALL],
      ["lst-c", TINY],
    ] as const) {
      ids[name] = (await h.createServer({ name, server: { flavorRef: flavor } })).id;
      await sleep(5);
    }
    await h.drain();
    before = new Date(Date.now() - 1000).toISOString();
  });

  const list = async (query: string, options: { as?: "admin" | "demo" | "other"; version?: string } = {}) => {
    const r = await h.call({ url: `/servers?${query}`, as: options.as, version: options.version });
    expect(r.status).toBe(200);
    return r.json;
  };
  const listNames = async (
    query: string,
    options: { as?: "admin" | "demo" | "other"; version?: string } = {},
  ) => names((await list(`name=^lst-&${query}`, options)).servers).sort();

  it("index shows id, name and links only; detail the full view without server_groups", async () => {
    const index = await list(`name=^lst-a$`);
    expect(index).toEqual({
      servers: [
        {
          id: ids["lst-a"],
          name: "lst-a",
          links: [
            { href: `${BASE}/v2.1/servers/${ids["lst-a"]}`, rel: "self" },
            { href: `${BASE}/servers/${ids["lst-a"]}`, rel: "bookmark" },
          ],
        },
      ],
    });
    const detail = await h.call({ url: "/servers/detail?name=^lst-a$", version: "2.71" });
    const show = await h.show(ids["lst-a"]!, { version: "2.71" });
    expect(show.server_groups).toEqual([]);
    const { server_groups: _g, ...rest } = show;
    expect(detail.json).toEqual({ servers: [rest] });
  });

  it("lists newest first by default", async () => {
    expect(names((await list("name=^lst-")).servers)).toEqual(["lst-c", "lst-b", "lst-a"]);
  });

  it("filters by name as a regular expression", async () => {
    expect(await listNames("name=^lst-[ab]$")).toEqual(["lst-a", "lst-b"]);
    expect(await listNames("name=b$")).toEqual(["lst-b"]);
    expect(await listNames("name=nomatch")).toEqual([]);
  });

  it("filters by image and by flavor (an unknown flavor gives an empty list)", async () => {
    expect(await listNames(`image=${IMAGE_ID}`)).toEqual(["lst-a", "lst-b", "lst-c"]);
    expect(await listNames(`image=${MISSING}`)).toEqual([]);
    expect(await listNames(`flavor=${SMALL}`)).toEqual(["lst-b"]);
    expect(await listNames("flavor=999")).toEqual([]);
  });

  it("filters by ip as a regular expression", async () => {
    const addr = (await h.show(ids["lst-a"]!)).addresses.private[0].addr as string;
    expect(await listNames(`ip=${encodeURIComponent(`^${escapeRegExp(addr)}$`)}`)).toEqual(["lst-a"]);
    expect(await listNames(`ip=${encodeURIComponent("^192\\.168\\.")}`)).toEqual([]);
  });

  it("filters by status, case-insensitively", async () => {
    const s = await h.call({
      method: "POST",
      url: `/servers/${ids["lst-c"]}/action`,
      body: { "os-stop": null },
    });
    expect(s.status).toBe(202);
    await h.drain();
    try {
      expect(await listNames("status=SHUTOFF")).toEqual(["lst-c"]);
      expect(await listNames("status=shutoff")).toEqual(["lst-c"]);
      expect(await listNames("status=ACTIVE")).toEqual(["lst-a", "lst-b"]);
      expect(await listNames("status=ACTIVE&status=SHUTOFF")).toEqual(["lst-a", "lst-b", "lst-c"]);
      expect(await listNames("status=PAUSED")).toEqual([]);
    } finally {
      await h.action(ids["lst-c"]!, { "os-start": null });
      await h.drain();
    }
  });

  it("answers an unknown status with an empty list at 2.37 and 400 from 2.38", async () => {
    const old = await h.call({ url: "/servers?status=bogus", version: "2.37" });
    expect(old.status).toBe(200);
    expect(old.json.servers).toEqual([]);
    const detail = await h.call({ url: "/servers/detail?status=bogus", version: "2.37" });
    expect(detail.json.servers).toEqual([]);
    const now = await h.call({ url: "/servers?status=bogus", version: "2.38" });
    expect(now.status).toBe(400);
    expect(now.json).toEqual({ badRequest: { code: 400, message: "Invalid status value" } });
  });

  it("shows recently deleted servers (status DELETED) only with changes-since", async () => {
    const { id } = await h.createServer({ name: "lst-deleted" });
    await h.drain();
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
    await h.drain();
    expect(await listNames("")).not.toContain("lst-deleted");
    expect(names((await list(`changes-since=${before}`)).servers)).toContain("lst-deleted");
    const detail = await h.call({
      url: `/servers/detail?name=^lst-deleted$&changes-since=${before}`,
      version: "2.66",
    });
    expect(detail.json.servers).toHaveLength(1);
    expect(detail.json.servers[0].status).toBe("DELETED");
    expect(detail.json.servers[0]["OS-EXT-STS:vm_state"]).toBe("deleted");
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`changes-since=${later}`)).servers).toEqual([]);
    const windowed = await h.call({
      url: `/servers?name=^lst-deleted$&changes-before=${later}`,
      version: "2.66",
    });
    expect(names(windowed.json.servers)).toEqual(["lst-deleted"]);
  });

  it("refuses changes-before earlier than changes-since, and an unparseable time", async () => {
    const r = await h.call({
      url: "/servers?changes-since=2030-01-02T00:00:00Z&changes-before=2030-01-01T00:00:00Z",
      version: "2.66",
    });
    expect(r.status).toBe(400);
    expect(r.json.badRequest.message).toBe(
      "The value of changes-since must be less than or equal to changes-before.",
    );
    expect((await h.call({ url: "/servers?changes-since=yesterday" })).status).toBe(400);
  });

  it("filters by tags from 2.26 (all, any, not all, not any); non-admins' filter is dropped before", async () => {
    const put = async (name: string, tags: string[]) => {
      const r = await h.call({
        method: "PUT",
        url: `/servers/${ids[name]}/tags`,
        version: "2.26",
        body: { tags },
      });
      expect(r.status).toBe(200);
    };
    await put("lst-a", ["x", "y"]);
    await put("lst-b", ["x"]);
    await put("lst-c", []);
    const at = { version: "2.26" };
    expect(await listNames("tags=x,y", at)).toEqual(["lst-a"]);
    expect(await listNames("tags=x", at)).toEqual(["lst-a", "lst-b"]);
    expect(await listNames("tags-any=y,z", at)).toEqual(["lst-a"]);
    expect(await listNames("tags-any=x,z", at)).toEqual(["lst-a", "lst-b"]);
    expect(await listNames("not-tags=x,y", at)).toEqual(["lst-b", "lst-c"]);
    expect(await listNames("not-tags-any=y", at)).toEqual(["lst-b", "lst-c"]);
    expect(await listNames("not-tags-any=x", at)).toEqual(["lst-c"]);
    expect(await listNames("tags=x,y", { version: "2.25" })).toEqual(["lst-a", "lst-b", "lst-c"]);
  });

  it("filters by locked from 2.73 (dropped for non-admins before)", async () => {
    expect((await h.action(ids["lst-b"]!, { lock: null })).status).toBe(202);
    try {
      expect(await listNames("locked=true", { version: "2.73" })).toEqual(["lst-b"]);
      expect(await listNames("locked=false", { version: "2.73" })).toEqual(["lst-a", "lst-c"]);
      expect(await listNames("locked=true", { version: "2.72" })).toEqual(["lst-a", "lst-b", "lst-c"]);
    } finally {
      await h.action(ids["lst-b"]!, { unlock: null });
    }
  });

  it("sorts by sort_key/sort_dir", async () => {
    const sorted = async (query: string, version?: string) =>
      names((await list(`name=^lst-[abc]$&${query}`, { version })).servers);
    expect(await sorted("sort_key=display_name&sort_dir=asc")).toEqual(["lst-a", "lst-b", "lst-c"]);
    expect(await sorted("sort_key=display_name&sort_dir=desc")).toEqual(["lst-c", "lst-b", "lst-a"]);
    expect(await sorted("sort_key=created_at&sort_dir=asc")).toEqual(["lst-a", "lst-b", "lst-c"]);
    expect(
      await sorted("sort_key=instance_type_id&sort_dir=desc&sort_key=display_name&sort_dir=asc"),
    ).toEqual(["lst-b", "lst-a", "lst-c"]);
  });

  it("sorts by locked only from 2.73 (an ignored sort key before)", async () => {
    expect((await h.action(ids["lst-a"]!, { lock: null })).status).toBe(202);
    try {
      const sorted = async (version: string) =>
        names((await list("name=^lst-[abc]$&sort_key=locked&sort_dir=desc", { version })).servers);
      expect((await sorted("2.73"))[0]).toBe("lst-a");
      // the key and its direction are dropped: the default order, newest first
      expect(await sorted("2.72")).toEqual(["lst-c", "lst-b", "lst-a"]);
    } finally {
      await h.action(ids["lst-a"]!, { unlock: null });
    }
  });

  it("refuses admin-only sort keys to non-admins", async () => {
    const r = await h.call({ url: "/servers?sort_key=host" });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({
      forbidden: { code: 403, message: "Only administrators can sort servers by host" },
    });
    expect((await h.call({ url: "/servers?sort_key=host", as: "admin" })).status).toBe(200);
  });

  it("pages with limit and marker and links the next page", async () => {
    const query = "name=^lst-[abc]$&sort_key=display_name&sort_dir=asc";
    const first = await list(`${query}&limit=2`);
    expect(names(first.servers)).toEqual(["lst-a", "lst-b"]);
    expect(first.servers_links).toHaveLength(1);
    const next = new URL(first.servers_links[0].href);
    expect(first.servers_links[0].rel).toBe("next");
    expect(first.servers_links[0].href.split("?")[0]).toBe(`${BASE}/v2.1/servers`);
    expect([...next.searchParams.entries()].sort()).toEqual(
      [
        ["limit", "2"],
        ["marker", ids["lst-b"]!],
        ["name", "^lst-[abc]$"],
        ["sort_dir", "asc"],
        ["sort_key", "display_name"],
      ].sort(),
    );

    const second = await h.call({ url: `/servers?${next.searchParams.toString()}` });
    expect(names(second.json.servers)).toEqual(["lst-c"]);
    expect(second.json).not.toHaveProperty("servers_links");

    // a page that is exactly full links to a next page, which is empty
    const full = await list(`${query}&limit=3`);
    expect(full.servers).toHaveLength(3);
    const after = new URL(full.servers_links[0].href);
    const empty = await h.call({ url: `/servers?${after.searchParams.toString()}` });
    expect(empty.json).toEqual({ servers: [] });
  });

  it("lists no servers, and no next link, for limit=0 as nova does", async () => {
    for (const path of ["/servers", "/servers/detail"]) {
      const r = await h.call({ url: `${path}?name=^lst-&limit=0` });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ servers: [] });
    }
  });

  it("links the next page of /servers/detail to /servers/detail", async () => {
    const r = await h.call({ url: "/servers/detail?name=^lst-&limit=1" });
    expect(r.json.servers).toHaveLength(1);
    expect(new URL(r.json.servers_links[0].href).pathname).toBe("/compute/v2.1/servers/detail");
  });

  it("answers 400 for an unknown marker, another project's server as marker, and a bad limit", async () => {
    const unknown = await h.call({ url: `/servers?marker=${MISSING}` });
    expect(unknown.status).toBe(400);
    expect(unknown.json.badRequest.message).toContain(MISSING);
    const { id: foreign } = await h.createServer({ name: "lst-foreign", as: "other" });
    await h.drain();
    expect((await h.call({ url: `/servers?marker=${foreign}` })).status).toBe(400);
    expect((await h.call({ url: "/servers?limit=-1" })).status).toBe(400);
    expect((await h.call({ url: "/servers?limit=abc" })).status).toBe(400);
  });

  describe("all_tenants and isolation", () => {
    let foreign: string;
    beforeAll(async () => {
      foreign = (await h.createServer({ name: "iso-other", as: "other" })).id;
      await h.drain();
    });

    it("lets admin list every project with all_tenants, only its own without", async () => {
      const all = await list("all_tenants=1&name=^(lst-a|iso-other)$", { as: "admin" });
      expect(names(all.servers).sort()).toEqual(["iso-other", "lst-a"]);
      const bare = await list("all_tenants&name=^(lst-a|iso-other)$", { as: "admin" });
      expect(names(bare.servers).sort()).toEqual(["iso-other", "lst-a"]);
      const own = await list("name=^(lst-a|iso-other)$", { as: "admin" });
      expect(own.servers).toEqual([]);
      const one = await list(`all_tenants=1&project_id=${h.projects.other}&name=^(lst-a|iso-other)$`, {
        as: "admin",
      });
      expect(names(one.servers)).toEqual(["iso-other"]);
    });

    it("ignores tenant_id when all_tenants is not given (lp:#1185290)", async () => {
      const r = await list(`tenant_id=${h.projects.demo}&name=^lst-a$`, { as: "admin" });
      expect(r.servers).toEqual([]);
    });

    it("answers 403 to a member asking for all_tenants, naming the policy of the list asked", async () => {
      const index = await h.call({ url: "/servers?all_tenants=1" });
      expect(index.status).toBe(403);
      expect(index.json).toEqual({
        forbidden: {
          code: 403,
          message: "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed.",
        },
      });
      const detail = await h.call({ url: "/servers/detail?all_tenants=1" });
      expect(detail.status).toBe(403);
      expect(detail.json.forbidden.message).toBe(
        "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.",
      );
      expect((await h.call({ url: "/servers?all_tenants=0" })).status).toBe(200);
    });

    it("hides another project's servers from lists, show, update, actions and delete", async () => {
      expect(names((await list("")).servers)).not.toContain("iso-other");
      const detail = await h.call({ url: "/servers/detail" });
      expect(names(detail.json.servers)).not.toContain("iso-other");
      const notFound = { itemNotFound: { code: 404, message: `Instance ${foreign} could not be found.` } };
      const show = await h.call({ url: `/servers/${foreign}` });
      expect(show.status).toBe(404);
      expect(show.json).toEqual(notFound);
      const update = await h.call({
        method: "PUT",
        url: `/servers/${foreign}`,
        body: { server: { name: "x" } },
      });
      expect(update.status).toBe(404);
      for (const body of [
        { reboot: { type: "HARD" } },
        { "os-stop": null },
        { lock: null },
        { "os-getConsoleOutput": {} },
      ]) {
        const r = await h.action(foreign, body);
        expect(r.status).toBe(404);
        expect(r.json).toEqual(notFound);
      }
      const del = await h.call({ method: "DELETE", url: `/servers/${foreign}` });
      expect(del.status).toBe(404);
      await h.drain();
      expect((await h.show(foreign, { as: "other" })).status).toBe("ACTIVE");
      expect((await h.show(foreign, { as: "admin" })).name).toBe("iso-other");
    });
  });
});

describe("GET /servers/{id} across microversions", () => {
  let id: string;
  let hinted: string;
  beforeAll(async () => {
    id = (await h.createServer({ name: "view", server: { metadata: { a: "b" } } })).id;
    await h.drain();
    hinted = (
      await h.createServer({
        name: "view-hinted",
        version: "2.74",
        server: { availability_zone: "nova", networks: "auto" },
        extra: { "OS-SCH-HNT:scheduler_hints": { same_host: id } },
      })
    ).id;
    await h.drain();
  });

  // nova's samples are made as admin up to 2.75 and as a member from 2.90
  it.each([
    ["2.1", "servers/server-get-resp.json"],
    ["2.3", "servers/v2.3/server-get-resp.json"],
    ["2.9", "servers/v2.9/server-get-resp.json"],
    ["2.16", "servers/v2.16/server-get-resp.json"],
    ["2.19", "servers/v2.19/server-get-resp.json"],
    ["2.47", "servers/v2.47/server-get-resp.json"],
    ["2.63", "servers/v2.63/server-get-resp.json"],
    ["2.71", "servers/v2.71/server-get-resp.json"],
    ["2.73", "servers/v2.73/server-get-resp.json"],
  ])("shows admin nova's fields at %s", async (version, file) => {
    const server = await h.show(id, { as: "admin", version });
    expect(keysOf(server)).toEqual(keysOf(sample(file).server));
  });

  it.each([
    ["2.90", "servers/v2.90/server-get-resp.json"],
    ["2.94", "servers/v2.94/server-get-resp.json"],
    ["2.96", "servers/v2.96/server-get-resp.json"],
    ["2.98", "servers/v2.98/server-get-resp.json"],
    ["2.100", "servers/v2.100/server-get-resp.json"],
  ])("shows a member nova's fields at %s", async (version, file) => {
    const server = await h.show(id, { version });
    expect(keysOf(server)).toEqual(keysOf(sample(file).server));
  });

  it("hides the extended server attributes and host_status from members", async () => {
    for (const version of ["2.1", "2.3", "2.16", "2.89"]) {
      const server = await h.show(id, { version });
      expect(Object.keys(server).filter((k) => k.startsWith("OS-EXT-SRV-ATTR:"))).toEqual([]);
      expect(server).not.toHaveProperty("host_status");
    }
    const admin = await h.show(id, { as: "admin", version: "2.16" });
    expect(admin.host_status).toBe("UP");
    expect(admin["OS-EXT-SRV-ATTR:host"]).toEqual(expect.any(String));
    expect(admin["OS-EXT-SRV-ATTR:hypervisor_hostname"]).toBe(admin["OS-EXT-SRV-ATTR:host"]);
    expect(admin["OS-EXT-SRV-ATTR:hostname"]).toBe("view");
    expect(admin["OS-EXT-SRV-ATTR:launch_index"]).toBe(0);
    expect(admin["OS-EXT-SRV-ATTR:root_device_name"]).toBe("/dev/vda");
  });

  it("shows the hostname to members from 2.90", async () => {
    expect(await h.show(id, { version: "2.89" })).not.toHaveProperty("OS-EXT-SRV-ATTR:hostname");
    expect((await h.show(id, { version: "2.90" }))["OS-EXT-SRV-ATTR:hostname"]).toBe("view");
  });

  it("switches the flavor to an embedded dict at 2.47", async () => {
    expect((await h.show(id, { version: "2.46" })).flavor).toEqual({
      id: TINY,
      links: [{ href: `${BASE}/flavors/${TINY}`, rel: "bookmark" }],
    });
    expect((await h.show(id, { version: "2.47" })).flavor).toEqual({
      vcpus: 1,
      ram: 512,
      disk: 1,
      ephemeral: 0,
      swap: 0,
      original_name: "m1.tiny",
      extra_specs: {},
    });
  });

  it("adds locked (2.9), description (2.19), tags (2.26), trusted_image_certificates (2.63), locked_reason (2.73)", async () => {
    const steps: Array<[string, string, unknown]> = [
      ["2.9", "locked", false],
      ["2.19", "description", undefined],
      ["2.26", "tags", []],
      ["2.63", "trusted_image_certificates", null],
      ["2.73", "locked_reason", null],
    ];
    for (const [version, key, value] of steps) {
      const [major, minor] = version.split(".").map(Number) as [number, number];
      expect(await h.show(id, { version: `${major}.${minor - 1}` })).not.toHaveProperty(key);
      const shown = await h.show(id, { version });
      expect(shown).toHaveProperty(key);
      // the description of a server made before 2.19 has its own test above
      if (value !== undefined) expect(shown[key]).toEqual(value);
    }
  });

  it("shows server_groups from 2.71 on show, never on detail", async () => {
    expect(await h.show(id, { version: "2.70" })).not.toHaveProperty("server_groups");
    expect((await h.show(id, { version: "2.71" })).server_groups).toEqual([]);
    const detail = await h.call({ url: "/servers/detail?name=^view$", version: "latest" });
    expect(detail.json.servers[0]).not.toHaveProperty("server_groups");
  });

  it("shows pinned_availability_zone from 2.96: the zone asked at create, else null", async () => {
    expect(await h.show(hinted, { version: "2.95" })).not.toHaveProperty("pinned_availability_zone");
    expect((await h.show(hinted, { version: "2.96" })).pinned_availability_zone).toBe("nova");
    expect((await h.show(id, { version: "2.96" })).pinned_availability_zone).toBeNull();
  });

  it("shows the image's properties from 2.98", async () => {
    expect((await h.show(id, { version: "2.97" })).image).not.toHaveProperty("properties");
    expect((await h.show(id, { version: "2.98" })).image).toEqual({
      id: IMAGE_ID,
      links: [{ href: `${BASE}/images/${IMAGE_ID}`, rel: "bookmark" }],
      properties: BOOTSTRAP_IMAGE_PROPERTIES,
    });
  });

  it("shows the scheduler hints from 2.100 as nova's request spec keeps them (values are lists)", async () => {
    expect(await h.show(hinted, { version: "2.99" })).not.toHaveProperty("scheduler_hints");
    expect((await h.show(hinted, { version: "2.100" })).scheduler_hints).toEqual({ same_host: [id] });
    expect((await h.show(id, { version: "2.100" })).scheduler_hints).toEqual({});
  });

  it("detail and show agree on everything but server_groups at the newest version", async () => {
    const detail = await h.call({ url: "/servers/detail?name=^view$", version: "latest" });
    const { server_groups: _g, ...show } = await h.show(id, { version: "latest" });
    expect(detail.json.servers).toEqual([show]);
  });
});

describe("PUT /servers/{id}", () => {
  let id: string;
  beforeAll(async () => {
    id = await h.activeServer({ name: "upd" });
  });

  const update = (server: Record<string, unknown>, version?: string, as: "demo" | "admin" = "demo") =>
    h.call({ method: "PUT", url: `/servers/${id}`, body: { server }, version, as });

  it("answers the basic view before 2.75, without extended attributes or address types", async () => {
    const r = await update({ name: "upd-1", accessIPv4: "192.0.2.1" });
    expect(r.status).toBe(200);
    expect(keysOf(r.json.server)).toEqual(keysOf(sample("servers/server-update-resp.json").server));
    expect(r.json.server.name).toBe("upd-1");
    expect(r.json.server.accessIPv4).toBe("192.0.2.1");
    expect(r.json.server.addresses.private).toEqual([
      { version: 4, addr: expect.any(String) },
      { version: 6, addr: expect.any(String) },
    ]);
    expect((await h.show(id)).name).toBe("upd-1");
  });

  it("keeps accessIPv6 in nova's compact form, on create, update and rebuild", async () => {
    const given = "0000:0000:0000:0000:0000:babe:220.12.22.2";
    const { id: created } = await h.createServer({ name: "v6", server: { accessIPv6: given } });
    await h.drain();
    expect((await h.show(created)).accessIPv6).toBe("::babe:dc0c:1602");
    expect((await update({ accessIPv6: "2001:DB8:0:0:1:0:0:1" })).json.server.accessIPv6).toBe(
      "2001:db8::1:0:0:1",
    );
    const rebuilt = await h.action(created, {
      rebuild: { imageRef: IMAGE_ID, accessIPv6: "FE80:0:0:0:0:0:0:1" },
    });
    expect(rebuilt.json.server.accessIPv6).toBe("fe80::1");
    await h.drain();
    expect((await h.show(created)).accessIPv6).toBe("fe80::1");
  });

  it.each([
    ["2.47", "servers/v2.47/server-update-resp.json"],
    ["2.63", "servers/v2.63/server-update-resp.json"],
    ["2.71", "servers/v2.71/server-update-resp.json"],
    ["2.73", "servers/v2.73/server-update-resp.json"],
  ])("answers nova's update fields at %s", async (version, file) => {
    const r = await update({ name: "upd-2" }, version, "admin");
    expect(r.status).toBe(200);
    expect(keysOf(r.json.server)).toEqual(keysOf(sample(file).server));
  });

  it("answers the full view from 2.75", async () => {
    const admin = await update({ name: "upd-3" }, "2.75", "admin");
    expect(keysOf(admin.json.server)).toEqual(keysOf(sample("servers/v2.75/server-update-resp.json").server));
    const member = await update({ name: "upd-3" }, "2.75");
    const { server_groups: _g, ...view } = member.json.server;
    const shown = await h.show(id, { version: "2.75" });
    const { server_groups: _s, updated: _u1, ...expected } = shown;
    const { updated: _u2, ...got } = view;
    expect(got).toEqual(expected);
    expect(member.json.server.server_groups).toEqual([]);
  });

  it("sets and clears the description from 2.19 (400 before)", async () => {
    expect((await update({ description: "desc" })).status).toBe(400);
    expect((await update({ description: "desc" }, "2.19")).json.server.description).toBe("desc");
    expect((await update({ description: null }, "2.19")).json.server.description).toBeNull();
  });

  it("sets the hostname from 2.90", async () => {
    expect((await update({ hostname: "new-host" }, "2.89")).status).toBe(400);
    const r = await update({ hostname: "new-host" }, "2.90");
    expect(r.status).toBe(200);
    expect(r.json.server["OS-EXT-SRV-ATTR:hostname"]).toBe("new-host");
  });

  it("answers 400 for an invalid name or an unknown key", async () => {
    expect((await update({ name: "" })).status).toBe(400);
    expect((await update({ flavor: "2" })).status).toBe(400);
  });

  describe("pinned_availability_zone (2.104)", () => {
    it("is refused before 2.104", async () => {
      expect((await update({ pinned_availability_zone: null }, "2.103")).status).toBe(400);
    });

    it("pins an unpinned server to its own zone only", async () => {
      const unpinned = await update({ pinned_availability_zone: null }, "2.104");
      expect(unpinned.status).toBe(200);
      expect(unpinned.json.server.pinned_availability_zone).toBeNull();

      const elsewhere = await update({ pinned_availability_zone: "elsewhere" }, "2.104");
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.json).toEqual({
        conflictingRequest: {
          code: 409,
          message:
            "Server can only be pinned to its current availability zone 'nova', but 'elsewhere' was requested.",
        },
      });

      const pinned = await update({ pinned_availability_zone: "nova" }, "2.104");
      expect(pinned.status).toBe(200);
      expect(pinned.json.server.pinned_availability_zone).toBe("nova");
      expect((await h.show(id, { version: "2.104" })).pinned_availability_zone).toBe("nova");
    });

    it("refuses to move a pinned server to another zone directly; null unpins", async () => {
      expect((await update({ pinned_availability_zone: "nova" }, "2.104")).status).toBe(200);
      const moved = await update({ pinned_availability_zone: "elsewhere" }, "2.104");
      expect(moved.status).toBe(409);
      expect(moved.json.conflictingRequest.message).toBe(
        "Cannot change pinned availability zone directly. Unpin first by setting pinned_availability_zone to null.",
      );
      const unpinned = await update({ pinned_availability_zone: null }, "2.104");
      expect(unpinned.status).toBe(200);
      expect(unpinned.json.server.pinned_availability_zone).toBeNull();
    });
  });
});

describe("DELETE /servers/{id}", () => {
  it("answers 204 with no body; the server is gone once the delete has run", async () => {
    const id = await h.activeServer({ name: "del" });
    const r = await h.withEngineStopped(async () => {
      const r = await h.call({ method: "DELETE", url: `/servers/${id}` });
      const deleting = await h.show(id, { version: "2.1" });
      expect(deleting["OS-EXT-STS:task_state"]).toBe("deleting");
      return r;
    });
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    const gone = await h.call({ url: `/servers/${id}` });
    expect(gone.status).toBe(404);
    expect(gone.json).toEqual({ itemNotFound: { code: 404, message: `Instance ${id} could not be found.` } });
    expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(404);
  });

  it("deletes a server still in BUILD", async () => {
    await h.withEngineStopped(async () => {
      const { id } = await h.createServer({ name: "del-build" });
      expect((await h.show(id)).status).toBe("BUILD");
      expect((await h.call({ method: "DELETE", url: `/servers/${id}` })).status).toBe(204);
      return id;
    });
    const listed = await h.call({ url: "/servers?name=^del-build$" });
    expect(listed.json.servers).toEqual([]);
  });

  it("refuses a locked server to its member (409) but not to admin", async () => {
    const id = await h.activeServer({ name: "del-locked" });
    expect((await h.action(id, { lock: null })).status).toBe(202);
    const refused = await h.call({ method: "DELETE", url: `/servers/${id}` });
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ conflictingRequest: { code: 409, message: `Instance ${id} is locked` } });
    expect((await h.call({ method: "DELETE", url: `/servers/${id}`, as: "admin" })).status).toBe(204);
    await h.drain();
    expect((await h.call({ url: `/servers/${id}` })).status).toBe(404);
  });
});

describe("quotas on create", () => {
  // the "other" project: its usage is read first, the limits set relative to it
  const inUse = async () => {
    const r = await h.call({ url: `/os-quota-sets/${h.projects.other}/detail`, as: "admin" });
    expect(r.status).toBe(200);
    return r.json.quota_set.instances.in_use as number;
  };
  const create = (server: Record<string, unknown> = {}) =>
    h.call({
      method: "POST",
      url: "/servers",
      as: "other",
      body: { server: { name: "quota", imageRef: IMAGE_ID, flavorRef: TINY, ...server } },
    });

  afterAll(async () => {
    await h.setQuota("other", { instances: -1, cores: -1, ram: -1 });
  });

  it("answers 403 with nova's message past the instances limit; a delete frees the slot", async () => {
    const used = await inUse();
    await h.setQuota("other", { instances: used + 1 });
    const ok = await create();
    expect(ok.status).toBe(202);
    const refused = await create();
    expect(refused.status).toBe(403);
    expect(refused.json).toEqual({
      forbidden: {
        code: 403,
        message: `Quota exceeded for instances: Requested 1, but already used ${used + 1} of ${used + 1} instances`,
      },
    });
    await h.drain();
    expect(
      (await h.call({ method: "DELETE", url: `/servers/${ok.json.server.id}`, as: "other" })).status,
    ).toBe(204);
    await h.drain();
    expect(await inUse()).toBe(used);
    expect((await create()).status).toBe(202);
    await h.drain();
  });

  it("checks cores and ram too", async () => {
    await h.setQuota("other", { instances: -1, cores: 0 });
    const refused = await create();
    expect(refused.status).toBe(403);
    expect(refused.json.forbidden.message).toMatch(
      /^Quota exceeded for cores: Requested 1, but already used \d+ of 0 cores$/,
    );
    await h.setQuota("other", { cores: -1 });
  });

  it("never lets parallel creates exceed the limit", async () => {
    const used = await inUse();
    await h.setQuota("other", { instances: used + 3 });
    const results = await Promise.all(Array.from({ length: 12 }, () => create({ name: "quota-race" })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(3);
    expect(statuses.filter((s) => s === 403)).toHaveLength(9);
    await h.drain();
    expect(await inUse()).toBe(used + 3);
  });

  it("creates as many as fit between min_count and max_count", async () => {
    const used = await inUse();
    await h.setQuota("other", { instances: used + 2 });
    const r = await create({ name: "quota-fit", min_count: 1, max_count: 5 });
    expect(r.status).toBe(202);
    await h.drain();
    const listed = await h.call({ url: "/servers?name=^quota-fit", as: "other" });
    expect(names(listed.json.servers).sort()).toEqual(["quota-fit-1", "quota-fit-2"]);
    expect(await inUse()).toBe(used + 2);
  });

  it("refuses a range whose min_count does not fit, naming the range as nova does", async () => {
    const used = await inUse();
    await h.setQuota("other", { instances: used + 2 });
    const r = await create({ name: "quota-range", min_count: 3, max_count: 4 });
    expect(r.status).toBe(403);
    expect(r.json.forbidden.message).toBe(
      `Quota exceeded for instances: Requested 3-4, but already used ${used} of ${used + 2} instances`,
    );
    expect(await inUse()).toBe(used);
  });
});
