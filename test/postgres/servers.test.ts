// Servers through the compute API on PostgreSQL (see test/postgres.ts): create, list (filters,
// regular expressions, sorting, paging, changes-since), show, update, delete, metadata and tags.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  servers: () => import("../../src/http/compute/servers.test.js"),
  "server-resources": () => import("../../src/http/compute/server-resources.test.js"),
});
