/**
 * Crash recovery of moves: on three simulated hosts, a cold migration, a resize to another
 * host and an evacuation (from a host forced down) are each caught by a kill -9 while a
 * host step is under way. After a restart on the same data directory each move goes on
 * from its last step, and each server must end ACTIVE on exactly one host with its claims
 * there and nowhere else (the migration left waiting in VERIFY_RESIZE confirmed, the
 * resize reverted, which needs the old guest kept on its source across the crash).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  computeClient,
  login,
  type NimbusProcess,
  request,
  startNimbusProcess,
  waitUntil,
} from "./support.js";

interface ServerView {
  id: string;
  name: string;
  status: string;
  "OS-EXT-SRV-ATTR:host": string | null;
  "OS-EXT-STS:task_state": string | null;
  fault?: { code: number; message: string };
}

/** The task_states of the steps in which a host does the move's work (they take a step each). */
const HOST_STEPS = new Set(["resize_migrating", "resize_migrated", "resize_finish", "rebuild_spawning"]);
const HOSTS = ["--fake-hosts", "3"];
const NANO = "42";
const MICRO = "84";

let nimbus: NimbusProcess | undefined;

describe("kill -9 in the middle of a move", () => {
  afterAll(async () => {
    await nimbus?.stop();
  });

  it("leaves each server ACTIVE on one host with its claims there", async () => {
    nimbus = await startNimbusProcess({ args: HOSTS });
    const { dataDir, port } = nimbus;
    const admin = await login(nimbus.url, "admin", ADMIN_PASSWORD, "admin");
    let api = computeClient(nimbus.url, admin.token, "2.53");
    const images = await request(nimbus.url, { method: "GET", path: "/image/v2/images", token: admin.token });
    const image: string = images.body.images[0].id;

    // three servers, one on each host (the scheduler spreads them by free RAM)
    const ids: string[] = [];
    for (const name of ["migrant", "grower", "evacuee"]) {
      const r = await api("POST", "/servers", {
        server: { name, flavorRef: NANO, imageRef: image, networks: "none" },
      });
      expect(r.status, r.text).toBe(202);
      ids.push(r.body.server.id);
    }
    const show = async (id: string) => (await api("GET", `/servers/${id}`)).body.server as ServerView;
    await waitUntil("the servers to be ACTIVE", async () => {
      const all = await Promise.all(ids.map(show));
      return all.every((s) => s.status === "ACTIVE") ? all : undefined;
    });
    const [migrant, grower, evacuee] = ids as [string, string, string];
    const before = new Map(
      await Promise.all(ids.map(async (id) => [id, (await show(id))["OS-EXT-SRV-ATTR:host"]!] as const)),
    );
    expect(new Set(before.values()).size).toBe(3);

    // again with host steps slow enough to be caught in the middle
    await nimbus.stop();
    nimbus = await startNimbusProcess({ dataDir, port, fakeStepMs: 2500, args: HOSTS });
    api = computeClient(nimbus.url, admin.token, "2.53");
    const services = (await api("GET", "/os-services?binary=nova-compute")).body.services as Array<{
      id: string;
      host: string;
    }>;
    const down = services.find((s) => s.host === before.get(evacuee))!;
    const forced = await api("PUT", `/os-services/${down.id}`, { forced_down: true });
    expect(forced.status, forced.text).toBe(200);

    for (const [id, body] of [
      [migrant, { migrate: null }],
      [grower, { resize: { flavorRef: MICRO } }],
      [evacuee, { evacuate: {} }],
    ] as const) {
      const r = await api("POST", `/servers/${id}/action`, body);
      expect(r.status, `${id}: ${r.text}`).toBe(id === evacuee ? 200 : 202);
    }
    await waitUntil(
      "every move to be in a host step",
      async () => {
        const all = await Promise.all(ids.map(show));
        return all.every((s) => HOST_STEPS.has(s["OS-EXT-STS:task_state"] ?? "")) ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    await nimbus.kill9();
    nimbus = await startNimbusProcess({ dataDir, port, args: HOSTS });
    api = computeClient(nimbus.url, admin.token, "2.53");

    // a confirm sets no task_state (nova's neither): it has ended when the server left VERIFY_RESIZE
    const settled = async (waiting: boolean) =>
      waitUntil(
        "every server to settle",
        async () => {
          const all = await Promise.all(ids.map(show));
          const done = (s: ServerView) =>
            s["OS-EXT-STS:task_state"] === null && (waiting || s.status !== "VERIFY_RESIZE");
          return all.every(done) ? all : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
    // and a crash while they wait in VERIFY_RESIZE: the old guest left on the source, off,
    // goes with a confirm (the migration's) and must start again with a revert (the resize's)
    const waiting = await settled(true);
    await nimbus.kill9();
    nimbus = await startNimbusProcess({ dataDir, port, args: HOSTS });
    api = computeClient(nimbus.url, admin.token, "2.53");
    for (const server of waiting) {
      if (server.status !== "VERIFY_RESIZE") continue;
      const revert = server.id === grower;
      const r = await api(
        "POST",
        `/servers/${server.id}/action`,
        revert ? { revertResize: null } : { confirmResize: null },
      );
      expect(r.status, r.text).toBe(revert ? 202 : 204);
    }

    const providers = (
      await request(nimbus.url, { method: "GET", path: "/placement/resource_providers", token: admin.token })
    ).body.resource_providers as Array<{ uuid: string; name: string }>;
    const hostOf = new Map(providers.map((p) => [p.uuid, p.name]));
    const url = nimbus.url;
    const claims = async (consumer: string) => {
      const r = await request(url, {
        method: "GET",
        path: `/placement/allocations/${consumer}`,
        token: admin.token,
      });
      return Object.keys(r.body.allocations as object).map((uuid) => hostOf.get(uuid));
    };

    for (const server of await settled(false)) {
      const label = `${server.name}: ${JSON.stringify(server)}`;
      // a move caught by the crash goes on from its last step: none needs to end in ERROR
      expect(server.status, label).toBe("ACTIVE");
      const host = server["OS-EXT-SRV-ATTR:host"];
      expect(await claims(server.id), label).toEqual([host]);
      // its guest runs there: the host answers for its console
      const log = await api("POST", `/servers/${server.id}/action`, { "os-getConsoleOutput": {} });
      expect(log.status, `${label}: ${log.text}`).toBe(200);
      // every move has ended
      const migrations = (await api("GET", `/os-migrations?instance_uuid=${server.id}`)).body
        .migrations as Array<{
        uuid?: string;
        status: string;
      }>;
      expect(migrations.length, label).toBeGreaterThan(0);
      for (const m of migrations) {
        expect(["confirmed", "reverted", "error", "done", "completed"], label).toContain(m.status);
      }
    }
    // the evacuee left its host: once that host is back its old guest and claims go
    const evacuated = await show(evacuee);
    if (evacuated.status === "ACTIVE") expect(evacuated["OS-EXT-SRV-ATTR:host"]).not.toBe(down.host);
    const back = await api("PUT", `/os-services/${down.id}`, { forced_down: false });
    expect(back.status, back.text).toBe(200);
    // what the migrations held is gone (an evacuation's, on the failed host, once it is back)
    const latest = computeClient(nimbus.url, admin.token, "2.59");
    for (const id of ids) {
      const listed = (await latest("GET", `/os-migrations?instance_uuid=${id}`)).body.migrations as Array<{
        uuid: string;
      }>;
      for (const m of listed) expect(await claims(m.uuid), `migration ${m.uuid} of ${id}`).toEqual([]);
    }

    const hypervisors = (await api("GET", "/os-hypervisors/detail")).body.hypervisors as Array<{
      hypervisor_hostname: string;
      running_vms: number;
    }>;
    const running = hypervisors.reduce((sum, hv) => sum + hv.running_vms, 0);
    expect(running).toBe(ids.length);
  }, 180_000);
});
