// The network API (Neutron v2.0) through its routes, on PostgreSQL (see test/postgres.ts):
// there concurrent port creates really run in parallel transactions.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "network routes": () => import("../../src/http/network/router.test.js"),
});
