// Neutron's quotas through their routes, on PostgreSQL (see test/postgres.ts): there
// concurrent port creates really run in parallel transactions, and only the lock row of
// the project's port count keeps them from overshooting the limit.
import { runOnPostgres } from "../postgres.js";

runOnPostgres({
  "network quota routes": () => import("../../src/http/network/quotas.test.js"),
});
