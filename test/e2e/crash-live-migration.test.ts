/**
 * Crash recovery of a live migration: on two simulated hosts whose steps are slow, a
 * server's live migration is caught by a kill -9 while its guest is being copied. After a
 * restart on the same data directory the task runs its step again (the copy starts over)
 * and the server must end ACTIVE on exactly one host, with its claims there and none left
 * to its migration, or in ERROR with a fault; never MIGRATING, never on two hosts.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  ADMIN_PASSWORD,
  computeClient,
  login,
  type NimbusProcess,
  request,
  startNimbusProcess,
  waitUntil,
} from "./support.js";

/** A step of 400 ms: a copy of ten rounds takes 4 s, time enough to be caught in it. */
const STEP_MS = 400;
const HOSTS = ["--fake-hosts", "2"];

let nimbus: NimbusProcess | undefined;

describe("kill -9 in the middle of a live migration", () => {
  afterEach(async () => {
    await nimbus?.stop();
    nimbus = undefined;
  });

  /**
   * Where the kill lands: while the guest is copied (the copy starts over and finishes), or
   * once it is copied, while the source's guest is destroyed before the switch-over (the
   * copy on the destination, held in memory, is lost: the move rolls back, unless the
   * switch-over was recorded before the kill).
   */
  const CATCH = {
    copying: (m: { memory_processed_bytes: number; memory_remaining_bytes: number }) =>
      m.memory_processed_bytes > 0 && m.memory_remaining_bytes > 0,
    "switching over": (m: { memory_remaining_bytes: number | null }) => m.memory_remaining_bytes === 0,
  };

  it.each(Object.keys(CATCH) as Array<keyof typeof CATCH>)(
    "caught %s, ends the server ACTIVE on one host with its claims there only, after a restart",
    async (when) => {
      nimbus = await startNimbusProcess({ fakeStepMs: STEP_MS, args: HOSTS });
      const { dataDir, port } = nimbus;
      const admin = await login(nimbus.url, "admin", ADMIN_PASSWORD, "admin");
      const api = computeClient(nimbus.url, admin.token, "2.80");
      const images = await request(nimbus.url, {
        method: "GET",
        path: "/image/v2/images",
        token: admin.token,
      });
      const image: string = images.body?.images?.[0]?.id ?? "";

      const created = await api("POST", "/servers", {
        server: { name: "crash-live", flavorRef: "42", imageRef: image, networks: "none" },
      });
      expect(created.status, created.text).toBe(202);
      const id: string = created.body.server.id;
      const show = async () => (await api("GET", `/servers/${id}`)).body.server;
      await waitUntil(
        "the server to be ACTIVE",
        async () => ((await show()).status === "ACTIVE" ? true : undefined),
        {
          timeoutMs: 30_000,
        },
      );
      const source: string = (await show())["OS-EXT-SRV-ATTR:host"];

      const moved = await api("POST", `/servers/${id}/action`, {
        "os-migrateLive": { host: null, block_migration: "auto" },
      });
      expect(moved.status, moved.text).toBe(202);
      const running = await waitUntil(
        `the live migration to be ${when}`,
        async () => {
          const r = await api("GET", `/servers/${id}/migrations`);
          const m = r.body?.migrations?.[0];
          return m?.status === "running" && CATCH[when](m) ? m : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 50 },
      );
      const migrationUuid: string = running.uuid;

      await nimbus.kill9();
      expect(nimbus.alive()).toBe(false);
      nimbus = await startNimbusProcess({ dataDir, port, fakeStepMs: STEP_MS, args: HOSTS });
      const restarted = computeClient(nimbus.url, admin.token, "2.80");

      const server = await waitUntil(
        "the server to leave MIGRATING and its migration to end",
        async () => {
          const s = (await restarted("GET", `/servers/${id}`)).body?.server;
          const m = (await restarted("GET", `/os-migrations?instance_uuid=${id}`)).body?.migrations?.[0];
          const ended = ["completed", "error", "failed", "cancelled"].includes(m?.status);
          return s && s.status !== "MIGRATING" && s["OS-EXT-STS:task_state"] === null && ended
            ? s
            : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const label = JSON.stringify(server);
      expect(["ACTIVE", "ERROR"], label).toContain(server.status);
      const migrations = await restarted("GET", `/os-migrations?instance_uuid=${id}`);
      const migration = migrations.body.migrations[0];
      const providers = (
        await request(nimbus.url, {
          method: "GET",
          path: "/placement/resource_providers",
          token: admin.token,
        })
      ).body.resource_providers as Array<{ uuid: string; name: string }>;
      const hostOf = new Map(providers.map((p) => [p.uuid, p.name]));
      const claimsOf = async (consumer: string) => {
        const r = await request(nimbus!.url, {
          method: "GET",
          path: `/placement/allocations/${consumer}`,
          token: admin.token,
        });
        expect(r.status, r.text).toBe(200);
        return Object.keys(r.body.allocations as object).map((uuid) => hostOf.get(uuid));
      };
      if (server.status === "ERROR") {
        expect(server.fault?.message, label).toEqual(expect.any(String));
        expect(["error", "failed"]).toContain(migration.status);
        return;
      }
      const host: string = server["OS-EXT-SRV-ATTR:host"];
      expect(migration, label).toMatchObject({ uuid: migrationUuid, source_compute: source });
      if (when === "copying" || host !== source) {
        // the copy started again and finished (or had, and the switch-over was recorded)
        expect(host, label).not.toBe(source);
        expect(migration).toMatchObject({ status: "completed", dest_compute: host });
      } else {
        // the copy was lost with the process: the move rolled back, the server where it was
        expect(migration.status).toBe("error");
      }
      expect(await claimsOf(id)).toEqual([host]);
      expect(await claimsOf(migrationUuid)).toEqual([]);
      expect(server["OS-EXT-STS:power_state"]).toBe(1);
      // the server still works where it is: it stops and starts
      expect((await restarted("POST", `/servers/${id}/action`, { "os-stop": null })).status).toBe(202);
      await waitUntil("the server to stop", async () =>
        (await restarted("GET", `/servers/${id}`)).body?.server?.status === "SHUTOFF" ? true : undefined,
      );
    },
  );
});
