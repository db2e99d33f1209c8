/**
 * End to end on PostgreSQL: the real `nimbus serve --database <url>` on a fresh database,
 * driven through servers' lives by the real openstack CLI; then the process restarts and
 * finds the same state, kept by the database (the data directory holds no SQLite file).
 * Runs when NIMBUS_TEST_POSTGRES_URL names a server (CI always sets it).
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPostgresDatabase, type TestDatabase } from "../../src/store/testing.js";
import { POSTGRES_SERVER } from "../postgres.js";
import { Clients, haveClients, type NimbusProcess, startNimbusProcess, waitUntil } from "./support.js";

const IMAGE = "cirros-0.6.2-x86_64-disk";

describe.skipIf(!haveClients || POSTGRES_SERVER === undefined)("nimbus serve --database postgres://", () => {
  let database: TestDatabase;
  let nimbus: NimbusProcess;
  let demo: Clients;
  let args: string[];

  beforeAll(async () => {
    database = await createPostgresDatabase(POSTGRES_SERVER!);
    args = ["--database", database.url!];
    nimbus = await startNimbusProcess({ args });
    demo = new Clients(nimbus.dataDir, "nimbus");
  }, 60_000);

  afterAll(async () => {
    await nimbus?.stop();
    await database?.close();
  });

  /** Name and status of the servers whose names the regular expression `name` matches. */
  const listed = async (name = ".") =>
    ((await demo.json(["server", "list", "--name", name])) as Array<{ Name: string; Status: string }>)
      .map((s) => `${s.Name} ${s.Status}`)
      .sort();
  /** `openstack server list` until it shows exactly `servers` ("name STATUS"). */
  const listing = (...servers: string[]) =>
    waitUntil(`the servers to be ${servers.join(", ")}`, async () => {
      const now = await listed();
      return JSON.stringify(now) === JSON.stringify(servers) ? now : undefined;
    });

  it("runs servers' lives with the openstack CLI and keeps them across a restart", async () => {
    const ids: string[] = [];
    for (const name of ["pg-web-1", "pg-web-2"]) {
      const created = await demo.json(["server", "create", "--flavor", "m1.nano", "--image", IMAGE, name]);
      expect(created.name).toBe(name);
      ids.push(created.id);
    }
    await listing("pg-web-1 ACTIVE", "pg-web-2 ACTIVE");
    await demo.openstack(["server", "stop", "pg-web-2"]);
    await demo.openstack(["server", "set", "--property", "role=web", "pg-web-1"]);
    await listing("pg-web-1 ACTIVE", "pg-web-2 SHUTOFF");

    const { dataDir, port } = nimbus;
    await nimbus.stop();
    nimbus = await startNimbusProcess({ dataDir, port, args });
    expect(fs.readdirSync(dataDir).filter((f) => f.startsWith("nimbus.sqlite"))).toEqual([]);

    // the name filter is a regular expression, which PostgreSQL evaluates
    expect(await listed("^pg-web-[0-9]$")).toEqual(["pg-web-1 ACTIVE", "pg-web-2 SHUTOFF"]);
    expect(await listed("^web")).toEqual([]);
    const web1 = await demo.json(["server", "show", "pg-web-1"]);
    expect(web1.id).toBe(ids[0]);
    expect(JSON.stringify(web1.properties)).toContain("role");
    // the restarted process runs new work on the servers it found
    await demo.openstack(["server", "start", "pg-web-2"]);
    await demo.openstack(["server", "delete", "pg-web-1"]);
    await listing("pg-web-2 ACTIVE");
  }, 300_000);
});
