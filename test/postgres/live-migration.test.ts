// Live migrations between two hosts on PostgreSQL (see test/postgres.ts): the moves, the
// refusals, force_complete and abort, and the copy's progress (bigint columns, which
// PostgreSQL answers as text), and the server migration routes.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "live-migration": () => import("../../src/http/compute/live-migration.test.js"),
  "server-migrations": () => import("../../src/http/compute/server-migrations.test.js"),
});
