/**
 * Crash recovery: kill -9 the process while 20 servers are building, restart it on the
 * same data directory and port, and every server must end ACTIVE, or ERROR with a fault;
 * none may stay in BUILD or keep a task_state.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  computeClient,
  DEMO_PASSWORD,
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
  "OS-EXT-STS:task_state": string | null;
  "OS-EXT-STS:vm_state": string;
  fault?: { code: number; message: string; created: string };
  addresses: Record<string, Array<{ addr: string }>>;
}

const SERVERS = 20;
const MULTI = 10;

let nimbus: NimbusProcess | undefined;

describe("kill -9 while servers are building", () => {
  afterAll(async () => {
    await nimbus?.stop();
  });

  it("ends every server ACTIVE, or ERROR with a fault, after a restart", async () => {
    // Host steps slow enough that the builds are still running when the process dies
    // (a build is a little over one step of spawning), even on a loaded machine.
    nimbus = await startNimbusProcess({ fakeStepMs: 1500 });
    const { dataDir, port } = nimbus;

    const admin = await login(nimbus.url, "admin", ADMIN_PASSWORD, "admin");
    const demo = await login(nimbus.url, "demo", DEMO_PASSWORD, "demo");
    // Nova's default quota (10 instances) would refuse 20.
    const quota = await computeClient(nimbus.url, admin.token)("PUT", `/os-quota-sets/${demo.projectId}`, {
      quota_set: { instances: 50, cores: 100, ram: 512_000 },
    });
    expect(quota.status, quota.text).toBe(200);

    const api = computeClient(nimbus.url, demo.token);
    const images = await request(nimbus.url, { method: "GET", path: "/image/v2/images", token: demo.token });
    const image: string = images.body?.images?.[0]?.id ?? "";
    expect(image, images.text).not.toBe("");

    // Half in one multi-create request, half as single concurrent requests; one of the
    // singles is set to fail its spawn so that the ERROR path is crossed too.
    const multi = api("POST", "/servers", {
      server: { name: "crash-multi", flavorRef: "42", imageRef: image, min_count: MULTI, max_count: MULTI },
    });
    const singles = Array.from({ length: SERVERS - MULTI }, (_, i) =>
      api("POST", "/servers", {
        server: {
          name: i === 0 ? "crash-nimbus-fake-fail" : `crash-single-${i}`,
          flavorRef: "42",
          imageRef: image,
        },
      }),
    );
    for (const response of await Promise.all([multi, ...singles])) {
      expect(response.status, response.text).toBe(202);
    }

    const before = await api("GET", "/servers/detail");
    expect(before.status, before.text).toBe(200);
    const building = (before.body.servers as ServerView[]).filter((s) => s.status === "BUILD");
    expect(before.body.servers).toHaveLength(SERVERS);
    // The point of the test: the crash must hit builds in flight.
    expect(
      building.length,
      JSON.stringify(before.body.servers.map((s: ServerView) => s.status)),
    ).toBeGreaterThan(SERVERS / 2);

    await nimbus.kill9();
    expect(nimbus.alive()).toBe(false);

    nimbus = await startNimbusProcess({ dataDir, port, fakeStepMs: 100 });
    // Tokens are in the database: the old one still works after the restart.
    const restarted = computeClient(nimbus.url, demo.token);

    const servers = await waitUntil<ServerView[]>(
      "every server to leave BUILD and its task_state",
      async () => {
        const response = await restarted("GET", "/servers/detail");
        if (response.status !== 200) throw new Error(`${response.status} ${response.text}`);
        const list = response.body.servers as ServerView[];
        const settled = list.every((s) => s.status !== "BUILD" && s["OS-EXT-STS:task_state"] === null);
        return settled ? list : undefined;
      },
      {
        timeoutMs: 60_000,
        intervalMs: 500,
        describe: () => "see the last list of servers in the assertion below",
      },
    ).catch(async (error) => {
      const last = await restarted("GET", "/servers/detail");
      const stuck = (last.body?.servers ?? []).map(
        (s: ServerView) => `${s.name} ${s.status} ${s["OS-EXT-STS:task_state"]}`,
      );
      throw new Error(`${(error as Error).message}\n${stuck.join("\n")}`);
    });

    expect(servers).toHaveLength(SERVERS);
    for (const server of servers) {
      const label = `${server.name} ${server.id}: ${JSON.stringify(server)}`;
      expect(["ACTIVE", "ERROR"], label).toContain(server.status);
      expect(server["OS-EXT-STS:task_state"], label).toBeNull();
      if (server.status === "ERROR") {
        expect(server.fault, label).toBeDefined();
        expect(server.fault?.code, label).toEqual(expect.any(Number));
        expect(server.fault?.message, label).toEqual(expect.any(String));
        expect(server.fault?.created, label).toEqual(expect.any(String));
      } else {
        expect(Object.values(server.addresses).flat().length, label).toBeGreaterThan(0);
      }
    }
    const failing = servers.find((s) => s.name === "crash-nimbus-fake-fail");
    expect(failing?.status).toBe("ERROR");

    // The restarted process is whole: a new server builds and the old ones can be deleted.
    const fresh = await restarted("POST", "/servers", {
      server: { name: "after-crash", flavorRef: "42", imageRef: image },
    });
    expect(fresh.status, fresh.text).toBe(202);
    await waitUntil("the new server to be ACTIVE", async () => {
      const r = await restarted("GET", `/servers/${fresh.body.server.id}`);
      return r.body?.server?.status === "ACTIVE" ? true : undefined;
    });
    for (const server of servers) {
      const r = await restarted("DELETE", `/servers/${server.id}`);
      expect(r.status, r.text).toBe(204);
    }
  }, 150_000);
});
