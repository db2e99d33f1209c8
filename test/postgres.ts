/**
 * The PostgreSQL runs of existing tests. A file under test/postgres/ names the test
 * modules it runs again; there, every database those tests open (through openTestDatabase,
 * testDatabase or computeHarness) is an empty PostgreSQL database of that file, created
 * with a random name on the server NIMBUS_TEST_POSTGRES_URL points at and dropped once
 * the file's tests are done.
 * Without that variable the runs are skipped, so the suite passes where there is no
 * PostgreSQL; CI always sets it.
 */
import { afterAll, describe, it } from "vitest";
import { dropTestDatabases, useTestPostgres } from "../src/store/testing.js";

/** A server to create test databases on, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
export const POSTGRES_SERVER = process.env.NIMBUS_TEST_POSTGRES_URL || undefined;

/**
 * Runs the tests of each module on PostgreSQL, in a describe block of its own (the
 * module's top-level hooks apply to its tests only). `modules` maps a title to a loader,
 * `() => import("...test.js")`: vitest collects the tests a module declares as it loads.
 */
export function runOnPostgres(modules: Record<string, () => Promise<unknown>>): void {
  const server = POSTGRES_SERVER;
  if (server === undefined) {
    it.skip("runs on PostgreSQL when NIMBUS_TEST_POSTGRES_URL names a server");
    return;
  }
  useTestPostgres(server);
  afterAll(dropTestDatabases);
  for (const [title, load] of Object.entries(modules)) {
    describe(`${title} on PostgreSQL`, async () => {
      await load();
    });
  }
}
