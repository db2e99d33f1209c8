/**
 * End to end on `nimbus serve --fake-hosts 2` with slow host steps (a live migration's
 * copy takes ten seconds), driven by the real openstack CLI: a live migration in
 * progress seen with `server migration show` (its copy's progress), made to complete with
 * `server migration force complete`, and another one stopped with `server migration abort`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Clients, haveClients, type NimbusProcess, startNimbusProcess, waitUntil } from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";
const STEP_MS = 1000;

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;

describe.skipIf(!haveClients)("live migrations in progress with the real CLI", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ fakeStepMs: STEP_MS, args: ["--fake-hosts", "2"] });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  const host = async (id: string) => (await admin.json(["server", "show", id]))["OS-EXT-SRV-ATTR:host"];
  const v = (version: string) => ["--os-compute-api-version", version];

  /** Starts a live migration of the server (without --wait) and answers it once it copies. */
  async function liveMigrating(id: string): Promise<Record<string, unknown>> {
    await admin.openstack([...v("2.34"), "server", "migrate", "--live-migration", id]);
    return waitUntil(
      "the live migration to be running",
      async () => {
        const [m] = await admin.json([...v("2.59"), "server", "migration", "list", "--server", id]);
        return m?.Status === "running" ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  it("server migration show, then force complete: the server ends on the other host", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-hasty"],
      120_000,
    );
    const source = await host(created.id);
    const migration = await liveMigrating(created.id);
    const shown = await waitUntil(
      "the copy to report its progress",
      async () => {
        const m = await admin.json([
          ...v("2.24"),
          "server",
          "migration",
          "show",
          created.id,
          String(migration.Id),
        ]);
        return m["Memory Processed Bytes"] > 0 ? m : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(shown).toMatchObject({
      Status: "running",
      "Source Compute": source,
      "Memory Total Bytes": 128 * 1024 * 1024,
    });
    // still copying (how far it got depends on how fast the CLI answers on a loaded machine)
    expect(shown["Memory Remaining Bytes"]).toBeGreaterThan(0);
    await admin.openstack([
      ...v("2.22"),
      "server",
      "migration",
      "force",
      "complete",
      created.id,
      String(migration.Id),
    ]);
    await waitUntil(
      "the server to be ACTIVE on the other host",
      async () => {
        const s = await admin.json(["server", "show", created.id]);
        return s.status === "ACTIVE" && s["OS-EXT-SRV-ATTR:host"] !== source ? true : undefined;
      },
      // sooner than the rest of the copy would take (more than half of its ten steps)
      { timeoutMs: STEP_MS * 4, intervalMs: 100 },
    );
    const [done] = await admin.json([...v("2.59"), "server", "migration", "list", "--server", created.id]);
    expect(done.Status).toBe("completed");
  }, 300_000);

  it("server migration abort: the server stays on its source, the migration cancelled", async () => {
    const created = await demo.json(
      ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-recalled"],
      120_000,
    );
    const source = await host(created.id);
    const migration = await liveMigrating(created.id);
    await admin.openstack([...v("2.24"), "server", "migration", "abort", created.id, String(migration.Id)]);
    await waitUntil(
      "the server to be ACTIVE again",
      async () => ((await admin.json(["server", "show", created.id])).status === "ACTIVE" ? true : undefined),
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(await host(created.id)).toBe(source);
    const [ended] = await admin.json([...v("2.59"), "server", "migration", "list", "--server", created.id]);
    expect(ended.Status).toBe("cancelled");
  }, 300_000);
});
