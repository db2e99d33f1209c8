/**
 * End to end: soft delete with `nimbus serve --reclaim-instance-interval`, driven by the
 * real clients — `openstack server delete` leaves the server SOFT_DELETED,
 * `openstack server restore` brings it back, `nova force-delete` ends one at once, and the
 * reclaim sweep deletes one whose interval has passed; then `nova evacuate` of a server
 * whose host an admin forced down, which nova answers with no other host to go to.
 */
import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CliError,
  Clients,
  haveClients,
  type NimbusProcess,
  startNimbusProcess,
  waitUntil,
} from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";
/** Long enough that nothing is reclaimed while a test restores it, however slow the machine. */
const RECLAIM_SECONDS = 3600;
/** The interval of the process that shows the reclaim itself: the server is seen soft-deleted for at least this long. */
const SHORT_RECLAIM_SECONDS = 10;

let nimbus: NimbusProcess;
let demo: Clients;
let admin: Clients;

/** The server's status, or "gone" once the API answers 404 for it. */
async function statusOf(clients: Clients, server: string): Promise<string> {
  try {
    const shown = await clients.json(["server", "show", server]);
    return shown["OS-EXT-STS:task_state"]
      ? `${shown.status}/${shown["OS-EXT-STS:task_state"]}`
      : shown.status;
  } catch (error) {
    if (error instanceof CliError && /No server with a name or ID/.test(`${error.stdout}${error.stderr}`)) {
      return "gone";
    }
    throw error;
  }
}

async function waitForStatus(clients: Clients, server: string, status: string, timeoutMs = 30_000) {
  let last = "";
  await waitUntil(
    `server ${server} to be ${status}`,
    async () => {
      last = await statusOf(clients, server);
      return last === status ? last : undefined;
    },
    { timeoutMs, intervalMs: 250, describe: () => last },
  );
}

async function boot(name: string): Promise<string> {
  const server = await demo.json(
    ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", name],
    120_000,
  );
  return server.id as string;
}

describe.skipIf(!haveClients)("deferred delete and evacuate with the real clients", () => {
  beforeAll(async () => {
    nimbus = await startNimbusProcess({ args: ["--reclaim-instance-interval", String(RECLAIM_SECONDS)] });
    demo = new Clients(nimbus.dataDir, "nimbus");
    admin = new Clients(nimbus.dataDir, "nimbus-admin");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
  });

  it("openstack server delete soft-deletes; openstack server restore brings it back", async () => {
    const id = await boot("e2e-restorable");
    await demo.openstack(["server", "delete", id]);
    await waitForStatus(demo, id, "SOFT_DELETED");
    await demo.openstack(["server", "restore", id]);
    await waitForStatus(demo, id, "ACTIVE");
    // openstackclient prints the power state as nova's number or its name, by version
    expect([1, "Running"]).toContain((await demo.json(["server", "show", id]))["OS-EXT-STS:power_state"]);
    // nova force-deletes a server in any state, a live one too
    await demo.nova(["force-delete", id]);
    await waitForStatus(demo, id, "gone");
  }, 180_000);

  it("reclaims a soft-deleted server once the interval has passed", async () => {
    const short = await startNimbusProcess({
      args: ["--reclaim-instance-interval", String(SHORT_RECLAIM_SECONDS)],
    });
    try {
      const clients = new Clients(short.dataDir, "nimbus");
      const server = await clients.json(
        ["server", "create", "--flavor", "m1.nano", "--image", IMAGE, "--wait", "e2e-reclaimed"],
        120_000,
      );
      await clients.openstack(["server", "delete", server.id]);
      // soft-deleted first, then gone once the sweep finds it past the interval
      const seen = new Set<string>();
      await waitUntil(
        "the server to be reclaimed",
        async () => {
          const status = await statusOf(clients, server.id);
          seen.add(status.split("/")[0]!);
          return status === "gone";
        },
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      expect(seen).toContain("SOFT_DELETED");
    } finally {
      await short.stop();
    }
  }, 180_000);

  it("nova evacuate from a host forced down: accepted, then ERROR with no other host", async () => {
    const id = await boot("e2e-evacuated");
    const host = os.hostname();
    const service = ["compute", "service", "set", "--os-compute-api-version", "2.11"];
    await admin.openstack([...service, "--down", host, "nova-compute"]);
    try {
      await admin.nova(["evacuate", id]);
      await waitForStatus(demo, id, "ERROR");
      const shown = await admin.json(["server", "show", id]);
      expect(shown.fault.message).toBe("No valid host was found. There are not enough hosts available.");
    } finally {
      await admin.openstack([...service, "--up", host, "nova-compute"]);
    }
    // the migration type is listed from 2.23
    const migrations = await admin.json([
      "server",
      "migration",
      "list",
      "--server",
      id,
      "--os-compute-api-version",
      "2.23",
    ]);
    expect(migrations.map((m: Record<string, string>) => [m.Type, m.Status])).toEqual([
      ["evacuation", "error"],
    ]);
  }, 180_000);
});
