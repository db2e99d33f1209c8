// Server groups and host aggregates through the compute API, on PostgreSQL (see test/postgres.ts).
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "server-groups": () => import("../../src/http/compute/server-groups.test.js"),
  aggregates: () => import("../../src/http/compute/aggregates.test.js"),
});
